#include "exporters/prometheus/process_metrics.h"
