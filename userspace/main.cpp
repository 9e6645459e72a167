// hostprobe: wires the collectors to the HTTP exporter. No logic of its own.
#include <linux/capability.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "collectors/bpf_features.h"
#include "collectors/bpf_util.h"
#include "collectors/cgroup_cpu_collector.h"
#include "collectors/clock_collector.h"
#include "collectors/diskio_collector.h"
#include "collectors/host_collector.h"
#include "collectors/kube_pod_watcher.h"
#include "collectors/libbpf_log.h"
#include "collectors/map_evictions_collector.h"
#include "collectors/privileges.h"
#include "collectors/process_events_collector.h"
#include "collectors/process_memory_collector.h"
#include "collectors/syscalls_collector.h"
#include "collectors/uprobe_collector.h"
#include "core/cgroup.h"
#include "core/collector.h"
#include "core/heap.h"
#include "core/options.h"
#include "core/probe_spec.h"
#include "core/syscall_table.h"
#include "core/web_config.h"
#include "exporters/prometheus/events_metrics.h"
#include "exporters/prometheus/host_metrics.h"
#include "exporters/prometheus/http_metrics.h"
#include "exporters/prometheus/http_server.h"
#include "exporters/prometheus/map_eviction_metrics.h"
#include "exporters/prometheus/pod_names.h"
#include "exporters/prometheus/process_metrics.h"
#include "exporters/prometheus/resource_metrics.h"
#include "exporters/prometheus/self_metrics.h"
#include "exporters/prometheus/syscall_metrics.h"

namespace {

using namespace hostprobe;

constexpr int kExitStartup = 1;
constexpr int kExitUsage = 2;

int Fail(const std::string& line) {
  std::fprintf(stderr, "hostprobe: %s\n", line.c_str());
  return kExitStartup;
}

// Loading tracing programs needs CAP_BPF + CAP_PERFMON (5.8+) or CAP_SYS_ADMIN.
bool CanLoadBpf() {
  auto caps = ReadThreadCapabilities();
  return !caps || CanLoadTracingPrograms(caps->effective);  // unreadable: let the kernel decide
}

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
  ConfigureHeap();  // before any thread starts
  std::vector<std::string> args(argv, argv + argc);
  auto parsed = ParseOptions(args);
  if (!parsed) {
    std::fprintf(stderr, "hostprobe: %s\nTry 'hostprobe --help' for usage.\n",
                 parsed.error().message.c_str());
    return kExitUsage;
  }
  Options& opts = *parsed;
  if (opts.show_help) {
    std::fputs(Usage("hostprobe").c_str(), stdout);
    return 0;
  }
  if (opts.show_version) {
    std::printf("hostprobe %s\n", HOSTPROBE_VERSION);
    return 0;
  }

  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  const auto sample_interval = duration_cast<milliseconds>(opts.sample_interval);
  const auto leak_window = duration_cast<milliseconds>(opts.leak_window);

  // Probe specs are flags: a malformed one is a usage error, found before
  // anything is loaded.
  auto probe_specs = LoadProbeSpecs(opts.probes, opts.probe_config);
  if (!probe_specs) {
    std::fprintf(stderr, "hostprobe: %s\nTry 'hostprobe --help' for usage.\n",
                 probe_specs.error().message.c_str());
    return kExitUsage;
  }

  // --kubernetes's defaults from the pod's environment, before anything is loaded.
  if (auto st = ResolveFromEnvironment(opts, [](const char* name) { return std::getenv(name); }); !st.ok())
    return Fail(st.error().message);

  // Read before anything is loaded: a bad one stops the sensor at once.
  WebConfig web_config;
  if (!opts.web_config.empty()) {
    auto loaded = LoadWebConfig(opts.web_config);
    if (!loaded) return Fail(loaded.error().message);
    web_config = std::move(*loaded);
  }

  auto logger = spdlog::stderr_color_mt("hostprobe");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(opts.log_level));
  InstallLibbpfLogger();

  // Signals are taken synchronously by the main thread; every thread started
  // from here on inherits the blocked mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  if (!CanLoadBpf())
    return Fail(
        "missing privilege: loading eBPF programs needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN); "
        "run as root, or grant them: setcap cap_bpf,cap_perfmon+ep " +
        args[0]);

  spdlog::info("hostprobe {} starting (listen {}, bpf hook {})", HOSTPROBE_VERSION, opts.ListenAddress(),
               HookModeName(opts.hook_mode));

  std::string cgroup_root = opts.cgroup_root;
  if (cgroup_root.empty()) {
    if (auto root = ChooseCgroup2Root(
            ReadFile((opts.procfs + "/1/mountinfo").c_str()), ReadFile("/proc/self/mountinfo"), opts.rootfs,
            [](const std::string& p) { return access(p.c_str(), R_OK | X_OK) == 0; })) {
      cgroup_root = *root;
    } else {
      spdlog::warn(
          "no cgroup2 filesystem mounted: per-cgroup series are not exported; "
          "mount one (mount -t cgroup2 none /sys/fs/cgroup/unified) or pass --cgroup-root");
    }
  }
  // cgroup2's statfs magic; a hybrid host's /sys/fs/cgroup is a tmpfs.
  cgroup_root = NormalizeCgroup2Root(cgroup_root, [](const std::string& p) {
    struct statfs fs {};
    return statfs(p.c_str(), &fs) == 0 && fs.f_type == 0x63677270;
  });
  CgroupResolver cgroups(cgroup_root);
  cgroups.SetRemovedGrace(duration_cast<milliseconds>(opts.removed_cgroup_grace));
  if (!cgroup_root.empty()) {
    if (auto st = cgroups.Rescan(); !st.ok())
      spdlog::warn("cgroups: {}", st.error().message);
    else
      spdlog::info("cgroups: naming cgroup v2 ids from {} ({} cgroups)", cgroup_root, cgroups.known());
  }

  const SyscallTable table(HostArch());
  BpfFeatures features = ProbeBpfFeatures();
  spdlog::info("kernel features: {}", features.Describe());

  // Each collector starts on its own; one that fails is logged, reported by
  // /healthz and hostprobe_collector_up, and the others run on.
  std::vector<CollectorSlot> slots;
  auto track = [&slots](const char* name, auto& started) {
    if (started.ok()) {
      slots.push_back({name, started->get(), ""});
      spdlog::info("{}: collecting with {} hooks", name, (*started)->hook_family());
    } else {
      slots.push_back({name, nullptr, started.error().message});
      spdlog::error("{}: not started: {}", name, started.error().message);
    }
  };

  SyscallsCollector::Config sys_config;
  sys_config.mode = opts.hook_mode;
  sys_config.latency_sample_every = opts.syscall_latency_sample;
  auto syscalls = SyscallsCollector::Start(sys_config, features);
  track("syscalls", syscalls);
  auto diskio = DiskioCollector::Start(opts.hook_mode, features);
  track("diskio", diskio);
  auto cgroup_cpu = CgroupCpuCollector::Start(opts.hook_mode, features);
  track("cgroup_cpu", cgroup_cpu);

  auto process_events = ProcessEventsCollector::Start(opts.hook_mode, features);
  track("process_events", process_events);
  // Names of cgroups removed before a walk saw them (containers that crash
  // at once), from what the kernel recorded at their exec.
  if (process_events.ok()) {
    CgroupNameSource* names = process_events->get();
    cgroups.SetLearner([names](uint64_t id) { return names->LookupCgroupName(id); });
  }
  ProcessMemoryCollector::Config mem_config;
  mem_config.procfs = opts.procfs;
  mem_config.sample_interval = sample_interval;
  mem_config.leak_window = leak_window;
  mem_config.source = opts.memory_source;
  mem_config.hook_mode = opts.hook_mode;
  mem_config.state_dir = opts.state_dir;
  mem_config.cgroup2_root = cgroup_root;
  auto process_memory = ProcessMemoryCollector::Start(mem_config, features);
  track("process_memory", process_memory);
  ClockCollector clock(ClockCollector::Config{opts.rootfs, nullptr, {}});
  slots.push_back({"clock", &clock, ""});
  // Probes the user asked for are all attached before serving, or the
  // sensor does not start: a probe that silently counts nothing is worse.
  std::unique_ptr<UprobeCollector> uprobes;
  if (!probe_specs->empty()) {
    auto started = UprobeCollector::Start(*probe_specs);
    if (!started) {
      std::fprintf(stderr, "hostprobe: %s\n", started.error().message.c_str());
      return UprobeCollector::IsProbeConfigError(started.error()) ? kExitUsage : kExitStartup;
    }
    uprobes = std::move(*started);
    slots.push_back({"uprobes", uprobes.get(), ""});
  }
  // Last of the eBPF collectors: it watches the LRU maps the others created.
  // Optional (fexit): it never stops the sensor.
  auto evictions = MapEvictionsCollector::Start();
  slots.push_back({"map_evictions", evictions.get(), "", /*optional=*/true});

  if (!syscalls.ok() && !diskio.ok() && !cgroup_cpu.ok()) {
    return Fail("the kernel refused every eBPF collector (" + syscalls.error().message +
                "); check that it allows eBPF (kernel lockdown, seccomp, or a container without "
                "CAP_BPF/CAP_PERFMON refuse it) and see the log above for libbpf's reasons");
  }

  // Everything is loaded and attached and no other thread runs yet (threads
  // inherit the sets of the thread that starts them): drop what the steady
  // state does not need. See docs/security.md.
  if (opts.keep_capabilities) {
    spdlog::info("keeping every capability (--keep-capabilities)");
  } else if (auto st = DropUnneededCapabilities({opts.listen_port, opts.keep_capability_mask}); !st.ok()) {
    return Fail(st.error().message);
  }
  if (process_memory.ok()) (*process_memory)->StartSampling();
  if (syscalls.ok()) (*syscalls)->StartLatencyWindows();

  // /proc and statvfs figures need no eBPF; declared before the server so it
  // outlives Close().
  HostCollector::Config host_config;
  host_config.procfs = opts.procfs;
  host_config.rootfs = opts.rootfs;
  host_config.per_cpu = opts.cpu_per_core;
  HostCollector host(host_config);
  slots.push_back({"host", &host, ""});

  // Pod and container names: listed in the background, never on a scrape.
  std::unique_ptr<KubePodWatcher> kube;
  if (opts.kubernetes) {
    KubePodWatcher::Config kc;
    kc.api_url = opts.kubernetes_api;  // both filled by ResolveFromEnvironment
    kc.node_name = opts.node_name;
    kc.token_file = opts.kubernetes_token_file;
    if (kc.api_url.rfind("https://", 0) == 0) kc.ca_file = opts.kubernetes_ca_file;
    kube = std::make_unique<KubePodWatcher>(kc);
    slots.push_back({"kubernetes", kube.get(), "", /*optional=*/true});
  }

  HttpServer::Handlers handlers;
  handlers.collectables.emplace_back(
      "self", std::make_shared<SelfMetrics>(slots, ReadRecursionMisses, ReadOwnBpfMapMemory));
  handlers.collectables.emplace_back("host", std::make_shared<HostMetrics>(host));
  if (syscalls.ok())
    handlers.collectables.emplace_back("syscalls",
                                       std::make_shared<SyscallMetrics>(**syscalls, table, cgroups));
  if (syscalls.ok())
    handlers.collectables.emplace_back("http", std::make_shared<HttpMetrics>(**syscalls, cgroups));
  if (diskio.ok())
    handlers.collectables.emplace_back(
        "diskio",
        std::make_shared<DiskioMetrics>(
            **diskio, [&host](uint32_t major, uint32_t minor) { return host.DeviceName(major, minor); },
            cgroups));
  if (cgroup_cpu.ok())
    handlers.collectables.emplace_back("cgroup_cpu",
                                       std::make_shared<CgroupCpuMetrics>(**cgroup_cpu, cgroups));
  if (process_events.ok())
    handlers.collectables.emplace_back("process_events",
                                       std::make_shared<ProcessEventsMetrics>(**process_events, cgroups));
  if (process_memory.ok())
    handlers.collectables.emplace_back(
        "process_memory", std::make_shared<ProcessMemoryMetrics>(**process_memory, opts.top_processes));
  handlers.collectables.emplace_back("clock", std::make_shared<ClockMetrics>(clock));
  if (kube)
    handlers.collectables.emplace_back(
        "kubernetes", std::make_shared<PodInfoMetrics>([&kube] { return kube->directory(); }));
  if (uprobes) handlers.collectables.emplace_back("uprobes", std::make_shared<ProbeMetrics>(*uprobes));
  handlers.collectables.emplace_back("map_evictions", std::make_shared<MapEvictionMetrics>(*evictions));
  handlers.health = [&slots] { return CheckHealth(slots); };
  if (opts.max_series_per_family != 0)
    handlers.limiter = std::make_shared<SeriesLimiter>(opts.max_series_per_family);
  const bool tls = web_config.tls.enabled, auth = !web_config.basic_auth_users.empty();
  auto server = HttpServer::Start(opts.ListenAddress(), std::move(handlers), std::move(web_config));
  if (!server) {
    // Only bind errors carry EADDRINUSE; the others come from the web config's TLS setup.
    const bool from_web_config = !opts.web_config.empty() && server.error().err != EADDRINUSE;
    return Fail((from_web_config ? "web config " + opts.web_config + ": " : "") + server.error().message);
  }
  spdlog::info("serving /metrics, /healthz and / on {} ({}, {})", opts.ListenAddress(),
               tls ? "https" : "http", auth ? "basic auth" : "no auth");
  // Loading freed the kernel BTF that each eBPF object parsed; give it back.
  spdlog::debug("start-up: {} KiB of freed heap returned to the kernel", ReleaseFreeHeap() / 1024);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("received {}, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  (*server)->Close();  // no handler runs past this point
  // Destroying the collectors detaches their links, unloads their programs
  // and frees their maps.
  if (syscalls.ok()) syscalls->reset();
  if (diskio.ok()) diskio->reset();
  if (cgroup_cpu.ok()) cgroup_cpu->reset();
  if (process_events.ok()) process_events->reset();
  if (process_memory.ok()) process_memory->reset();
  uprobes.reset();
  evictions.reset();
  spdlog::info("stopped");
  // The listening socket closes with the process; skipping civetweb's mg_stop
  // saves its accept-loop timeout (up to 2 s) on every shutdown.
  (void)server->release();
  // Its thread may be inside an API request for up to the request timeout;
  // exiting ends it, so do not wait.
  (void)kube.release();
  // civetweb's workers may still be parked on idle connections until their
  // request timeout; running static destructors (spdlog's registry, among
  // others) under them would free what they can still touch. Leave at once.
  spdlog::default_logger()->flush();
  std::fflush(nullptr);
  std::_Exit(0);
}
