// Host identity and clock synchronization: files under --rootfs, uname(2)
// and adjtimex(2). No eBPF; lives with the collectors because it reads the
// system, and the system calls are injectable so tests can fake them.
#pragma once

#include <sys/timex.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock_snapshot.h"
#include "core/collector.h"
#include "core/host_info.h"
#include "core/result.h"

namespace hostprobe {

// Thread-safe: holds no mutable state; every read goes to the system.
class ClockCollector final : public Collector, public ClockSource {
 public:
  // adjtimex(2) with modes = 0 (read only): returns the clock state or -1.
  using AdjtimexFn = std::function<int(struct timex*)>;

  struct Config {
    std::string rootfs = "/";  // where the host's / is (e.g. /host in a container)
    AdjtimexFn adjtimex;       // empty: the real adjtimex
    HostInfoSystem system;     // empty members: the real uname / localtime_r
  };

  explicit ClockCollector(Config config);

  std::string name() const override { return "clock"; }
  std::vector<HookStatus> hooks() const override { return {}; }
  // Unhealthy only when adjtimex fails. An unsynchronized clock is a finding
  // reported by the metrics, not a fault of the collector.
  CollectorHealth health() override;
  const std::string& hook_family() const { return family_; }

  // Reads the host files and the clock afresh: a changed time zone shows up
  // on the next scrape.
  ClockSnapshot ReadClock() override;

 private:
  Result<ClockState> ReadClockState() const;

  const Config config_;
  const std::string family_ = "adjtimex";
};

}  // namespace hostprobe
