#include "exporters/prometheus/process_metrics.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <string>

#include "core/labels.h"
#include "exporters/prometheus/family_builder.h"

namespace hostprobe {

using prometheus::MetricType;

std::vector<prometheus::MetricFamily> BuildProcessMemoryFamilies(const ProcessMemorySnapshot& snap,
                                                                 uint32_t top_n) {
  auto rss = MakeFamily("hostprobe_process_rss_bytes",
                        "Resident memory of a process (anon + file + shmem, as VmRSS), for the processes "
                        "with the most (--top-processes) and every leak suspect.",
                        MetricType::Gauge);
  auto resident = MakeFamily(
      "hostprobe_process_resident_bytes",
      "Resident memory of a process by type: anon, file, shmem (read at each sample by a BPF task iterator, "
      "or from /proc/<pid>/status); file_shmem only from a source that cannot tell file and shared memory "
      "apart.",
      MetricType::Gauge);
  auto data =
      MakeFamily("hostprobe_process_data_bytes",
                 "Private writable and stack virtual memory of a process (statm data, VmData + VmStk): "
                 "brk heap, anonymous mappings, writable private file mappings, stacks.",
                 MetricType::Gauge);
  auto heap = MakeFamily("hostprobe_process_brk_heap_bytes",
                         "Size of a process's brk heap (brk - start_brk), read from its mm by the BPF task "
                         "iterator at each sample; absent where /proc/<pid>/status is read instead.",
                         MetricType::Gauge);
  auto judged = MakeFamily("hostprobe_process_memory_judged_bytes",
                           "Memory of a process the leak detector judges: resident anonymous + resident "
                           "shared memory + swapped-out pages. File-backed pages are left out.",
                           MetricType::Gauge);
  auto suspected = MakeFamily(
      "hostprobe_process_memory_leak_suspected",
      "1 while the leak detector judges that the floor of a process's judged memory "
      "(anon + shmem + swap) keeps growing, at one of its time scales (--leak-window); absent otherwise.",
      MetricType::Gauge);
  auto growth = MakeFamily("hostprobe_process_memory_growth_bytes_per_second",
                           "Growth rate of a leak suspect's judged memory floor (Theil-Sen slope of the "
                           "window's bucket minima).",
                           MetricType::Gauge);

  auto exhaustion = MakeFamily(
      "hostprobe_process_memory_exhaustion_seconds",
      "Seconds until a leak suspect's growth fills what is left under the nearest limit that would kill it "
      "(its cgroup's or an ancestor's memory limit, else the node's available memory), at its current "
      "floor growth; 0 when nothing is left.",
      MetricType::Gauge);
  auto limit = MakeFamily("hostprobe_process_memory_limit_bytes",
                          "The nearest memory limit of a leak suspect, by source: cgroup_v2 (memory.max), "
                          "cgroup_v1 (hierarchical_memory_limit) or node (MemTotal, with what is used "
                          "counted from MemAvailable).",
                          MetricType::Gauge);
  std::vector<size_t> order(snap.processes.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto& pa = snap.processes[a];
    const auto& pb = snap.processes[b];
    return pa.rss_bytes != pb.rss_bytes ? pa.rss_bytes > pb.rss_bytes : pa.pid < pb.pid;
  });
  for (size_t rank = 0; rank < order.size(); ++rank) {
    const ProcessMemory& p = snap.processes[order[rank]];
    if (rank >= top_n && !p.leak_suspected) continue;
    const std::string pid = std::to_string(p.pid);
    const Labels labels = {{"pid", pid}, {"comm", p.comm}, {"cgroup", p.cgroup}};
    AddGauge(rss, labels, static_cast<double>(p.rss_bytes));
    AddGauge(resident, {{"pid", pid}, {"comm", p.comm}, {"cgroup", p.cgroup}, {"type", "anon"}},
             static_cast<double>(p.anon_bytes));
    if (p.types_known) {
      AddGauge(resident, {{"pid", pid}, {"comm", p.comm}, {"cgroup", p.cgroup}, {"type", "file"}},
               static_cast<double>(p.file_bytes));
      AddGauge(resident, {{"pid", pid}, {"comm", p.comm}, {"cgroup", p.cgroup}, {"type", "shmem"}},
               static_cast<double>(p.shmem_bytes));
    } else {
      AddGauge(resident, {{"pid", pid}, {"comm", p.comm}, {"cgroup", p.cgroup}, {"type", "file_shmem"}},
               static_cast<double>(p.file_bytes + p.shmem_bytes));
    }
    AddGauge(judged, labels, static_cast<double>(p.judged_bytes));
    AddGauge(data, labels, static_cast<double>(p.data_bytes));
    if (p.brk_heap_bytes) AddGauge(heap, labels, static_cast<double>(*p.brk_heap_bytes));
    if (p.leak_suspected) {
      AddGauge(suspected, labels, 1);
      AddGauge(growth, labels, p.growth_bytes_per_second);
      if (p.exhaustion_seconds) AddGauge(exhaustion, labels, *p.exhaustion_seconds);
      if (p.headroom)
        AddGauge(limit,
                 {{"pid", pid},
                  {"comm", p.comm},
                  {"cgroup", p.cgroup},
                  {"source", LimitSourceName(p.headroom->source)}},
                 static_cast<double>(p.headroom->limit_bytes));
    }
  }

  // Sanitized paths as keys: two raw paths that sanitize alike are one series.
  std::map<std::string, uint64_t> per_cgroup;
  for (const ProcessMemory& p : snap.processes)
    if (!p.cgroup.empty()) per_cgroup[SanitizeLabelValue(p.cgroup)] += p.rss_bytes;
  auto cgroup_rss = MakeFamily("hostprobe_cgroup_rss_bytes",
                               "Sum of the resident memory of a cgroup's processes (a page shared by two "
                               "processes counts twice; the cgroup's own memory.current also counts page "
                               "cache and kernel memory).",
                               MetricType::Gauge);
  for (const auto& [path, bytes] : per_cgroup) AddCgroupGauge(cgroup_rss, path, static_cast<double>(bytes));

  // Cgroups as units (a container, a service): every one with a process.
  auto cgroup_judged = MakeFamily(
      "hostprobe_cgroup_memory_judged_bytes",
      "Anonymous memory of a cgroup the leak detector judges as a unit: anon + shmem + swap charged to it "
      "(its memory.stat) where the cgroup v2 memory controller is on for it, else the sum of its "
      "processes' judged memory.",
      MetricType::Gauge);
  auto cgroup_suspected =
      MakeFamily("hostprobe_cgroup_memory_leak_suspected",
                 "1 while the leak detector judges that a cgroup's anonymous memory floor keeps "
                 "growing at one of its time scales (its processes together, whichever come and go); "
                 "absent otherwise.",
                 MetricType::Gauge);
  auto cgroup_growth =
      MakeFamily("hostprobe_cgroup_memory_growth_bytes_per_second",
                 "Growth rate of a suspected cgroup's anonymous memory floor.", MetricType::Gauge);
  auto cgroup_exhaustion = MakeFamily(
      "hostprobe_cgroup_memory_exhaustion_seconds",
      "Seconds until a suspected cgroup's growth fills what is left under the nearest limit that would kill "
      "it (its own or an ancestor's memory limit, else the node's available memory).",
      MetricType::Gauge);
  {
    std::map<std::string, const CgroupMemory*> by_label;  // sanitized paths: one series each
    for (const CgroupMemory& c : snap.cgroups) by_label.emplace(SanitizeLabelValue(c.cgroup), &c);
    for (const auto& [path, c] : by_label) {
      AddCgroupGauge(cgroup_judged, path, static_cast<double>(c->judged_bytes));
      if (!c->leak_suspected) continue;
      AddCgroupGauge(cgroup_suspected, path, 1);
      AddCgroupGauge(cgroup_growth, path, c->growth_bytes_per_second);
      if (c->exhaustion_seconds) AddCgroupGauge(cgroup_exhaustion, path, *c->exhaustion_seconds);
    }
  }

  auto source = MakeFamily("hostprobe_process_memory_source",
                           "1 for the source each per-process figure comes from: ebpf (a BPF task iterator "
                           "read at each sample) or procfs (/proc/<pid>/status read every sample).",
                           MetricType::Gauge);
  for (const auto& [figure, ebpf] : {std::pair<const char*, bool>{"resident", snap.rss_from_ebpf},
                                     std::pair<const char*, bool>{"data", snap.data_from_ebpf}}) {
    AddGauge(source, {{"figure", figure}, {"source", "ebpf"}}, ebpf ? 1 : 0);
    AddGauge(source, {{"figure", figure}, {"source", "procfs"}}, ebpf ? 0 : 1);
  }
  auto tracked =
      MakeFamily("hostprobe_process_memory_tracked_processes",
                 "Processes whose resident memory history the leak detector keeps.", MetricType::Gauge);
  AddGauge(tracked, {}, static_cast<double>(snap.tracked));
  auto tracker_bytes = MakeFamily(
      "hostprobe_process_memory_tracker_bytes",
      "Memory the sensor holds for tracked processes (histories and bookkeeping).", MetricType::Gauge);
  AddGauge(tracker_bytes, {}, static_cast<double>(snap.tracker_bytes));
  auto samples = MakeFamily("hostprobe_process_memory_samples_total",
                            "Completed samples of every process's memory (one per --sample-interval).",
                            MetricType::Counter);
  AddCounter(samples, {}, static_cast<double>(snap.samples));
  auto vanished = MakeFamily("hostprobe_process_sample_vanished_total",
                             "Processes that exited between being listed and being read during a sample.",
                             MetricType::Counter);
  AddCounter(vanished, {}, static_cast<double>(snap.vanished));
  auto duration =
      MakeFamily("hostprobe_process_memory_sample_duration_seconds",
                 "Wall time the latest sample of every process's memory took.", MetricType::Gauge);
  AddGauge(duration, {}, snap.last_sample_seconds);
  // Only with --state-dir in use: absent means histories are not kept.
  auto restored =
      MakeFamily("hostprobe_leak_state_restored_processes",
                 "Processes whose leak history was taken back from --state-dir at start.", MetricType::Gauge);
  auto restored_cgroups = MakeFamily("hostprobe_leak_state_restored_cgroups",
                                     "Cgroups whose leak history was taken back from --state-dir (found "
                                     "again with the same directory inode).",
                                     MetricType::Gauge);
  auto saves = MakeFamily("hostprobe_leak_state_saves_total",
                          "Saves of the leak histories to --state-dir (at most one a minute, and at "
                          "shutdown), by result.",
                          MetricType::Counter);
  if (snap.state_kept) {
    AddGauge(restored, {}, static_cast<double>(snap.state_restored));
    AddGauge(restored_cgroups, {}, static_cast<double>(snap.state_restored_cgroups));
    AddCounter(saves, {{"result", "ok"}}, static_cast<double>(snap.state_saves));
    AddCounter(saves, {{"result", "failed"}}, static_cast<double>(snap.state_save_failures));
  }
  auto failures = MapUpdateFailuresFamily({{"process_memory", snap.self_stats[HP_PM_STAT_UPDATE_FAILED]}});

  std::vector<prometheus::MetricFamily> out;
  for (auto* f : {&rss, &resident, &judged, &data, &heap, &suspected, &growth, &exhaustion, &limit,
                  &cgroup_rss, &cgroup_judged, &cgroup_suspected, &cgroup_growth, &cgroup_exhaustion,
                  &restored, &restored_cgroups, &saves})
    if (!f->metric.empty()) out.push_back(std::move(*f));
  for (auto* f : {&source, &tracked, &tracker_bytes, &samples, &vanished, &duration, &failures})
    out.push_back(std::move(*f));
  out.push_back(ReadErrorsFamily("process_memory", snap.read_errors));
  return out;
}

std::vector<prometheus::MetricFamily> ProcessMemoryMetrics::Collect() const {
  return BuildProcessMemoryFamilies(*source_.ProcessMemorySample(), top_n_);
}

}  // namespace hostprobe
