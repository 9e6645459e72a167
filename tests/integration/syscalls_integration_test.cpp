// End-to-end: the real sensor on the real kernel, scraped over HTTP.
// Needs root (loads eBPF programs); skipped with a message otherwise.
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "core/cgroup.h"
#include "test_support.h"

namespace hostprobe::testing {
namespace {

constexpr const char* kSensor = HOSTPROBE_BIN;
constexpr const char* kWorkload = WORKLOAD_BIN;

bool IsRoot() { return geteuid() == 0; }

#define REQUIRE_ROOT() \
  if (!IsRoot()) GTEST_SKIP() << "integration tests load eBPF programs: run them as root"

int RunWorkload(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {kWorkload};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out;
  int rc = RunCommand(argv, &out);
  if (rc != 0) ADD_FAILURE() << "workload failed (" << rc << "): " << out;
  return rc;
}

// A running sensor, started with the given flags, and its scrapes.
class SensorFixture {
 protected:
  void StartSensor(const std::vector<std::string>& args) {
    sensor_ = std::make_unique<SensorProcess>(kSensor, args);
    ASSERT_TRUE(sensor_->Start());
    ASSERT_TRUE(sensor_->WaitHealthy()) << "sensor never became healthy; log:\n" << sensor_->Log();
  }

  Exposition Scrape() {
    std::string body = sensor_->Scrape();
    EXPECT_FALSE(body.empty()) << sensor_->Log();
    return ParseExposition(body);
  }

  std::unique_ptr<SensorProcess> sensor_;
};

class SyscallsTest : public ::testing::TestWithParam<std::string>, protected SensorFixture {
 protected:
  void SetUp() override {
    REQUIRE_ROOT();
    // Every call timed, so latency counts are exact (SampledLatencyTest
    // covers the default, sampled timing).
    StartSensor({"--bpf-hook", GetParam(), "--syscall-latency-sample", "1"});
  }
};

TEST_P(SyscallsTest, ProgramsOfTheChosenHookAreAttached) {
  auto e = Scrape();
  const std::string suffix = GetParam() == "raw_tp" ? "_raw" : "";
  // --bpf-hook applies to every eBPF collector, so each fallback is proven too.
  for (const char* program : {"hp_sys_enter", "hp_sys_exit", "hp_block_issue", "hp_block_done",
                              "hp_sched_switch", "hp_exit", "hp_exec", "hp_oom_kill"}) {
    EXPECT_EQ(Value(e, "hostprobe_bpf_program_attached{program=\"" + std::string(program) + suffix + "\"}"),
              1)
        << program << suffix;
  }
  for (const char* collector : {"syscalls", "diskio", "cgroup_cpu", "process_events", "host", "clock"})
    EXPECT_EQ(Value(e, "hostprobe_collector_up{collector=\"" + std::string(collector) + "\"}"), 1)
        << collector;
  EXPECT_EQ(Value(e, "hostprobe_build_info{version=\"" HOSTPROBE_VERSION "\"}"), 1);
  // The kernel memory of the sensor's own maps, each and in all.
  double sum = 0;
  for (const auto& [series, value] : e) {
    if (series.rfind("hostprobe_bpf_map_memory_bytes{", 0) == 0) sum += value;
  }
  EXPECT_GT(Value(e, "hostprobe_bpf_map_memory_bytes{map=\"syscall_hot\"}"), 0);
  EXPECT_GT(Value(e, "hostprobe_bpf_map_memory_bytes{map=\"cgroup_cpu_ns\"}"), 0);
  EXPECT_EQ(Value(e, "hostprobe_bpf_maps_memory_bytes"), sum);
}

// The kernel's recursion_misses (5.12+) of every program the sensor loaded:
// one series per program of hostprobe_bpf_program_attached, none other.
TEST_P(SyscallsTest, EveryProgramReportsItsRecursionMisses) {
  auto e = Scrape();
  const std::string attached = "hostprobe_bpf_program_attached{program=\"";
  const std::string misses = "hostprobe_bpf_program_recursion_misses_total{program=\"";
  std::set<std::string> with_attached, with_misses;
  for (const auto& [series, value] : e) {
    if (series.rfind(attached, 0) == 0 && value == 1) with_attached.insert(series.substr(attached.size()));
    if (series.rfind(misses, 0) == 0) {
      with_misses.insert(series.substr(misses.size()));
      EXPECT_GE(value, 0) << series;
    }
  }
  ASSERT_FALSE(with_attached.empty());
  for (const auto& program : with_attached)
    EXPECT_TRUE(with_misses.count(program)) << "no misses series for " << program;
  for (const auto& program : with_misses)
    EXPECT_TRUE(e.count(attached + program)) << program << " has misses but no attached series";
  const std::string suffix = GetParam() == "raw_tp" ? "_raw" : "";
  EXPECT_TRUE(e.count(misses + "hp_sys_exit" + suffix + "\"}"));
}

TEST_P(SyscallsTest, CountsGetppidCallsAndLatency) {
  constexpr int kCalls = 20000;
  const std::string calls = "hostprobe_syscalls_total{syscall=\"getppid\"}";
  const std::string latency = "hostprobe_syscall_latency_seconds_count{syscall=\"getppid\"}";
  const std::string fast = "hostprobe_syscall_latency_seconds_bucket{syscall=\"getppid\",le=\"0.004194304\"}";
  auto before = Scrape();
  ASSERT_EQ(RunWorkload({"--getppid", std::to_string(kCalls)}), 0);
  auto after = Scrape();
  // Host-wide: other processes rarely call getppid, so allow a little.
  double d = Value(after, calls) - Value(before, calls);
  EXPECT_GE(d, kCalls);
  EXPECT_LE(d, kCalls + 200);
  double dl = Value(after, latency) - Value(before, latency);
  EXPECT_GE(dl, kCalls);
  EXPECT_LE(dl, kCalls + 200);
  // getppid takes well under 4 ms: nearly all land in the finite buckets.
  EXPECT_GE(Value(after, fast) - Value(before, fast), kCalls * 0.99);
  double sum = Value(after, "hostprobe_syscall_latency_seconds_sum{syscall=\"getppid\"}") -
               Value(before, "hostprobe_syscall_latency_seconds_sum{syscall=\"getppid\"}");
  EXPECT_GT(sum, 0);
  EXPECT_LT(sum / dl, 0.001) << "mean getppid latency should be far below 1 ms";
}

TEST_P(SyscallsTest, CountsEnoentUnderOpenat) {
  constexpr int kCalls = 3000;
  const std::string errors = "hostprobe_syscall_errors_total{syscall=\"openat\",errno=\"ENOENT\"}";
  const std::string calls = "hostprobe_syscalls_total{syscall=\"openat\"}";
  auto before = Scrape();
  ASSERT_EQ(RunWorkload({"--enoent", std::to_string(kCalls)}), 0);
  auto after = Scrape();
  double d = Value(after, errors) - Value(before, errors);
  EXPECT_GE(d, kCalls);
  EXPECT_LE(d, kCalls + 300);  // the host's own failed lookups
  EXPECT_GE(Value(after, calls) - Value(before, calls), kCalls);
}

TEST_P(SyscallsTest, AttributesWorkToAFreshCgroup) {
  std::string root = Cgroup2Root();
  ASSERT_FALSE(root.empty()) << "no cgroup2 filesystem mounted";
  std::string name = "/hostprobe-it-" + std::to_string(getpid()) + "-" + GetParam();
  std::string dir = root + name;
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0) << dir << ": " << std::strerror(errno);
  constexpr int kCalls = 5000, kErrors = 700;
  ASSERT_EQ(RunWorkload(
                {"--cgroup", dir, "--getppid", std::to_string(kCalls), "--enoent", std::to_string(kErrors)}),
            0);
  const std::string labels = "{cgroup=\"" + name + "\",pod_uid=\"\",container_id=\"\"}";
  const std::string calls = "hostprobe_cgroup_syscalls_total" + labels;
  const std::string errors = "hostprobe_cgroup_syscall_errors_total" + labels;
  // A cgroup made after the sensor's last walk is found on a later scrape
  // (walks are rate-limited to one per second), and a read may miss a batch
  // flushed while it was under way (see CgroupCountMerger): it is in the next.
  Exposition e;
  for (int i = 0; i < 5 && Value(e, calls) < kCalls + kErrors; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(600));
    e = Scrape();
  }
  rmdir(dir.c_str());
  // Everything the workload did after joining: the calls above plus a handful
  // of its own (the write that joined is counted in the old cgroup; exit_group).
  EXPECT_GE(Value(e, calls), kCalls + kErrors);
  EXPECT_LE(Value(e, calls), kCalls + kErrors + 20);
  EXPECT_GE(Value(e, errors), kErrors);
  EXPECT_LE(Value(e, errors), kErrors + 5);
}

// Two cgroups make the same syscall on one CPU in turn, so each call flushes
// the other cgroup's batch in that (CPU, syscall) entry, while the test
// scrapes as fast as it can. A read that took one batch's count with the
// next batch's cgroup would charge up to a batch to the wrong cgroup, and
// the merger's floor would keep the excess: no scrape may show more than a
// cgroup made, and the final counts are exact.
TEST_P(SyscallsTest, CgroupCountsStayExactWhileBatchesFlushConstantly) {
  std::string root = Cgroup2Root();
  ASSERT_FALSE(root.empty()) << "no cgroup2 filesystem mounted";
  const std::string base = "/hostprobe-pp-" + std::to_string(getpid()) + "-" + GetParam();
  const std::vector<std::string> names = {base + "-a", base + "-b"};
  for (const auto& n : names)
    ASSERT_EQ(mkdir((root + n).c_str(), 0755), 0) << n << ": " << std::strerror(errno);
  constexpr long kCalls = 50000;
  auto series = [](const std::string& name) {
    return "hostprobe_cgroup_syscalls_total{cgroup=\"" + name + "\",pod_uid=\"\",container_id=\"\"}";
  };
  // First a few calls in each, one cgroup at a time, until the sensor has
  // named both and counted them whole: the race is then watched from the
  // first scrape on, and each cgroup's truth is that count plus the
  // workload's exact figure.
  for (const auto& n : names) ASSERT_EQ(RunWorkload({"--cgroup", root + n, "--getppid", "100"}), 0);
  Exposition warm;
  for (int i = 0; i < 10; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(600));
    warm = Scrape();
    if (warm.count(series(names[0])) && warm.count(series(names[1]))) break;
  }
  ASSERT_TRUE(warm.count(series(names[0])) && warm.count(series(names[1]))) << "cgroups never named";
  std::map<std::string, double> truth;
  for (const auto& n : names) truth[n] = Value(warm, series(n)) + 2 * kCalls + 2;

  std::atomic<bool> done{false};
  std::string out;
  int rc = -1;
  std::thread workload([&] {
    rc = RunCommand(
        {kWorkload, "--pingpong", root + names[0] + "," + root + names[1], std::to_string(kCalls)}, &out);
    done = true;
  });
  int scrapes = 0, seen = 0;
  double most = 0;
  while (!done) {
    auto e = Scrape();
    ++scrapes;
    for (const auto& n : names) {
      if (!e.count(series(n))) continue;
      ++seen;
      most = std::max(most, Value(e, series(n)) - Value(warm, series(n)));
      EXPECT_LE(Value(e, series(n)), truth[n]) << n << " after " << scrapes << " scrapes";
    }
  }
  workload.join();
  ASSERT_EQ(rc, 0) << out;
  ASSERT_NE(out.find("calls_per_cgroup=" + std::to_string(2 * kCalls + 2)), std::string::npos) << out;
  auto e = Scrape();
  for (const auto& n : names) rmdir((root + n).c_str());
  for (const auto& n : names) EXPECT_EQ(Value(e, series(n)), truth[n]) << n;
  EXPECT_GT(seen, 0);
  std::printf("[          ] %d scrapes while the workload ran, %d cgroup readings, largest %.0f of %ld\n",
              scrapes, seen, most, 2 * kCalls + 2);
}

TEST_P(SyscallsTest, AttributesWorkInKubeletShapedCgroupsToPodAndContainer) {
  std::string root = Cgroup2Root();
  ASSERT_FALSE(root.empty()) << "no cgroup2 filesystem mounted";
  // The kubelet's cgroupfs driver layout with a CRI-O container, and its
  // systemd driver layout with a containerd one. A unique uid per run keeps
  // parallel runs apart.
  char uid[37];
  std::snprintf(uid, sizeof(uid), "0a1b2c3d-4e5f-6789-abcd-%012x", static_cast<unsigned>(getpid()));
  std::string uid_underscores = uid;
  for (auto& c : uid_underscores) c = c == '-' ? '_' : c;
  const std::string id = "3f1c9a7be2d04c5f8a6b1e2d3c4b5a69788f7e6d5c4b3a29180f1e2d3c4b5a6f";
  const std::string hp = "hp" + GetParam();
  const std::vector<std::string> layouts = {
      "/" + hp + "-kubepods/besteffort/pod" + std::string(uid) + "/crio-" + id,
      "/" + hp + "-kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uid_underscores +
          ".slice/cri-containerd-" + id + ".scope"};
  for (const std::string& path : layouts) {
    // mkdir -p
    for (size_t pos = 1; pos != std::string::npos; pos = path.find('/', pos + 1)) {
      mkdir((root + path.substr(0, path.find('/', pos + 1))).c_str(), 0755);
    }
    ASSERT_EQ(RunWorkload({"--cgroup", root + path, "--getppid", "1000"}), 0) << path;
    const std::string series = "hostprobe_cgroup_syscalls_total{cgroup=\"" + path + "\",pod_uid=\"" +
                               std::string(uid) + "\",container_id=\"" + id + "\"}";
    // A new cgroup is named on a later walk; and a read may miss a batch
    // that another cgroup's call of the same syscall on that CPU flushed
    // while the read was under way (it is in the next one): see
    // CgroupCountMerger.
    Exposition e;
    for (int i = 0; i < 5 && Value(e, series) < 1000; ++i) {
      if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(600));
      e = Scrape();
    }
    EXPECT_GE(Value(e, series), 1000) << series;
    // rmdir -p, deepest first
    for (std::string p = path; p.size() > 1; p = p.substr(0, p.rfind('/'))) rmdir((root + p).c_str());
  }
}

TEST_P(SyscallsTest, LiveScrapePassesPromtool) {
  RunWorkload({"--getppid", "10", "--enoent", "10"});
  std::string body = sensor_->Scrape();
  ASSERT_FALSE(body.empty());
  char path[] = "/tmp/hostprobe-scrape-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, body.data(), body.size()), static_cast<ssize_t>(body.size()));
  close(fd);
  std::string out;
  int rc = RunCommand({"sh", "-c", std::string("promtool check metrics < ") + path}, &out);
  unlink(path);
  EXPECT_EQ(rc, 0) << "promtool check metrics:\n" << out;
}

TEST_P(SyscallsTest, EndpointsAnswerAsDocumented) {
  auto health = HttpRequest(sensor_->port(), "GET", "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  // "degraded" first where an optional part cannot work on this kernel
  // (e.g. the eviction counter where fexit is refused), each with its reason.
  EXPECT_TRUE(health->body == "ok\n" || health->body.rfind("degraded\n", 0) == 0) << health->body;
  auto live = HttpRequest(sensor_->port(), "GET", "/livez");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  EXPECT_EQ(live->body, "ok\n");
  auto landing = HttpRequest(sensor_->port(), "GET", "/");
  ASSERT_TRUE(landing);
  EXPECT_EQ(landing->status, 200);
  EXPECT_NE(landing->body.find("/metrics"), std::string::npos);
  EXPECT_NE(landing->body.find("/livez"), std::string::npos);
  auto missing = HttpRequest(sensor_->port(), "GET", "/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto post = HttpRequest(sensor_->port(), "POST", "/metrics");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  auto gz = HttpRequest(sensor_->port(), "GET", "/metrics", {"Accept-Encoding: gzip"});
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->status, 200);
  EXPECT_EQ(gz->headers["content-encoding"], "gzip");
  ASSERT_GE(gz->body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(gz->body[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz->body[1]), 0x8b);
  auto plain = HttpRequest(sensor_->port(), "GET", "/metrics");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  // The whole body arrives, however large (an abortive close once cut it at 128,000 bytes).
  EXPECT_EQ(std::to_string(plain->body.size()), plain->headers["content-length"]);
}

TEST_P(SyscallsTest, LargeScrapeArrivesWhole) {
  // A few hundred cgroups with work in them push the exposition past the
  // socket buffer sizes; every byte announced must arrive.
  std::string root = Cgroup2Root();
  ASSERT_FALSE(root.empty());
  const std::string base = root + "/hostprobe-many-" + std::to_string(getpid());
  ASSERT_EQ(mkdir(base.c_str(), 0755), 0);
  constexpr int kCgroups = 400;
  for (int i = 0; i < kCgroups; ++i) {
    std::string dir = base + "/w" + std::to_string(i);
    mkdir(dir.c_str(), 0755);
    RunWorkload({"--cgroup", dir, "--getppid", "1"});
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // past the walk rate limit
  auto r = HttpRequest(sensor_->port(), "GET", "/metrics");
  for (int i = 0; i < kCgroups; ++i) rmdir((base + "/w" + std::to_string(i)).c_str());
  rmdir(base.c_str());
  ASSERT_TRUE(r);
  EXPECT_GT(r->body.size(), 200000u);
  EXPECT_EQ(std::to_string(r->body.size()), r->headers["content-length"]);
  auto e = ParseExposition(r->body);
  int seen = 0;
  for (int i = 0; i < kCgroups; ++i)
    seen += e.count("hostprobe_cgroup_syscalls_total{cgroup=\"/hostprobe-many-" + std::to_string(getpid()) +
                    "/w" + std::to_string(i) + "\",pod_uid=\"\",container_id=\"\"}");
  EXPECT_EQ(seen, kCgroups);
}

TEST_P(SyscallsTest, SigtermExitsCleanlyAndUnloadsEveryProgram) {
  auto ours = BpfProgramIdsOf(sensor_->pid());
  ASSERT_GE(ours.size(), 2u) << "expected the sensor to hold its programs";
  std::chrono::milliseconds took{};
  auto rc = sensor_->Stop(SIGTERM, std::chrono::seconds(2), &took);
  ASSERT_TRUE(rc.has_value()) << "did not exit within 2 s of SIGTERM";
  EXPECT_EQ(*rc, 0);
  auto left = WaitUnloaded(ours, std::chrono::seconds(2));
  EXPECT_TRUE(left.empty()) << left.size() << " programs still loaded after exit";
}

// exit and exit_group never return, and rt_sigreturn returns with its
// number gone from the registers: counted all the same, once each.
// Calls through the 32-bit compat entry carry i386 numbers: int $0x80 with
// 64 is getppid there and semget on x86_64. They are counted under their
// own names, never under the x86_64 name of the same number.
TEST_P(SyscallsTest, CompatCallsAreCountedUnderTheirOwnNames) {
#if defined(__x86_64__)
  pid_t probe = fork();
  ASSERT_GE(probe, 0);
  if (probe == 0) {
    // Without an ia32 entry int $0x80 raises SIGSEGV: let it kill the child
    // (a sanitizer's handler would turn it into an ordinary exit status).
    signal(SIGSEGV, SIG_DFL);
    long ret = 64;
    __asm__ volatile("int $0x80" : "+a"(ret) : : "memory", "cc", "r8", "r9", "r10", "r11");
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(probe, &status, 0), probe);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    GTEST_SKIP() << "this kernel has no ia32 entry (IA32_EMULATION off or ia32_emulation=0)";

  constexpr int kCalls = 5000;
  const std::string compat = "hostprobe_syscalls_total{syscall=\"ia32_getppid\"}";
  const std::string native = "hostprobe_syscalls_total{syscall=\"semget\"}";
  auto before = Scrape();
  ASSERT_EQ(RunWorkload({"--int80-getppid", std::to_string(kCalls)}), 0);
  auto after = Scrape();
  const double d = Value(after, compat) - Value(before, compat);
  EXPECT_GE(d, kCalls);
  EXPECT_LE(d, kCalls + 50);
  EXPECT_LT(Value(after, native) - Value(before, native), 50) << "compat calls counted under the x86_64 name";
  const std::string latency = "hostprobe_syscall_latency_seconds_count{syscall=\"ia32_getppid\"}";
  EXPECT_GE(Value(after, latency) - Value(before, latency), kCalls);  // every call timed (sample 1)
#else
  GTEST_SKIP() << "the ia32 entry is x86_64's";
#endif
}

TEST_P(SyscallsTest, CallsThatDoNotReturnAsThemselvesAreCountedOnce) {
  constexpr int kSignals = 500, kThreads = 200;
  const std::string sigreturn = "hostprobe_syscalls_total{syscall=\"rt_sigreturn\"}";
  const std::string exit_call = "hostprobe_syscalls_total{syscall=\"exit\"}";
  const std::string exit_group = "hostprobe_syscalls_total{syscall=\"exit_group\"}";
  auto before = Scrape();
  ASSERT_EQ(RunWorkload({"--signals", std::to_string(kSignals), "--threads", std::to_string(kThreads)}), 0);
  auto after = Scrape();
  // Other processes on the host make these calls too, now and then: the
  // upper bounds leave room for them, not for counting a call twice.
  double sigreturns = Value(after, sigreturn) - Value(before, sigreturn);
  EXPECT_GE(sigreturns, kSignals);
  EXPECT_LE(sigreturns, kSignals * 1.5);
  double exits = Value(after, exit_call) - Value(before, exit_call);
  EXPECT_GE(exits, kThreads);
  EXPECT_LE(exits, kThreads * 1.5);
  EXPECT_GE(Value(after, exit_group) - Value(before, exit_group), 1);
  // None of them has a latency: exit and exit_group never return, and
  // rt_sigreturn's return is not its own.
  for (const char* name : {"exit", "exit_group", "rt_sigreturn"}) {
    const std::string count =
        "hostprobe_syscall_latency_seconds_count{syscall=\"" + std::string(name) + "\"}";
    EXPECT_EQ(Value(after, count), 0) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Hooks, SyscallsTest, ::testing::Values("tp_btf", "raw_tp"));

// ---- sampled latency (tp_btf, the default) -------------------------------------

// Windows 1/4 of the time rather than the default 1/64, so that a test of a
// few seconds sees dozens of them.
class SampledLatencyTest : public ::testing::Test, protected SensorFixture {
 protected:
  static constexpr int kEvery = 4;
  void SetUp() override {
    REQUIRE_ROOT();
    StartSensor({"--bpf-hook", "tp_btf", "--syscall-latency-sample", std::to_string(kEvery)});
  }
};

const std::string kGetppidCalls = "hostprobe_syscalls_total{syscall=\"getppid\"}";
const std::string kGetppidCount = "hostprobe_syscall_latency_seconds_count{syscall=\"getppid\"}";
const std::string kGetppidSum = "hostprobe_syscall_latency_seconds_sum{syscall=\"getppid\"}";
const std::string kGetppidFast =
    "hostprobe_syscall_latency_seconds_bucket{syscall=\"getppid\",le=\"0.004194304\"}";
const std::string kSampledSeconds = "hostprobe_syscall_latency_sampled_seconds_total";
const std::string kWindowsOk = "hostprobe_syscall_latency_windows_total{result=\"ok\"}";
const std::string kWindowsFailed = "hostprobe_syscall_latency_windows_total{result=\"attach_failed\"}";

// A syscall made in even bursts (20 calls every millisecond) for four
// seconds, so its calls are spread over time the same way whatever a call
// costs on this machine (a tight loop is not: timing a call slows it far
// more where a syscall is cheap, without page-table isolation, and the
// share of calls made inside windows then depends on the machine). Counted
// exactly; the calls that started in a window are timed and each counts as
// kEvery, so the histogram's count is kEvery times the calls made while
// hp_sys_enter was attached.
TEST_F(SampledLatencyTest, PacedSyscallIsCountedExactlyAndItsHistogramEstimatesTheCalls) {
  auto start = std::chrono::steady_clock::now();
  auto before = Scrape();
  std::string out;
  ASSERT_EQ(RunCommand({kWorkload, "--getppid-paced", "4000"}, &out), 0) << out;
  auto after = Scrape();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto made_at = out.find("calls=");
  ASSERT_NE(made_at, std::string::npos) << out;
  const double made = std::stod(out.substr(made_at + 6));
  ASSERT_GT(made, 0);
  double calls = Value(after, kGetppidCalls) - Value(before, kGetppidCalls);
  EXPECT_GE(calls, made);
  // The host's own getppid calls (every shell calls it at start-up) over four
  // seconds; a call counted twice would add 80,000.
  EXPECT_LE(calls, made + 2000);
  double sampled = Value(after, kSampledSeconds) - Value(before, kSampledSeconds);
  ASSERT_GT(sampled, 0) << "no latency window closed during the workload";
  double count = Value(after, kGetppidCount) - Value(before, kGetppidCount);
  // Every timing counts as kEvery, and no call is timed twice.
  EXPECT_EQ(std::fmod(count, kEvery), 0) << count;
  EXPECT_LE(count / kEvery, calls);
  // The calls were spread evenly over the workload's run, so the windows
  // timed the share of them that the windows covered of that time. The
  // windows measured here also cover the two scrapes and the workload's
  // start, when it made no getppid calls, and a window open at either end
  // is counted whole: the count reads 5-13% below this estimate on the
  // development machine, whatever a call costs.
  double expected = kEvery * made * std::min(1.0, sampled / wall);
  std::printf("paced getppid: %.0f calls, histogram count %.0f, expected %.0f (windows %.3f s of %.3f s)\n",
              made, count, expected, sampled, wall);
  EXPECT_GT(count, expected * 0.7) << "sampled " << sampled << " s of " << wall << " s";
  EXPECT_LT(count, expected * 1.2) << "sampled " << sampled << " s of " << wall << " s";
  // And the estimate of the calls themselves: the windows cover 1/kEvery of
  // the time give or take their random gaps (about 50 windows in four
  // seconds: a standard deviation of about 7%).
  EXPECT_GT(count, made * 0.5) << "sampled " << sampled << " s of " << wall << " s";
  EXPECT_LT(count, made * 1.5) << "sampled " << sampled << " s of " << wall << " s";
  EXPECT_GE(Value(after, kGetppidFast) - Value(before, kGetppidFast), count * 0.99);
  double sum = Value(after, kGetppidSum) - Value(before, kGetppidSum);
  EXPECT_GT(sum, 0);
  EXPECT_LT(sum / count, 0.001) << "mean getppid latency should be far below 1 ms";
}

// hp_sys_enter is attached in 20 ms windows covering 1/kEvery of the time,
// and reported as attached throughout.
TEST_F(SampledLatencyTest, WindowsCoverTheirShareOfTheTime) {
  // A window and its gap last about 80 ms on average where attaching is
  // quick; attaching takes longer on a loaded or slower machine, and the gap
  // after a window is scaled to the window's measured length. So wait for
  // enough windows to judge the share (about 40), however long they take.
  constexpr double kWindows = 40;
  auto before = Scrape();
  auto start = std::chrono::steady_clock::now();
  Exposition after;
  double windows = 0;
  for (int i = 0; i < 60 && windows < kWindows; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    after = Scrape();
    windows = Value(after, kWindowsOk) - Value(before, kWindowsOk);
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_GE(windows, kWindows) << "only " << windows << " windows closed in " << wall << " s";
  ASSERT_EQ(after.count(kWindowsFailed), 1u);
  EXPECT_EQ(Value(after, kWindowsFailed), 0);
  double sampled = Value(after, kSampledSeconds) - Value(before, kSampledSeconds);
  // Each window stays attached for at least its 20 ms.
  EXPECT_GE(sampled / windows, 0.019) << sampled << " s in " << windows << " windows";
  // Gaps are uniform in [0, 2(N-1)] window lengths: over about 40 windows
  // the share's standard deviation is about 7% of 1/N.
  double share = sampled / wall;
  EXPECT_GT(share, 0.25 * 0.6);
  EXPECT_LT(share, 0.25 * 1.5);
  EXPECT_EQ(Value(after, "hostprobe_bpf_program_attached{program=\"hp_sys_enter\"}"), 1);
  auto health = HttpRequest(sensor_->port(), "GET", "/healthz");
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200) << health->body;
}

// ---- start-up and bad input ---------------------------------------------------

TEST(SensorStartup, UnknownFlagExits2WithUsageHint) {
  std::string out;
  EXPECT_EQ(RunCommand({kSensor, "--no-such-flag"}, &out), 2);
  EXPECT_NE(out.find("unknown flag --no-such-flag"), std::string::npos) << out;
  EXPECT_NE(out.find("--help"), std::string::npos) << out;
}

TEST(SensorStartup, BadValueExits2) {
  std::string out;
  EXPECT_EQ(RunCommand({kSensor, "--sample-interval", "soon"}, &out), 2);
  EXPECT_NE(out.find("--sample-interval"), std::string::npos) << out;
  EXPECT_EQ(RunCommand({kSensor, "--listen", "localhost"}, &out), 2);
}

TEST(SensorStartup, HelpAndVersionExit0) {
  std::string out;
  EXPECT_EQ(RunCommand({kSensor, "--help"}, &out), 0);
  EXPECT_NE(out.find("--listen HOST:PORT"), std::string::npos);
  EXPECT_EQ(RunCommand({kSensor, "--version"}, &out), 0);
  EXPECT_NE(out.find(HOSTPROBE_VERSION), std::string::npos);
}

TEST(SensorStartup, PortInUseExits1WithOneClearLine) {
  REQUIRE_ROOT();
  SensorProcess first(kSensor, {});
  ASSERT_TRUE(first.Start());
  ASSERT_TRUE(first.WaitHealthy()) << first.Log();
  std::string out;
  int rc = RunCommand({kSensor, "--listen", "127.0.0.1:" + std::to_string(first.port())}, &out);
  EXPECT_EQ(rc, 1);
  std::string last = out.substr(out.rfind("hostprobe: "));
  EXPECT_NE(last.find("cannot listen on 127.0.0.1:" + std::to_string(first.port())), std::string::npos)
      << out;
  EXPECT_NE(last.find("Address already in use"), std::string::npos) << out;
}

TEST(SensorStartup, WithoutPrivilegeExits1WithOneClearLine) {
  REQUIRE_ROOT();
  if (RunCommand({"sh", "-c", "command -v setpriv"}) != 0)
    GTEST_SKIP() << "setpriv (util-linux) not installed";
  std::string out;
  int rc = RunCommand({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                       "--bounding-set=-all", kSensor, "--listen", "127.0.0.1:" + std::to_string(FreePort())},
                      &out);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("missing privilege"), std::string::npos) << out;
  EXPECT_NE(out.find("CAP_BPF"), std::string::npos) << out;
}

}  // namespace
}  // namespace hostprobe::testing
