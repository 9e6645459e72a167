// What every collector tells the sensor about itself, independent of how it
// gathers data. Implementations must be thread-safe: the HTTP server calls
// them from its worker threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hostprobe {

// One kernel program (or other hook) a collector depends on.
struct HookStatus {
  std::string name;    // program name as the kernel shows it, e.g. "hp_sys_enter"
  std::string attach;  // where it is attached, e.g. "tp_btf/sys_enter"
  bool attached = false;
  std::string error;  // why it is not attached (libbpf's reason), empty if attached
  int prog_fd = -1;   // the loaded program (owned by its collector), -1 when it was not loaded
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
};

struct HealthReport {
  bool healthy = false;
  std::string text;  // "ok\n", or one "<collector>: <reason>" line per failing collector
};

// The first hook that is not attached, as a health reason; nullopt when all are.
std::optional<CollectorHealth> DetachedHook(const std::vector<HookStatus>& hooks);

// Asks every live collector for its health; failed ones are reported as such.
HealthReport CheckHealth(const std::vector<CollectorSlot>& slots);

}  // namespace hostprobe
