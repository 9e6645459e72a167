// What every collector tells the sensor about itself, independent of how it
// gathers data. Implementations must be thread-safe: the HTTP server calls
// them from its worker threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace hostprobe {

// One kernel program (or other hook) a collector depends on.
struct HookStatus {
  std::string name;    // program name as the kernel shows it, e.g. "hp_sys_enter"
  std::string attach;  // where it is attached, e.g. "tp_btf/sys_enter"
  bool attached = false;
  std::string error;  // why it is not attached (libbpf's reason), empty if attached
  int prog_fd = -1;   // the loaded program (owned by its collector), -1 when it was not loaded
  // The collector works without it (a fallback, or a figure the kernel
  // cannot give): not attached makes the sensor degraded, not unready.
  bool optional = false;
};

// Kernel memory held by one of the sensor's BPF maps (fdinfo's memlock).
struct BpfMapMemory {
  std::string map;  // the map's name as the kernel has it (at most 15 bytes)
  uint64_t bytes = 0;
};

struct CollectorHealth {
  bool healthy = false;
  std::string reason;  // one line, empty when healthy
};

class Collector {
 public:
  virtual ~Collector() = default;
  virtual std::string name() const = 0;
  virtual std::vector<HookStatus> hooks() const = 0;
  // Attached and fresh. May do a cheap read to prove the data path works.
  virtual CollectorHealth health() = 0;
};

}  // namespace hostprobe

namespace hostprobe {

// A collector the sensor tried to start: live, or failed with a reason.
struct CollectorSlot {
  std::string name;
  Collector* live = nullptr;  // not owned
  std::string failure;        // why it did not start, when live is null
  // The sensor serves its essentials without it (pod names, eviction counts):
  // failing makes the sensor degraded, not unready.
  bool optional = false;
};

// One collector as /healthz and hostprobe_collector_up see it.
enum class CollectorState { kOk, kDegraded, kFailing };
struct CollectorStatus {
  CollectorState state = CollectorState::kOk;
  std::string reason;  // empty when kOk
  bool up = true;      // started and passes its health check (hostprobe_collector_up)
};

struct HealthReport {
  bool healthy = false;   // ready: no required collector is failing
  bool degraded = false;  // an optional collector or hook is failing
  // "ok\n"; or "degraded\n" then one "<collector>: <reason>" line per
  // degraded part; or, when not ready, one such line per failing collector
  // followed by the degraded ones.
  std::string text;
};

// Tells a counter that stopped moving from one read twice in a row: stalled
// only when it has not changed for longer than `grace` (checks can come
// microseconds apart: a scrape's and /healthz's). Thread-safe.
class StallWatch {
 public:
  explicit StallWatch(std::chrono::milliseconds grace = std::chrono::seconds(2)) : grace_(grace) {}
  // True when `total` is the same as for longer than the grace period.
  bool Stalled(uint64_t total, std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

 private:
  std::chrono::milliseconds grace_;
  std::mutex mu_;
  bool seen_ = false;
  uint64_t total_ = 0;
  std::chrono::steady_clock::time_point changed_{};
};

// The first required hook that is not attached, as a health reason; nullopt
// when all are. Optional hooks are left to OptionalHookMissing.
std::optional<CollectorHealth> DetachedHook(const std::vector<HookStatus>& hooks);

// The health of a collector whose events never stop on a live host: every
// required hook attached, its maps readable (`read_total` returns the total
// of its events so far, or why it could not be read), and that total moving
// (else `stalled`).
template <typename ReadTotal>
CollectorHealth LiveEventsHealth(const std::vector<HookStatus>& hooks, ReadTotal&& read_total,
                                 StallWatch& watch, const char* stalled) {
  if (auto detached = DetachedHook(hooks)) return *detached;
  Result<uint64_t> total = read_total();
  if (!total) return {false, "reading maps failed: " + total.error().message};
  if (watch.Stalled(*total)) return {false, stalled};
  return {true, ""};
}

// The first optional hook that is not attached, as a reason; nullopt when all are.
std::optional<std::string> OptionalHookMissing(const std::vector<HookStatus>& hooks);

// A slot's state: failing when it did not start or its health check fails
// (degraded instead when the slot is optional), degraded when healthy but an
// optional hook is missing.
CollectorStatus StatusOf(const CollectorSlot& slot);

// Asks every live collector for its health; failed ones are reported as such.
HealthReport CheckHealth(const std::vector<CollectorSlot>& slots);

}  // namespace hostprobe
