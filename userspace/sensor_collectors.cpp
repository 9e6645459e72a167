#include "sensor_collectors.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "collectors/bpf_util.h"
#include "collectors/cgroup_cpu_collector.h"
#include "collectors/clock_collector.h"
#include "collectors/diskio_collector.h"
#include "collectors/host_collector.h"
#include "collectors/kube_pod_watcher.h"
#include "collectors/map_evictions_collector.h"
#include "collectors/privileges.h"
#include "collectors/process_events_collector.h"
#include "collectors/process_memory_collector.h"
#include "collectors/syscalls_collector.h"
#include "collectors/uprobe_collector.h"
#include "core/syscall_table.h"
#include "exporters/prometheus/events_metrics.h"
#include "exporters/prometheus/host_metrics.h"
#include "exporters/prometheus/http_metrics.h"
#include "exporters/prometheus/map_eviction_metrics.h"
#include "exporters/prometheus/pod_names.h"
#include "exporters/prometheus/process_metrics.h"
#include "exporters/prometheus/resource_metrics.h"
#include "exporters/prometheus/self_metrics.h"
#include "exporters/prometheus/syscall_metrics.h"

namespace hostprobe {
namespace {

// A descriptor written against the collector's own type; Register erases it.
// Fields as in CollectorDescriptor.
template <typename C>
struct Registration {
  std::string name{};
  std::string needs{};
  Need need = Need::kExpected;
  Stage stage = Stage::kLoad;
  bool enabled = true;
  bool quorum = false;
  bool outlives_stop = false;
  std::function<Result<std::unique_ptr<C>>()> start{};
  std::function<bool(const Error&)> usage_error{};
  const std::string& (C::*hook_family)() const = nullptr;
  std::function<void(C&)> steady{};
  std::function<Collectables(C&)> families{};
};

template <typename C>
CollectorDescriptor Register(Registration<C> r) {
  CollectorDescriptor d;
  d.name = std::move(r.name);
  d.needs = std::move(r.needs);
  d.need = r.need;
  d.stage = r.stage;
  d.enabled = r.enabled;
  d.quorum = r.quorum;
  d.outlives_stop = r.outlives_stop;
  d.start = [start = std::move(r.start)]() -> Result<std::unique_ptr<Collector>> {
    auto started = start();
    if (!started.ok()) return started.error();
    return std::unique_ptr<Collector>(std::move(*started));
  };
  d.usage_error = std::move(r.usage_error);
  if (auto family = r.hook_family)
    d.hook_family = [family](Collector& c) { return (static_cast<C&>(c).*family)(); };
  if (auto steady = std::move(r.steady)) d.steady = [steady](Collector& c) { steady(static_cast<C&>(c)); };
  if (auto families = std::move(r.families))
    d.families = [families](Collector& c) { return families(static_cast<C&>(c)); };
  return d;
}

template <typename M, typename... Args>
NamedCollectable Family(const char* name, Args&&... args) {
  return {name, std::make_shared<M>(std::forward<Args>(args)...)};
}

}  // namespace

std::vector<CollectorDescriptor> SensorCollectors(const SensorInputs& in) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  const Options& opts = in.opts;
  const BpfFeatures& features = in.features;
  CgroupResolver& cgroups = in.cgroups;
  // The host collector names block devices for diskio's families; it starts
  // after the drop, before any families are collected.
  auto host = std::make_shared<HostCollector*>(nullptr);
  auto syscall_table = std::make_shared<const SyscallTable>(HostArch());

  SyscallsCollector::Config sys_config;
  sys_config.mode = opts.hook_mode;
  sys_config.latency_sample_every = opts.syscall_latency_sample;
  ProcessMemoryCollector::Config mem_config;
  mem_config.procfs = opts.procfs;
  mem_config.sample_interval = duration_cast<milliseconds>(opts.sample_interval);
  mem_config.leak_window = duration_cast<milliseconds>(opts.leak_window);
  mem_config.source = opts.memory_source;
  mem_config.hook_mode = opts.hook_mode;
  mem_config.state_dir = opts.state_dir;
  mem_config.cgroup2_root = cgroups.root();
  HostCollector::Config host_config;
  host_config.procfs = opts.procfs;
  host_config.rootfs = opts.rootfs;
  host_config.per_cpu = opts.cpu_per_core;
  KubePodWatcher::Config kube_config;
  kube_config.api_url = opts.kubernetes_api;  // both filled by ResolveFromEnvironment
  kube_config.node_name = opts.node_name;
  kube_config.token_file = opts.kubernetes_token_file;
  if (kube_config.api_url.rfind("https://", 0) == 0) kube_config.ca_file = opts.kubernetes_ca_file;
  const HookMode mode = opts.hook_mode;
  const uint32_t top_processes = opts.top_processes;
  const std::string rootfs = opts.rootfs;

  std::vector<CollectorDescriptor> table;
  table.push_back(Register<SyscallsCollector>({
      .name = "syscalls",
      .needs = "tp_btf or raw_tp: sys_enter/sys_exit; tp_btf: sched_process_exit/sched_migrate_task",
      .quorum = true,
      .start = [=, &features] { return SyscallsCollector::Start(sys_config, features); },
      .hook_family = &SyscallsCollector::hook_family,
      .steady = [](SyscallsCollector& c) { c.StartLatencyWindows(); },
      .families =
          [=, &cgroups](SyscallsCollector& c) {
            return Collectables{Family<SyscallMetrics>("syscalls", c, *syscall_table, cgroups),
                                Family<HttpMetrics>("http", c, cgroups)};
          },
  }));
  table.push_back(Register<DiskioCollector>({
      .name = "diskio",
      .needs = "tp_btf or raw_tp: block_rq_issue/block_rq_complete/block_bio_queue",
      .quorum = true,
      .start = [=, &features] { return DiskioCollector::Start(mode, features); },
      .hook_family = &DiskioCollector::hook_family,
      .families =
          [=, &cgroups](DiskioCollector& c) {
            HostCollector* names = *host;
            DeviceNamer device_name = [names](uint32_t major, uint32_t minor) {
              return names ? names->DeviceName(major, minor) : std::nullopt;
            };
            return Collectables{Family<DiskioMetrics>("diskio", c, std::move(device_name), cgroups)};
          },
  }));
  table.push_back(Register<CgroupCpuCollector>({
      .name = "cgroup_cpu",
      .needs = "tp_btf or raw_tp: sched_switch",
      .quorum = true,
      .start = [=, &features] { return CgroupCpuCollector::Start(mode, features); },
      .hook_family = &CgroupCpuCollector::hook_family,
      .families =
          [&cgroups](CgroupCpuCollector& c) {
            return Collectables{Family<CgroupCpuMetrics>("cgroup_cpu", c, cgroups)};
          },
  }));
  table.push_back(Register<ProcessEventsCollector>({
      .name = "process_events",
      .needs = "tp_btf or raw_tp: sched_process_exec/sched_process_exit/mark_victim/signal_generate",
      .start = [=, &features, &cgroups]() -> Result<std::unique_ptr<ProcessEventsCollector>> {
        auto started = ProcessEventsCollector::Start(mode, features);
        // Names of cgroups removed before a walk saw them (containers
        // that crash at once), from what the kernel recorded at their exec.
        if (started.ok()) {
          CgroupNameSource* names = started->get();
          cgroups.SetLearner([names](uint64_t id) { return names->LookupCgroupName(id); });
        }
        return started;
      },
      .hook_family = &ProcessEventsCollector::hook_family,
      .families =
          [&cgroups](ProcessEventsCollector& c) {
            return Collectables{Family<ProcessEventsMetrics>("process_events", c, cgroups)};
          },
  }));
  table.push_back(Register<ProcessMemoryCollector>({
      .name = "process_memory",
      .needs = "iter/task, tp_btf or raw_tp: sched_process_exec/sched_process_exit (or /proc alone)",
      .start = [=, &features] { return ProcessMemoryCollector::Start(mem_config, features); },
      .hook_family = &ProcessMemoryCollector::hook_family,
      .steady = [](ProcessMemoryCollector& c) { c.StartSampling(); },
      .families =
          [=](ProcessMemoryCollector& c) {
            return Collectables{Family<ProcessMemoryMetrics>("process_memory", c, top_processes)};
          },
  }));
  table.push_back(Register<ClockCollector>({
      .name = "clock",
      .needs = "adjtimex(2), no eBPF",
      .start =
          [=] {
            return std::make_unique<ClockCollector>(ClockCollector::Config{rootfs, nullptr, {}});
          },
      .families = [](ClockCollector& c) { return Collectables{Family<ClockMetrics>("clock", c)}; },
  }));
  // Probes the user asked for are all attached before serving, or the sensor
  // does not start: a probe that silently counts nothing is worse.
  table.push_back(Register<UprobeCollector>({
      .name = "uprobes",
      .needs = "uprobe/uretprobe/usdt on the probed binaries",
      .need = Need::kRequired,
      .enabled = !in.probes.empty(),
      .start = [probes = in.probes] { return UprobeCollector::Start(probes); },
      .usage_error = &UprobeCollector::IsProbeConfigError,
      .families = [](UprobeCollector& c) { return Collectables{Family<ProbeMetrics>("uprobes", c)}; },
  }));
  // Last of the eBPF collectors: it watches the LRU maps the others created.
  table.push_back(Register<MapEvictionsCollector>({
      .name = "map_evictions",
      .needs = "fexit: htab_lru_map_delete_node (BPF trampolines)",
      .need = Need::kOptional,
      .start = [] { return MapEvictionsCollector::Start(); },
      .families =
          [](MapEvictionsCollector& c) {
            return Collectables{Family<MapEvictionMetrics>("map_evictions", c)};
          },
  }));
  // /proc and statvfs figures need no eBPF.
  table.push_back(Register<HostCollector>({
      .name = "host",
      .needs = "/proc and statvfs, no eBPF",
      .stage = Stage::kSteady,
      .start =
          [=] {
            auto started = std::make_unique<HostCollector>(host_config);
            *host = started.get();
            return started;
          },
      .families = [](HostCollector& c) { return Collectables{Family<HostMetrics>("host", c)}; },
  }));
  // Pod and container names: listed in the background, never on a scrape.
  // Its thread may be inside an API request for up to the request timeout
  // at shutdown; the process exit ends it.
  table.push_back(Register<KubePodWatcher>({
      .name = "kubernetes",
      .needs = "the API server's pod list, no eBPF",
      .need = Need::kOptional,
      .stage = Stage::kSteady,
      .enabled = opts.kubernetes,
      .outlives_stop = true,
      .start = [=] { return std::make_unique<KubePodWatcher>(kube_config); },
      .families =
          [](KubePodWatcher& c) {
            return Collectables{Family<PodInfoMetrics>("kubernetes", [&c] { return c.directory(); })};
          },
  }));
  return table;
}

void LogToSpdlog(LogLevel level, const std::string& line) {
  static constexpr spdlog::level::level_enum kLevels[] = {spdlog::level::debug, spdlog::level::info,
                                                          spdlog::level::warn, spdlog::level::err};
  spdlog::log(kLevels[static_cast<int>(level)], "{}", line);
}

std::function<Status()> CapabilityDrop(const Options& opts) {
  return
      [keep = opts.keep_capabilities, config = PrivilegeConfig{opts.listen_port, opts.keep_capability_mask}] {
        if (!keep) return DropUnneededCapabilities(config);
        spdlog::info("keeping every capability (--keep-capabilities)");
        return Status(Ok{});
      };
}

HttpServer::Handlers SensorHandlers(const Sensor& sensor, const Options& opts) {
  HttpServer::Handlers handlers;
  handlers.collectables.emplace_back(
      "self", std::make_shared<SelfMetrics>(sensor.slots(), ReadRecursionMisses, ReadOwnBpfMapMemory));
  for (NamedCollectable& c : sensor.collectables()) handlers.collectables.push_back(std::move(c));
  handlers.health = [&sensor] { return sensor.Health(); };
  if (opts.max_series_per_family != 0)
    handlers.limiter = std::make_shared<SeriesLimiter>(opts.max_series_per_family);
  return handlers;
}

}  // namespace hostprobe
