// The sensor: a table of collector descriptors, started in order, with the
// start-up policy (what stops the sensor, what only degrades it) in one place.
// Pure: no libbpf and no logging library; the collectors come in through the
// descriptors' start functions and the log lines go out through a callback,
// so tests drive it with fakes.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/collector.h"
#include "core/result.h"

namespace prometheus {
class Collectable;
}

namespace hostprobe {

// What the exporter registers: a name (for the scrape's per-collector
// timing) and the collectable that turns a collector's reads into families.
using NamedCollectable = std::pair<std::string, std::shared_ptr<prometheus::Collectable>>;
using Collectables = std::vector<NamedCollectable>;

// How much the sensor depends on a collector.
enum class Need {
  kRequired,  // not starting stops start-up (one line, exit 1, or 2 for a usage error)
  kExpected,  // not starting is logged; /healthz fails for it, hostprobe_collector_up is 0
  kOptional,  // not starting or failing makes the sensor degraded, never unready
};

// When a collector starts. Loading and attaching eBPF needs capabilities the
// steady state drops; threads must start after the drop so they inherit the
// reduced sets.
enum class Stage {
  kLoad,    // before the capability drop
  kSteady,  // after it
};

struct CollectorDescriptor {
  std::string name;   // the slot's name: /healthz, hostprobe_collector_up, log lines
  std::string needs;  // what it needs from the kernel, for the start-up debug log
  Need need = Need::kExpected;
  Stage stage = Stage::kLoad;
  bool enabled = true;  // false: neither started nor given a slot (not asked for by the flags)
  // One of the collectors of which at least one must start: when every one
  // so marked fails, the kernel refuses eBPF altogether and start-up fails.
  bool quorum = false;
  // Left running at Stop() (a thread that may be blocked in a request):
  // handed back to the caller, for the process exit to end.
  bool outlives_stop = false;
  // Never returns null on success.
  std::function<Result<std::unique_ptr<Collector>>()> start;
  // For a required collector: whether its start error is the flags' fault
  // (StartFailure::usage). Unset: never.
  std::function<bool(const Error&)> usage_error;
  // The hook family it runs on, for the "collecting with ... hooks" log line;
  // unset: no line.
  std::function<std::string(Collector&)> hook_family;
  // Run once after the capability drop for a collector that started
  // (sampling and latency threads). Unset: nothing to run.
  std::function<void(Collector&)> steady;
  // The collectables it feeds; called once, after start-up, for a live one.
  std::function<Collectables(Collector&)> families;
};

enum class LogLevel { kDebug, kInfo, kWarn, kError };
using SensorLog = std::function<void(LogLevel, const std::string&)>;

// Why the sensor did not start: one line for stderr.
struct StartFailure {
  std::string message;
  bool usage = false;  // the flags' fault (a probe that names nothing): exit 2, else 1
};

// Not thread-safe for Start() and Stop(); slots() and Health() may be read
// from any thread between them (the collectors' own contracts apply).
class Sensor {
 public:
  Sensor(std::vector<CollectorDescriptor> table, SensorLog log);
  ~Sensor();  // destroys whatever is still live, in table order
  Sensor(const Sensor&) = delete;
  Sensor& operator=(const Sensor&) = delete;

  // Starts the load stage (in table order), decides whether start-up fails,
  // calls `drop_capabilities`, then runs the steady hooks of the live
  // collectors and starts the steady stage (each in table order). nullopt
  // when the sensor runs, possibly with failed expected or optional
  // collectors; the failure otherwise (collectors already started stay live
  // until Stop() or destruction).
  [[nodiscard]] std::optional<StartFailure> Start(const std::function<Status()>& drop_capabilities);

  // One slot per enabled collector that was tried, in start order. Stable
  // after Start(): the self metrics keep a reference to it.
  const std::vector<CollectorSlot>& slots() const { return slots_; }

  // The collectables of the live collectors, in table order.
  Collectables collectables() const;

  HealthReport Health() const { return CheckHealth(slots_); }

  // Destroys the live collectors in table order (which detaches their
  // programs and frees their maps), but for those that outlive Stop(),
  // returned. Call it once nothing reads them any more (the HTTP server
  // closed); the slots then hold no live collector.
  std::vector<std::unique_ptr<Collector>> Stop();

 private:
  struct Entry {
    CollectorDescriptor desc;
    std::unique_ptr<Collector> live;
    bool tried = false;
    std::string failure;
  };

  // Starts one entry and gives it a slot; the failure when it is required.
  std::optional<StartFailure> StartEntry(Entry& e);
  void Log(LogLevel level, const std::string& line) const;

  std::vector<Entry> entries_;
  std::vector<CollectorSlot> slots_;
  SensorLog log_;
};

}  // namespace hostprobe
