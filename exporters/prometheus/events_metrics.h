// Process crashes, OOM kills and execs per cgroup; user-defined probes; host
// info and clock synchronization: snapshots to metric families.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock_snapshot.h"
#include "core/pod_events.h"
#include "core/probe_snapshot.h"
#include "core/process_events_snapshot.h"
#include "exporters/prometheus/cgroup_families.h"
#include "exporters/prometheus/snapshot_collect.h"

namespace hostprobe {

// "SIGSEGV" for 11 and the other standard Linux signals (x86_64 and arm64
// share the numbering); "SIG<n>" for real-time and unknown numbers.
std::string SignalName(uint32_t signal);

// Pure. Crashes and per-cgroup counts of cgroups the namer does not know are
// left out and their ids returned, to be dropped once they are known gone.
CgroupFamilies BuildProcessEventFamilies(const ProcessEventsSnapshot& snap, const CgroupNameFn& cgroup_name);

// Pure. The pod cgroups' counts in a snapshot, by the namer's paths (the
// cgroups of no pod, and unnamed ones, are left out).
std::vector<PodCgroupEvents> PodCgroupEventsOf(const ProcessEventsSnapshot& snap,
                                               const CgroupNameFn& cgroup_name);

// Pure. hostprobe_pod_{crashes,oom_kills,execs,container_starts}_total.
std::vector<prometheus::MetricFamily> BuildPodEventFamilies(const std::vector<PodEvents>& pods);

// Pure. Pod uids of these cgroup paths, each once.
std::vector<std::string> PodsOfPaths(const std::vector<std::string>& paths);

// Pure. Every probe has a calls series; :latency probes also a histogram,
// present (with zero counts) from the start so rate() has a baseline.
std::vector<prometheus::MetricFamily> BuildProbeFamilies(const ProbeSnapshot& snap);

// Pure. The clock families are left out when the clock could not be read.
std::vector<prometheus::MetricFamily> BuildClockFamilies(const ClockSnapshot& snap);

// The Collectable adapters read their source on every scrape. Collect() may
// run concurrently from several HTTP threads. A failed read counts in
// hostprobe_collector_read_errors_total{collector=...}.
class ProcessEventsMetrics : public prometheus::Collectable {
 public:
  ProcessEventsMetrics(ProcessEventsSource& source, CgroupResolver& cgroups)
      : source_(source), cgroups_(cgroups), collect_("process_events", cgroups) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  ProcessEventsSource& source_;
  CgroupResolver& cgroups_;
  mutable CgroupCollect collect_;
  mutable PodEventTotals pods_;  // only touched inside collect_, one scrape at a time
};

class ProbeMetrics : public prometheus::Collectable {
 public:
  explicit ProbeMetrics(ProbeSource& source) : source_(source) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  ProbeSource& source_;
  mutable ReadErrors read_errors_{"uprobes"};
};

class ClockMetrics : public prometheus::Collectable {
 public:
  explicit ClockMetrics(ClockSource& source) : source_(source) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  ClockSource& source_;
  mutable ReadErrors read_errors_{"clock"};
};

}  // namespace hostprobe
