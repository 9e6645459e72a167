// Plain snapshot of the clock collector (host identity, clock
// synchronization) and the interface the exporter reads it through.
#pragma once

#include <optional>
#include <string>

#include "core/host_info.h"

namespace hostprobe {

struct ClockSnapshot {
  HostInfo host;
  std::optional<ClockState> clock;  // absent when adjtimex failed
  std::string clock_error;          // why, when absent
};

// Implemented by ClockCollector, faked in tests of the exporter.
class ClockSource {
 public:
  virtual ~ClockSource() = default;
  // Never fails as a whole: host info is always filled in, and the clock
  // part says why it is missing.
  virtual ClockSnapshot ReadClock() = 0;
};

}  // namespace hostprobe
