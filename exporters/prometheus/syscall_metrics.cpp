#include "exporters/prometheus/syscall_metrics.h"

#include <utility>

#include "core/errno_names.h"
#include "core/histogram.h"
#include "exporters/prometheus/family_builder.h"

namespace hostprobe {

using prometheus::MetricType;

namespace {

std::string SyscallLabel(const SyscallTable& table, uint32_t id) {
  if (id == kSyscallOutOfRangeSlot) return "out_of_range";
  if (id >= kSyscallCompatSlotBase) return table.CompatName(id - kSyscallCompatSlotBase);
  return table.Name(id);
}

}  // namespace

SyscallFamilies BuildSyscallFamilies(const SyscallSnapshot& snap, const SyscallTable& table,
                                     const CgroupNameFn& cgroup_name) {
  SyscallFamilies out;
  auto calls =
      MakeFamily("hostprobe_syscalls_total", "Syscalls made on the host, by syscall.", MetricType::Counter);
  auto latency = MakeFamily("hostprobe_syscall_latency_seconds",
                            "Time from syscall entry to exit, by syscall.", MetricType::Histogram);
  for (const SyscallCounts& sc : snap.syscalls) {
    std::string name = SyscallLabel(table, sc.id);
    AddCounter(calls, {{"syscall", name}}, static_cast<double>(sc.calls));
    // Calls that never return (exit, exit_group) have no latency.
    auto h = LatencyHistogram(sc.latency_slots, sc.latency_sum_ns);
    if (h.count != 0) AddHistogram(latency, {{"syscall", name}}, h);
  }

  auto errors =
      MakeFamily("hostprobe_syscall_errors_total",
                 "Syscalls that returned an error, by syscall and symbolic errno.", MetricType::Counter);
  for (const SyscallErrnoCount& ec : snap.errnos) {
    AddCounter(errors,
               {{"syscall", SyscallLabel(table, ec.syscall_id)}, {"errno", ErrnoName(ec.errno_value)}},
               static_cast<double>(ec.count));
  }

  auto cg_calls = MakeFamily("hostprobe_cgroup_syscalls_total",
                             "Syscalls made by tasks of a cgroup (v2 path).", MetricType::Counter);
  auto cg_errors = MakeFamily("hostprobe_cgroup_syscall_errors_total",
                              "Syscalls that returned an error, by cgroup (v2 path).", MetricType::Counter);
  CgroupPaths paths(cgroup_name);
  auto by_path = SumByCgroupPath<std::pair<uint64_t, uint64_t>>(
      snap.cgroups, paths, [](std::pair<uint64_t, uint64_t>& sums, const CgroupSyscallCounts& cc) {
        sums.first += cc.calls;
        sums.second += cc.errors;
      });
  for (const auto& [path, sums] : by_path) {
    AddCgroupCounter(cg_calls, path, {}, static_cast<double>(sums.first));
    AddCgroupCounter(cg_errors, path, {}, static_cast<double>(sums.second));
  }
  out.unresolved_cgroups = paths.TakeUnresolved();

  auto failures = MapUpdateFailuresFamily({{"syscall_errnos", snap.self_stats[HP_STAT_ERRNO_MAP_FULL]},
                                           {"cgroup_syscalls", snap.self_stats[HP_STAT_CGROUP_MAP_FULL]},
                                           {"syscall_inflight", snap.self_stats[HP_STAT_INFLIGHT_FAILED]}});
  auto out_of_range =
      MakeFamily("hostprobe_syscall_ids_out_of_range_total",
                 "Syscalls whose number was outside the table; counted as syscall=\"out_of_range\".",
                 MetricType::Counter);
  AddCounter(out_of_range, {}, static_cast<double>(snap.self_stats[HP_STAT_ID_OUT_OF_RANGE]));

  out.families = {std::move(calls),     std::move(errors),   std::move(latency),     std::move(cg_calls),
                  std::move(cg_errors), std::move(failures), std::move(out_of_range)};
  if (snap.latency_windows.enabled) {
    auto attached = MakeFamily("hostprobe_syscall_latency_sampled_seconds_total",
                               "Time the sys_enter program was attached, timing the calls that started "
                               "(latency sampling windows, --syscall-latency-sample).",
                               MetricType::Counter);
    AddCounter(attached, {}, snap.latency_windows.attached_seconds);
    auto windows = MakeFamily("hostprobe_syscall_latency_windows_total",
                              "Latency sampling windows, by result: ok, or attach_failed (the "
                              "window did not open; the log says why).",
                              MetricType::Counter);
    AddCounter(windows, {{"result", "ok"}}, static_cast<double>(snap.latency_windows.windows));
    AddCounter(windows, {{"result", "attach_failed"}},
               static_cast<double>(snap.latency_windows.attach_failures));
    out.families.push_back(std::move(attached));
    out.families.push_back(std::move(windows));
  }
  return out;
}

SyscallMetrics::SyscallMetrics(SyscallSource& source, const SyscallTable& table, CgroupResolver& cgroups)
    : source_(source), table_(table), collect_("syscalls", cgroups) {}

std::vector<prometheus::MetricFamily> SyscallMetrics::Collect() const {
  return collect_.Collect([&] { return source_.ReadSyscalls(); },
                          [&](const SyscallSnapshot& snap, const CgroupNameFn& name) {
                            return BuildSyscallFamilies(snap, table_, name);
                          },
                          [&](const std::vector<uint64_t>& gone) { source_.ForgetCgroups(gone); });
}

}  // namespace hostprobe
