#include "core/sensor.h"

namespace hostprobe {

Sensor::Sensor(std::vector<CollectorDescriptor> table, SensorLog log) : log_(std::move(log)) {
  entries_.reserve(table.size());
  for (CollectorDescriptor& d : table) entries_.push_back(Entry{std::move(d), nullptr, false, ""});
}

Sensor::~Sensor() {
  for (Entry& e : entries_) e.live.reset();
}

void Sensor::Log(LogLevel level, const std::string& line) const {
  if (log_) log_(level, line);
}

std::optional<StartFailure> Sensor::StartEntry(Entry& e) {
  const CollectorDescriptor& d = e.desc;
  Log(LogLevel::kDebug, d.name + ": starting (needs " + d.needs + ")");
  e.tried = true;
  Result<std::unique_ptr<Collector>> started =
      d.start ? d.start() : Result<std::unique_ptr<Collector>>(Error{"no start function"});
  if (started.ok() && *started == nullptr) started = Error{"no start function"};
  if (!started.ok()) {
    e.failure = started.error().message;
    switch (d.need) {
      case Need::kRequired:
        return StartFailure{e.failure, d.usage_error && d.usage_error(started.error())};
      case Need::kExpected:
        Log(LogLevel::kError, d.name + ": not started: " + e.failure);
        break;
      case Need::kOptional:
        Log(LogLevel::kWarn, d.name + ": not started: " + e.failure);
        break;
    }
    slots_.push_back({d.name, nullptr, e.failure, d.need == Need::kOptional});
    return std::nullopt;
  }
  e.live = std::move(*started);
  slots_.push_back({d.name, e.live.get(), "", d.need == Need::kOptional});
  if (d.hook_family) Log(LogLevel::kInfo, d.name + ": collecting with " + d.hook_family(*e.live) + " hooks");
  return std::nullopt;
}

std::optional<StartFailure> Sensor::Start(const std::function<Status()>& drop_capabilities) {
  for (Entry& e : entries_) {
    if (!e.desc.enabled || e.desc.stage != Stage::kLoad) continue;
    if (auto failed = StartEntry(e)) return failed;
  }

  // Every quorum collector failed: the kernel refuses eBPF as a whole, and
  // the first one's reason is libbpf's reason for all.
  const Entry* first_quorum = nullptr;
  bool quorum_met = true;
  for (const Entry& e : entries_) {
    if (!e.tried || !e.desc.quorum) continue;
    if (first_quorum == nullptr) {
      first_quorum = &e;
      quorum_met = false;
    }
    if (e.live) quorum_met = true;
  }
  if (!quorum_met)
    return StartFailure{"the kernel refused every eBPF collector (" + first_quorum->failure +
                        "); check that it allows eBPF (kernel lockdown, seccomp, or a container without "
                        "CAP_BPF/CAP_PERFMON refuse it) and see the log above for libbpf's reasons"};

  if (drop_capabilities) {
    if (Status st = drop_capabilities(); !st.ok()) return StartFailure{st.error().message};
  }

  for (Entry& e : entries_)
    if (e.live && e.desc.steady) e.desc.steady(*e.live);
  for (Entry& e : entries_) {
    if (!e.desc.enabled || e.desc.stage != Stage::kSteady) continue;
    if (auto failed = StartEntry(e)) return failed;
    if (e.live && e.desc.steady) e.desc.steady(*e.live);
  }
  return std::nullopt;
}

Collectables Sensor::collectables() const {
  Collectables out;
  for (const Entry& e : entries_) {
    if (!e.live || !e.desc.families) continue;
    for (NamedCollectable& c : e.desc.families(*e.live)) out.push_back(std::move(c));
  }
  return out;
}

std::vector<std::unique_ptr<Collector>> Sensor::Stop() {
  std::vector<std::unique_ptr<Collector>> left;
  for (Entry& e : entries_) {
    if (!e.live) continue;
    for (CollectorSlot& s : slots_)
      if (s.live == e.live.get()) s.live = nullptr;
    if (e.desc.outlives_stop)
      left.push_back(std::move(e.live));
    else
      e.live.reset();
  }
  return left;
}

}  // namespace hostprobe
