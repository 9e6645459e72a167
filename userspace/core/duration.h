// Go/Prometheus-style durations: "500ms", "10s", "5m", "1h30m", "2d".
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "result.h"

namespace hostprobe {

// Parses a positive duration. Units: ns, us (or µs), ms, s, m, h, d, w.
// Components may be chained ("1h30m") and may have a fraction ("1.5s").
Result<std::chrono::nanoseconds> ParseDuration(std::string_view text);

// Shortest exact form: 90s -> "1m30s", 500ms -> "500ms".
std::string FormatDuration(std::chrono::nanoseconds d);

}  // namespace hostprobe
