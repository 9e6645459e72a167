#include "collectors/process_memory_collector.h"
