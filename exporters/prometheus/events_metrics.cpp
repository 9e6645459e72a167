#include "exporters/prometheus/events_metrics.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <string.h>

#include <map>
#include <set>
#include <utility>

#include "core/histogram.h"
#include "core/pod_attribution.h"
#include "exporters/prometheus/family_builder.h"

namespace hostprobe {

using prometheus::MetricType;

std::string SignalName(uint32_t signal) {
  // glibc's abbreviations (sigabbrev_np, 2.32+), in the numbering of the
  // architecture built for, which is the kernel's. glibc calls 29 "POLL";
  // its label has always been SIGIO (the same signal on Linux).
  if (signal == SIGIO) return "SIGIO";
  const char* abbrev = signal < 1024 ? sigabbrev_np(static_cast<int>(signal)) : nullptr;
  if (abbrev != nullptr) return std::string("SIG") + abbrev;
  return "SIG" + std::to_string(signal);
}

CgroupFamilies BuildProcessEventFamilies(const ProcessEventsSnapshot& snap, const CgroupNameFn& cgroup_name) {
  CgroupFamilies out;
  auto crashes = MakeFamily("hostprobe_process_crashes_total",
                            "Processes (thread groups) ended by a signal, by signal and cgroup (v2 path); "
                            "counted once per process when its last thread exits (eBPF, sched_process_exit).",
                            MetricType::Counter);
  auto ooms = MakeFamily("hostprobe_oom_kills_total",
                         "Tasks the kernel OOM killer chose as victims, by cgroup (v2 path) of the victim "
                         "(eBPF, mark_victim).",
                         MetricType::Counter);
  auto execs = MakeFamily("hostprobe_cgroup_execs_total",
                          "Successful execs by tasks of a cgroup (v2 path) (eBPF, sched_process_exec).",
                          MetricType::Counter);

  CgroupPaths paths(cgroup_name);
  auto crash_sums = SumByCgroup<uint64_t>(
      snap.crashes, paths,
      [](const std::string& path, const CrashCount& c) { return std::pair(SignalName(c.signal), path); },
      [](uint64_t& n, const CrashCount& c) { n += c.count; });
  for (const auto& [key, count] : crash_sums)
    AddCgroupCounter(crashes, key.second, {{"signal", key.first}}, static_cast<double>(count));

  using ExecsOoms = std::pair<uint64_t, uint64_t>;
  auto cgroup_sums =
      SumByCgroupPath<ExecsOoms>(snap.cgroups, paths, [](ExecsOoms& sums, const ProcessCgroupCounts& c) {
        sums.first += c.execs;
        sums.second += c.oom_kills;
      });
  for (const auto& [path, sums] : cgroup_sums) {
    AddCgroupCounter(execs, path, {}, static_cast<double>(sums.first));
    AddCgroupCounter(ooms, path, {}, static_cast<double>(sums.second));
  }
  out.unresolved_cgroups = paths.TakeUnresolved();  // an id in both maps is there once

  auto failures = MapUpdateFailuresFamily({{"process_crashes", snap.self_stats[HP_PE_STAT_CRASH_MAP_FULL]},
                                           {"process_cgroups", snap.self_stats[HP_PE_STAT_CGROUP_MAP_FULL]},
                                           {"exits_seen", snap.self_stats[HP_PE_STAT_EXIT_SEEN_FAILED]}});

  auto unknown = MakeFamily(
      "hostprobe_oom_victim_cgroup_unknown_total",
      "OOM kills charged to the cgroup of the task that ran the OOM killer because the victim's "
      "could not be found (kernels whose mark_victim gives only a pid, when no SIGKILL to that pid "
      "was seen).",
      MetricType::Counter);
  AddCounter(unknown, {}, static_cast<double>(snap.self_stats[HP_PE_STAT_OOM_VICTIM_UNKNOWN]));
  out.families = {std::move(crashes), std::move(ooms), std::move(execs), std::move(failures),
                  std::move(unknown)};
  return out;
}

std::vector<PodCgroupEvents> PodCgroupEventsOf(const ProcessEventsSnapshot& snap,
                                               const CgroupNameFn& cgroup_name) {
  std::map<uint64_t, PodCgroupEvents> by_id;
  std::map<uint64_t, bool> named;  // id -> in a pod (false: not a pod's, or unnamed)
  auto entry = [&](uint64_t id) -> PodCgroupEvents* {
    auto [it, fresh] = named.try_emplace(id, false);
    if (fresh) {
      auto path = cgroup_name(id);
      if (!path) return nullptr;
      PodAttribution a = ParsePodAttribution(*path);
      if (a.pod_uid.empty()) return nullptr;
      it->second = true;
      PodCgroupEvents& e = by_id[id];
      e.cgroup_id = id;
      e.pod_uid = std::move(a.pod_uid);
      e.container = !a.container_id.empty();
    }
    return it->second ? &by_id[id] : nullptr;
  };
  for (const CrashCount& c : snap.crashes)
    if (PodCgroupEvents* e = entry(c.cgroup_id)) e->crashes += c.count;
  for (const ProcessCgroupCounts& c : snap.cgroups) {
    if (PodCgroupEvents* e = entry(c.cgroup_id)) {
      e->execs += c.execs;
      e->oom_kills += c.oom_kills;
    }
  }
  std::vector<PodCgroupEvents> out;
  out.reserve(by_id.size());
  for (auto& kv : by_id) out.push_back(std::move(kv.second));
  return out;
}

std::vector<std::string> PodsOfPaths(const std::vector<std::string>& paths) {
  std::set<std::string> pods;
  for (const std::string& p : paths) {
    if (p.find("pod") == std::string::npos) continue;  // cheap: most host cgroups
    PodAttribution a = ParsePodAttribution(p);
    if (!a.pod_uid.empty()) pods.insert(std::move(a.pod_uid));
  }
  return {pods.begin(), pods.end()};
}

std::vector<prometheus::MetricFamily> BuildPodEventFamilies(const std::vector<PodEvents>& pods) {
  auto crashes = MakeFamily("hostprobe_pod_crashes_total",
                            "Processes of a pod ended by a signal, every signal and container together, "
                            "kept across its containers' restarts.",
                            MetricType::Counter);
  auto ooms = MakeFamily("hostprobe_pod_oom_kills_total",
                         "Tasks of a pod the kernel OOM killer chose as victims, kept across its "
                         "containers' restarts.",
                         MetricType::Counter);
  auto execs = MakeFamily("hostprobe_pod_execs_total",
                          "Successful execs in a pod's cgroups, kept across its containers' restarts.",
                          MetricType::Counter);
  auto starts = MakeFamily("hostprobe_pod_container_starts_total",
                           "Containers started in a pod (container cgroups in which a process exec'd, the "
                           "sandbox included); a restart adds one.",
                           MetricType::Counter);
  for (const PodEvents& p : pods) {
    AddCounter(crashes, {{"pod_uid", p.pod_uid}}, static_cast<double>(p.crashes));
    AddCounter(ooms, {{"pod_uid", p.pod_uid}}, static_cast<double>(p.oom_kills));
    AddCounter(execs, {{"pod_uid", p.pod_uid}}, static_cast<double>(p.execs));
    AddCounter(starts, {{"pod_uid", p.pod_uid}}, static_cast<double>(p.container_starts));
  }
  std::vector<prometheus::MetricFamily> out;
  out.push_back(std::move(crashes));
  out.push_back(std::move(ooms));
  out.push_back(std::move(execs));
  out.push_back(std::move(starts));
  return out;
}

std::vector<prometheus::MetricFamily> BuildProbeFamilies(const ProbeSnapshot& snap) {
  auto calls =
      MakeFamily("hostprobe_probe_calls_total",
                 "Calls of the function (or hits of the USDT probe) of a user-defined probe (--probe), "
                 "in every process running the binary (eBPF uprobe).",
                 MetricType::Counter);
  auto latency =
      MakeFamily("hostprobe_probe_latency_seconds",
                 "Time from entry to return of the function of a :latency probe.", MetricType::Histogram);
  for (const ProbeCounts& p : snap.probes) {
    AddCounter(calls, {{"probe", p.name}}, static_cast<double>(p.calls));
    if (p.latency)
      AddHistogram(latency, {{"probe", p.name}}, LatencyHistogram(p.latency_slots, p.latency_sum_ns));
  }
  auto failures = MapUpdateFailuresFamily({{"probe_inflight", snap.self_stats[HP_UP_STAT_INFLIGHT_FAILED]},
                                           {"probe_stats", snap.self_stats[HP_UP_STAT_BAD_COOKIE]}});
  std::vector<prometheus::MetricFamily> out;
  out.push_back(std::move(calls));
  if (!latency.metric.empty()) out.push_back(std::move(latency));
  out.push_back(std::move(failures));
  return out;
}

std::vector<prometheus::MetricFamily> BuildClockFamilies(const ClockSnapshot& snap) {
  std::vector<prometheus::MetricFamily> out;
  auto info = MakeFamily("hostprobe_host_info",
                         "The host's time zone (IANA name, else its abbreviation), kernel release and OS "
                         "(os-release PRETTY_NAME); value is always 1.",
                         MetricType::Gauge);
  AddGauge(info, {{"timezone", snap.host.timezone}, {"kernel", snap.host.kernel}, {"os", snap.host.os}}, 1);
  out.push_back(std::move(info));
  if (!snap.clock) return out;

  auto synced = MakeFamily("hostprobe_clock_synchronized",
                           "1 when the kernel clock is synchronized (adjtimex: STA_UNSYNC clear, state not "
                           "TIME_ERROR), else 0.",
                           MetricType::Gauge);
  AddGauge(synced, {}, snap.clock->synchronized ? 1 : 0);
  auto max_error =
      MakeFamily("hostprobe_clock_max_error_seconds",
                 "Maximum error of the kernel clock, as the time daemon reports it (adjtimex maxerror).",
                 MetricType::Gauge);
  AddGauge(max_error, {}, snap.clock->max_error_seconds);
  auto est_error = MakeFamily("hostprobe_clock_estimated_error_seconds",
                              "Estimated error of the kernel clock (adjtimex esterror).", MetricType::Gauge);
  AddGauge(est_error, {}, snap.clock->estimated_error_seconds);
  out.push_back(std::move(synced));
  out.push_back(std::move(max_error));
  out.push_back(std::move(est_error));
  return out;
}

std::vector<prometheus::MetricFamily> ProcessEventsMetrics::Collect() const {
  // pods_ needs no lock of its own: CgroupCollect runs one scrape at a time,
  // so a scrape's snapshot, its pod totals and the removal of gone cgroups
  // from the kernel's maps go together (else a concurrent scrape could count
  // a removed container twice).
  return collect_.Collect([&] { return source_.ReadProcessEvents(); },
                          [&](const ProcessEventsSnapshot& snap, const CgroupNameFn& name) {
                            CgroupFamilies built = BuildProcessEventFamilies(snap, name);
                            auto pods = pods_.Update(PodCgroupEventsOf(snap, name),
                                                     PodsOfPaths(cgroups_.KnownPaths()));
                            for (auto& f : BuildPodEventFamilies(pods))
                              built.families.push_back(std::move(f));
                            return built;
                          },
                          [&](const std::vector<uint64_t>& gone) {
                            source_.ForgetCgroups(gone);
                            pods_.Retire(gone);
                          });
}

std::vector<prometheus::MetricFamily> ProbeMetrics::Collect() const {
  return CollectSnapshot(read_errors_, source_.ReadProbes(), BuildProbeFamilies);
}

std::vector<prometheus::MetricFamily> ClockMetrics::Collect() const {
  ClockSnapshot snap = source_.ReadClock();
  if (!snap.clock) {
    spdlog::error("clock: {}", snap.clock_error);
    read_errors_.Count();
  }
  auto families = BuildClockFamilies(snap);
  families.push_back(read_errors_.Family());
  return families;
}

}  // namespace hostprobe
