// The Prometheus text exposition format (0.0.4), written straight into a
// string. Byte for byte what prometheus::TextSerializer (prometheus-cpp 1.0)
// writes for the same families, at a fraction of the cost: no std::ostream,
// no locale, doubles through std::to_chars. HELP is written as given (see
// EscapeHelp in series_limit.h); label values are escaped here.
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace hostprobe {

// Appends `families` to `out`.
void AppendTextFormat(std::string& out, const std::vector<prometheus::MetricFamily>& families);

}  // namespace hostprobe
