#include "core/leak_detector.h"
