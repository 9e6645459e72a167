#include "exporters/prometheus/resource_metrics.h"

#include <array>

#include "core/histogram.h"
#include "exporters/prometheus/family_builder.h"

namespace hostprobe {

using prometheus::MetricType;

CgroupFamilies BuildDiskioFamilies(const DiskioSnapshot& snap, const DeviceNamer& device_name,
                                   const CgroupNameFn& cgroup_name) {
  CgroupFamilies out;
  auto bytes = MakeFamily("hostprobe_disk_io_bytes_total",
                          "Bytes completed by the block layer, by device and op (eBPF, block_rq_complete).",
                          MetricType::Counter);
  auto ops = MakeFamily("hostprobe_disk_io_operations_total", "Block requests completed, by device and op.",
                        MetricType::Counter);
  auto latency =
      MakeFamily("hostprobe_disk_io_latency_seconds",
                 "Time from issue to the device until completion, by device and op.", MetricType::Histogram);
  for (const DiskCounts& d : snap.disks) {
    std::string dev = device_name ? device_name(d.major, d.minor).value_or("") : "";
    if (dev.empty()) dev = std::to_string(d.major) + ":" + std::to_string(d.minor);
    const std::string op = DiskOpName(d.op);
    AddCounter(bytes, {{"device", dev}, {"op", op}}, static_cast<double>(d.bytes));
    AddCounter(ops, {{"device", dev}, {"op", op}}, static_cast<double>(d.ops));
    auto h = LatencyHistogram(d.latency_slots, d.latency_sum_ns);
    if (h.count != 0) AddHistogram(latency, {{"device", dev}, {"op", op}}, h);
  }

  auto cg_bytes =
      MakeFamily("hostprobe_cgroup_disk_io_bytes_total",
                 "Block I/O bytes by cgroup (v2 path) and op, counted per bio of blk-mq disks as "
                 "it is submitted, as io.stat counts them: the cgroup the block layer charges (the "
                 "bio's blkcg) where the io "
                 "controller is on cgroup v2, else the submitting task's (writeback submitted by "
                 "kernel threads then lands on the root); see "
                 "hostprobe_cgroup_disk_io_bios_total.",
                 MetricType::Counter);
  using OpBytes = std::array<uint64_t, HP_DISK_OP__COUNT>;
  CgroupPaths paths(cgroup_name);
  auto by_path = SumByCgroupPath<OpBytes>(snap.cgroups, paths, [](OpBytes& sums, const CgroupDiskBytes& c) {
    for (size_t op = 0; op < HP_DISK_OP__COUNT; ++op) sums[op] += c.bytes[op];
  });
  for (const auto& [path, sums] : by_path) {
    for (uint32_t op = 0; op < HP_DISK_OP__COUNT; ++op) {
      if (sums[op] != 0)
        AddCgroupCounter(cg_bytes, path, {{"op", DiskOpName(op)}}, static_cast<double>(sums[op]));
    }
  }
  out.unresolved_cgroups = paths.TakeUnresolved();

  auto failures = MapUpdateFailuresFamily({{"disk_stats", snap.self_stats[HP_DISK_STAT_DISK_MAP_FULL]},
                                           {"disk_cgroups", snap.self_stats[HP_DISK_STAT_CGROUP_MAP_FULL]},
                                           {"disk_inflight", snap.self_stats[HP_DISK_STAT_INFLIGHT_FAILED]}});

  auto attributed = MakeFamily(
      "hostprobe_cgroup_disk_io_bios_total",
      "Bios counted in hostprobe_cgroup_disk_io_bytes_total, by how their cgroup was found: "
      "blkcg (the cgroup the block layer charges, where the io controller is on cgroup v2) or task "
      "(the cgroup of the task that submitted the bio).",
      MetricType::Counter);
  AddCounter(attributed, {{"source", "blkcg"}}, static_cast<double>(snap.self_stats[HP_DISK_STAT_BY_BLKCG]));
  AddCounter(attributed, {{"source", "task"}}, static_cast<double>(snap.self_stats[HP_DISK_STAT_BY_TASK]));
  out.families = {std::move(bytes),    std::move(ops),      std::move(latency),
                  std::move(cg_bytes), std::move(failures), std::move(attributed)};
  return out;
}

CgroupFamilies BuildCgroupCpuFamilies(const CgroupCpuSnapshot& snap, const CgroupNameFn& cgroup_name) {
  CgroupFamilies out;
  auto cpu =
      MakeFamily("hostprobe_cgroup_cpu_seconds_total",
                 "On-CPU time of the tasks of a cgroup (v2 path), measured at context switches (eBPF).",
                 MetricType::Counter);
  CgroupPaths paths(cgroup_name);
  auto by_path = SumByCgroupPath<uint64_t>(snap.cgroups, paths,
                                           [](uint64_t& ns, const CgroupCpuTime& c) { ns += c.ns; });
  for (const auto& [path, ns] : by_path) AddCgroupCounter(cpu, path, {}, static_cast<double>(ns) / 1e9);
  out.unresolved_cgroups = paths.TakeUnresolved();

  auto failures = MapUpdateFailuresFamily({{"cgroup_cpu", snap.self_stats[HP_CPU_STAT_CGROUP_MAP_FULL]}});
  out.families = {std::move(cpu), std::move(failures)};
  return out;
}

std::vector<prometheus::MetricFamily> DiskioMetrics::Collect() const {
  return collect_.Collect([&] { return source_.ReadDiskio(); },
                          [&](const DiskioSnapshot& snap, const CgroupNameFn& name) {
                            return BuildDiskioFamilies(snap, device_name_, name);
                          },
                          [&](const std::vector<uint64_t>& gone) { source_.ForgetCgroups(gone); });
}

std::vector<prometheus::MetricFamily> CgroupCpuMetrics::Collect() const {
  return collect_.Collect([&] { return source_.ReadCgroupCpu(); }, BuildCgroupCpuFamilies,
                          [&](const std::vector<uint64_t>& gone) { source_.ForgetCgroups(gone); });
}

}  // namespace hostprobe
