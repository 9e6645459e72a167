#include "exporters/prometheus/self_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <utility>

#include "exporters/prometheus/family_builder.h"

namespace hostprobe {

using prometheus::MetricType;

namespace {

// The standard process_* metrics every Prometheus exporter serves about itself.
void AddProcessMetrics(std::vector<prometheus::MetricFamily>& out, double start_time_seconds) {
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) == 0) {
    auto cpu = MakeFamily("process_cpu_seconds_total", "User and system CPU time spent by the sensor.",
                          MetricType::Counter);
    AddCounter(cpu, {},
               static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                   static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
    out.push_back(std::move(cpu));
  }
  if (FILE* f = std::fopen("/proc/self/statm", "re")) {
    unsigned long long pages_total = 0, pages_resident = 0;
    if (std::fscanf(f, "%llu %llu", &pages_total, &pages_resident) == 2) {
      const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
      auto rss =
          MakeFamily("process_resident_memory_bytes", "Resident memory of the sensor.", MetricType::Gauge);
      AddGauge(rss, {}, static_cast<double>(pages_resident) * page);
      auto vms =
          MakeFamily("process_virtual_memory_bytes", "Virtual memory of the sensor.", MetricType::Gauge);
      AddGauge(vms, {}, static_cast<double>(pages_total) * page);
      out.push_back(std::move(rss));
      out.push_back(std::move(vms));
    }
    std::fclose(f);
  }
  if (DIR* d = opendir("/proc/self/fd")) {
    double fds = 0;
    while (dirent* e = readdir(d)) fds += e->d_name[0] != '.';
    closedir(d);
    auto open = MakeFamily("process_open_fds", "Open file descriptors of the sensor.", MetricType::Gauge);
    AddGauge(open, {}, fds - 1);  // minus the one reading the directory
    out.push_back(std::move(open));
  }
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    auto max = MakeFamily("process_max_fds", "File descriptor limit of the sensor.", MetricType::Gauge);
    AddGauge(max, {}, static_cast<double>(lim.rlim_cur));
    out.push_back(std::move(max));
  }
  auto start = MakeFamily("process_start_time_seconds", "Start time of the sensor, seconds since the epoch.",
                          MetricType::Gauge);
  AddGauge(start, {}, start_time_seconds);
  out.push_back(std::move(start));
}

}  // namespace

std::vector<ProgramRecursionMisses> CollectRecursionMisses(const std::vector<CollectorSlot>& slots,
                                                           const RecursionMissesReader& read) {
  std::vector<ProgramRecursionMisses> out;
  if (!read) return out;
  for (const CollectorSlot& slot : slots) {
    if (slot.live == nullptr) continue;
    for (const HookStatus& h : slot.live->hooks()) {
      // A program that failed to attach is still loaded and still counted:
      // hp_sys_enter between its latency windows, say.
      if (h.prog_fd < 0) continue;
      if (auto misses = read(h.prog_fd)) out.push_back({h.name, *misses});
    }
  }
  return out;
}

prometheus::MetricFamily BuildRecursionMissesFamily(const std::vector<ProgramRecursionMisses>& programs) {
  auto f = MakeFamily("hostprobe_bpf_program_recursion_misses_total",
                      "Runs of the kernel program that the kernel skipped because a BPF program was already "
                      "running on that CPU (bpf_prog_info recursion_misses).",
                      MetricType::Counter);
  for (const auto& p : programs) AddCounter(f, {{"program", p.program}}, static_cast<double>(p.misses));
  return f;
}

std::vector<prometheus::MetricFamily> BuildMapMemoryFamilies(const std::vector<BpfMapMemory>& maps) {
  std::map<std::string, uint64_t> by_name;
  uint64_t total = 0;
  for (const auto& m : maps) {
    by_name[m.map] += m.bytes;
    total += m.bytes;
  }
  auto each = MakeFamily("hostprobe_bpf_map_memory_bytes",
                         "Kernel memory held by each of the sensor's BPF maps (fdinfo memlock), by map name; "
                         "maps of one name are summed.",
                         MetricType::Gauge);
  for (const auto& [name, bytes] : by_name) AddGauge(each, {{"map", name}}, static_cast<double>(bytes));
  auto sum = MakeFamily("hostprobe_bpf_maps_memory_bytes",
                        "Kernel memory held by all of the sensor's BPF maps (the sum of "
                        "hostprobe_bpf_map_memory_bytes); not charged to the sensor's own RSS.",
                        MetricType::Gauge);
  AddGauge(sum, {}, static_cast<double>(total));
  std::vector<prometheus::MetricFamily> out;
  out.push_back(std::move(each));
  out.push_back(std::move(sum));
  return out;
}

SelfMetrics::SelfMetrics(const std::vector<CollectorSlot>& slots, RecursionMissesReader read_misses,
                         BpfMapMemoryReader read_maps)
    : slots_(slots),
      read_misses_(std::move(read_misses)),
      read_maps_(std::move(read_maps)),
      start_time_seconds_(
          std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count()) {}

std::vector<CollectorStatus> SelfMetrics::Statuses() const {
  std::lock_guard lock(status_mu_);
  const auto now = std::chrono::steady_clock::now();
  if (!have_statuses_ || statuses_.size() != slots_.size() || now - statuses_at_ >= std::chrono::seconds(1)) {
    statuses_.clear();
    for (const CollectorSlot& slot : slots_) statuses_.push_back(StatusOf(slot));
    statuses_at_ = now;
    have_statuses_ = true;
  }
  return statuses_;
}

std::vector<BpfMapMemory> SelfMetrics::MapMemory() const {
  std::lock_guard lock(maps_mu_);
  const auto now = std::chrono::steady_clock::now();
  if (!maps_at_ || now - *maps_at_ >= kMapMemoryRefresh) {
    maps_ = read_maps_();
    maps_at_ = now;
  }
  return maps_;
}

std::vector<prometheus::MetricFamily> SelfMetrics::Collect() const {
  auto build = MakeFamily("hostprobe_build_info", "Build of the running sensor; value is always 1.",
                          MetricType::Gauge);
  AddGauge(build, {{"version", HOSTPROBE_VERSION}}, 1);

  auto attached = MakeFamily("hostprobe_bpf_program_attached",
                             "1 when the kernel program is attached, 0 when it failed to load or attach.",
                             MetricType::Gauge);
  auto up = MakeFamily("hostprobe_collector_up",
                       "1 when the collector runs and passes its health check (degraded included), 0 when it "
                       "failed to start or fails its health check (/healthz says why).",
                       MetricType::Gauge);
  auto degraded = MakeFamily("hostprobe_collector_degraded",
                             "1 when the collector runs without an optional part (a hook the kernel refused, "
                             "the API server for pod names); /healthz says which.",
                             MetricType::Gauge);
  const std::vector<CollectorStatus> statuses = Statuses();
  for (size_t i = 0; i < slots_.size(); ++i) {
    const CollectorSlot& slot = slots_[i];
    const CollectorStatus& st = statuses[i];
    AddGauge(up, {{"collector", slot.name}}, st.up ? 1 : 0);
    AddGauge(degraded, {{"collector", slot.name}}, st.state == CollectorState::kDegraded ? 1 : 0);
    if (slot.live == nullptr) continue;
    for (const HookStatus& h : slot.live->hooks())
      AddGauge(attached, {{"program", h.name}}, h.attached ? 1 : 0);
  }
  std::vector<prometheus::MetricFamily> out;
  out.push_back(std::move(build));
  out.push_back(std::move(attached));
  out.push_back(std::move(up));
  out.push_back(std::move(degraded));
  // Absent, not zero, where the kernel does not count misses (before 5.12).
  if (auto misses = CollectRecursionMisses(slots_, read_misses_); !misses.empty())
    out.push_back(BuildRecursionMissesFamily(misses));
  if (read_maps_) {
    for (auto& f : BuildMapMemoryFamilies(MapMemory())) out.push_back(std::move(f));
  }
  AddProcessMetrics(out, start_time_seconds_);
  return out;
}

}  // namespace hostprobe
