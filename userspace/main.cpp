// hostprobe: flags, environment and privileges, then the sensor
// (sensor_collectors.h) behind the HTTP exporter. No policy of its own.
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "collectors/bpf_features.h"
#include "collectors/libbpf_log.h"
#include "collectors/privileges.h"
#include "core/cgroup.h"
#include "core/heap.h"
#include "core/options.h"
#include "core/probe_spec.h"
#include "core/sensor.h"
#include "core/web_config.h"
#include "exporters/prometheus/http_server.h"
#include "sensor_collectors.h"

namespace {

using namespace hostprobe;

constexpr int kExitStartup = 1;
constexpr int kExitUsage = 2;

int Fail(const std::string& line, int code = kExitStartup) {
  std::fprintf(stderr, "hostprobe: %s\n", line.c_str());
  return code;
}

int UsageError(const std::string& line) {
  return Fail(line + "\nTry 'hostprobe --help' for usage.", kExitUsage);
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
  if (!parsed) return UsageError(parsed.error().message);
  Options& opts = *parsed;
  if (opts.show_help) {
    std::fputs(Usage("hostprobe").c_str(), stdout);
    return 0;
  }
  if (opts.show_version) {
    std::printf("hostprobe %s\n", HOSTPROBE_VERSION);
    return 0;
  }

  // Probe specs are flags: a malformed one is a usage error, found before
  // anything is loaded.
  auto probe_specs = LoadProbeSpecs(opts.probes, opts.probe_config);
  if (!probe_specs) return UsageError(probe_specs.error().message);

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
  cgroups.SetRemovedGrace(std::chrono::duration_cast<std::chrono::milliseconds>(opts.removed_cgroup_grace));
  if (!cgroup_root.empty()) {
    if (auto st = cgroups.Rescan(); !st.ok())
      spdlog::warn("cgroups: {}", st.error().message);
    else
      spdlog::info("cgroups: naming cgroup v2 ids from {} ({} cgroups)", cgroup_root, cgroups.known());
  }

  const BpfFeatures features = ProbeBpfFeatures();
  spdlog::info("kernel features: {}", features.Describe());

  // Each collector starts on its own; what a failure means is the sensor's
  // to decide (core/sensor.h). The capability drop comes once everything is
  // loaded and attached, before any thread starts. See docs/security.md.
  Sensor sensor(SensorCollectors({opts, *probe_specs, features, cgroups}), LogToSpdlog);
  if (auto failed = sensor.Start(CapabilityDrop(opts)))
    return Fail(failed->message, failed->usage ? kExitUsage : kExitStartup);

  const bool tls = web_config.tls.enabled, auth = !web_config.basic_auth_users.empty();
  auto server = HttpServer::Start(opts.ListenAddress(), SensorHandlers(sensor, opts), std::move(web_config));
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
  // Detaches every link, unloads every program, frees every map. What is
  // left running (the pod watcher, possibly inside an API request) ends
  // with the process: no destructor runs past _Exit.
  auto left_running = sensor.Stop();
  spdlog::info("stopped");
  // The listening socket closes with the process; skipping civetweb's mg_stop
  // saves its accept-loop timeout (up to 2 s) on every shutdown.
  (void)server->release();
  // civetweb's workers may still be parked on idle connections until their
  // request timeout; running static destructors (spdlog's registry, among
  // others) under them would free what they can still touch. Leave at once.
  spdlog::default_logger()->flush();
  std::fflush(nullptr);
  std::_Exit(0);
}
