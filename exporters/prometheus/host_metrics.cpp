#include "exporters/prometheus/host_metrics.h"

#include <spdlog/spdlog.h>

#include <optional>
#include <utility>

#include "exporters/prometheus/family_builder.h"

namespace hostprobe {

using prometheus::MetricType;

namespace {

void AddCpuModes(prometheus::MetricFamily& f, const CpuSeconds& s, const std::string* cpu) {
  const std::pair<const char*, double> modes[] = {
      {"user", s.user},     {"nice", s.nice}, {"system", s.system},   {"idle", s.idle},
      {"iowait", s.iowait}, {"irq", s.irq},   {"softirq", s.softirq}, {"steal", s.steal}};
  for (const auto& [mode, seconds] : modes) {
    if (cpu != nullptr)
      AddCounter(f, {{"cpu", *cpu}, {"mode", mode}}, seconds);
    else
      AddCounter(f, {{"mode", mode}}, seconds);
  }
}

void AddIfPresent(std::vector<prometheus::MetricFamily>& out, const char* name, const char* help,
                  const std::optional<uint64_t>& bytes) {
  if (!bytes) return;
  auto f = MakeFamily(name, help, MetricType::Gauge);
  AddGauge(f, {}, static_cast<double>(*bytes));
  out.push_back(std::move(f));
}

void KeepIfNotEmpty(std::vector<prometheus::MetricFamily>& out, prometheus::MetricFamily f) {
  if (!f.metric.empty()) out.push_back(std::move(f));
}

}  // namespace

std::vector<prometheus::MetricFamily> BuildHostFamilies(const HostSnapshot& snap) {
  std::vector<prometheus::MetricFamily> out;

  auto cpu = MakeFamily("hostprobe_cpu_seconds_total",
                        "CPU time since boot summed over all CPUs, by mode (/proc/stat; user and nice "
                        "include time spent running guests).",
                        MetricType::Counter);
  AddCpuModes(cpu, snap.cpu, nullptr);
  out.push_back(std::move(cpu));

  auto cores = MakeFamily("hostprobe_cpu_core_seconds_total",
                          "CPU time since boot per online CPU, by mode (only with --cpu-per-core).",
                          MetricType::Counter);
  for (const CoreSeconds& c : snap.cpu_cores) {
    const std::string id = std::to_string(c.cpu);
    AddCpuModes(cores, c.seconds, &id);
  }
  KeepIfNotEmpty(out, std::move(cores));

  const MemInfo& mem = snap.memory;
  AddIfPresent(out, "hostprobe_memory_total_bytes",
               "Usable RAM: physical memory less what firmware and the kernel image reserve (MemTotal).",
               mem.total_bytes);
  AddIfPresent(out, "hostprobe_memory_available_bytes",
               "Kernel's estimate of memory available to start new work without swapping, counting "
               "reclaimable cache (MemAvailable; absent on kernels before 3.14).",
               mem.available_bytes);
  AddIfPresent(out, "hostprobe_memory_free_bytes",
               "Memory not used for anything, not even cache (MemFree); usually far below what is "
               "available.",
               mem.free_bytes);
  AddIfPresent(out, "hostprobe_memory_cached_bytes",
               "Page cache, including tmpfs and shared memory, excluding swap cache (Cached).",
               mem.cached_bytes);
  AddIfPresent(out, "hostprobe_memory_buffers_bytes",
               "Block device buffers: cached filesystem metadata and raw block I/O (Buffers).",
               mem.buffers_bytes);
  AddIfPresent(out, "hostprobe_swap_total_bytes", "Swap space configured (SwapTotal).", mem.swap_total_bytes);
  AddIfPresent(out, "hostprobe_swap_free_bytes", "Swap space not in use (SwapFree).", mem.swap_free_bytes);

  auto pressure = MakeFamily(
      "hostprobe_pressure_stalled_seconds_total",
      "Time since boot during which tasks waited for a resource (pressure stall information, "
      "/proc/pressure). kind=\"some\": at least one task was stalled; kind=\"full\": all non-idle tasks "
      "were stalled at once. Only what the kernel reports.",
      MetricType::Counter);
  for (const ResourcePressure& r : snap.pressure) {
    AddCounter(pressure, {{"resource", r.resource}, {"kind", "some"}},
               static_cast<double>(r.pressure.some.total_us) / 1e6);
    if (r.pressure.full)
      AddCounter(pressure, {{"resource", r.resource}, {"kind", "full"}},
                 static_cast<double>(r.pressure.full->total_us) / 1e6);
  }
  KeepIfNotEmpty(out, std::move(pressure));

  auto size = MakeFamily("hostprobe_filesystem_size_bytes",
                         "Size of the filesystem (statvfs f_blocks * f_frsize).", MetricType::Gauge);
  auto avail = MakeFamily("hostprobe_filesystem_avail_bytes",
                          "Free space that unprivileged users may still use (f_bavail * f_frsize).",
                          MetricType::Gauge);
  auto free =
      MakeFamily("hostprobe_filesystem_free_bytes",
                 "Free space, including blocks reserved for root (f_bfree * f_frsize).", MetricType::Gauge);
  auto files = MakeFamily("hostprobe_filesystem_files",
                          "Inodes in the filesystem (f_files; 0 for filesystems without a fixed number).",
                          MetricType::Gauge);
  auto files_free =
      MakeFamily("hostprobe_filesystem_files_free", "Free inodes (f_ffree).", MetricType::Gauge);
  auto stuck = MakeFamily("hostprobe_filesystem_stuck",
                          "1 when statvfs on the mount has not returned within its deadline (1s by default), "
                          "as on a hung network filesystem; the size metrics then keep the values read "
                          "before. 0 otherwise.",
                          MetricType::Gauge);
  auto errors = MakeFamily("hostprobe_filesystem_stat_errors_total",
                           "statvfs calls on the mount point that failed (permission denied, stale NFS "
                           "handle, ...). No size metrics are exported while the latest call failed.",
                           MetricType::Counter);
  for (const FilesystemSnapshot& f : snap.filesystems) {
    // The same three labels for every gauge, so they can be divided.
    const std::initializer_list<std::pair<const char*, std::string>> labels = {
        {"device", f.device}, {"mountpoint", f.mount_point}, {"fstype", f.fstype}};
    if (f.usage) {
      AddGauge(size, labels, static_cast<double>(f.usage->size_bytes));
      AddGauge(avail, labels, static_cast<double>(f.usage->avail_bytes));
      AddGauge(free, labels, static_cast<double>(f.usage->free_bytes));
      AddGauge(files, labels, static_cast<double>(f.usage->files));
      AddGauge(files_free, labels, static_cast<double>(f.usage->files_free));
    }
    AddGauge(stuck, labels, f.stuck ? 1 : 0);
    AddCounter(errors, {{"mountpoint", f.mount_point}}, static_cast<double>(f.stat_errors));
  }
  for (auto* f : {&size, &avail, &free, &files, &files_free, &stuck, &errors})
    KeepIfNotEmpty(out, std::move(*f));
  return out;
}

std::vector<prometheus::MetricFamily> HostMetrics::Collect() const {
  // Read without a lock of ours: it can take up to the statvfs deadline, and
  // concurrent scrapes share the collector's own synchronisation.
  auto snap = source_.Read();
  return CollectSnapshot(read_errors_, snap, [&](const HostSnapshot& host) {
    if (!host.problems.empty()) read_errors_.Count();
    // A file that stays malformed is logged when it first goes wrong, not on every scrape.
    std::set<std::string> now(host.problems.begin(), host.problems.end());
    {
      std::lock_guard lock(mu_);
      for (const std::string& p : now)
        if (!logged_problems_.contains(p)) spdlog::warn("host: {}", p);
      logged_problems_ = std::move(now);
    }
    return BuildHostFamilies(host);
  });
}

}  // namespace hostprobe
