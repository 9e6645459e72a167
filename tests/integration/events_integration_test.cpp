// End-to-end checks of process events (crashes, OOM kills, execs), user-defined
// probes (--probe, --probe-config), host info and the clock: the real sensor
// on the real kernel, scraped over HTTP, driven by tests/workload/events_workload.
// Needs root; skipped with a message otherwise.
#include <bpf/bpf.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include "core/cgroup.h"
#include "test_support.h"

namespace hostprobe::testing {
namespace {

constexpr const char* kSensor = HOSTPROBE_BIN;
constexpr const char* kWorkload = EVENTS_WORKLOAD_BIN;

#define REQUIRE_ROOT() \
  if (geteuid() != 0) GTEST_SKIP() << "integration tests load eBPF programs: run them as root"

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

// Mount point of the cgroup v1 hierarchy that has the memory controller, "" if none.
std::string MemoryV1Root() {
  std::istringstream in(ReadFile("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(in, line)) {
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream before(line.substr(0, dash)), after(line.substr(dash + 3));
    std::string id, parent, dev, root, mount, fstype, source, options;
    before >> id >> parent >> dev >> root >> mount;
    after >> fstype >> source >> options;
    if (fstype != "cgroup") continue;
    std::istringstream opts(options);
    for (std::string opt; std::getline(opts, opt, ',');) {
      if (opt == "memory") return mount;
    }
  }
  return "";
}

// A cgroup directory made for one test and removed at the end, whatever happens.
class ScopedCgroup {
 public:
  explicit ScopedCgroup(std::string dir) : dir_(std::move(dir)) {
    made_ = mkdir(dir_.c_str(), 0755) == 0;
    if (!made_) error_ = std::strerror(errno);
  }
  ~ScopedCgroup() {
    if (!made_) return;
    // The workload has exited, but the kernel may still be tearing it down.
    for (int i = 0; i < 50 && rmdir(dir_.c_str()) != 0 && errno == EBUSY; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ScopedCgroup(const ScopedCgroup&) = delete;
  ScopedCgroup& operator=(const ScopedCgroup&) = delete;
  bool ok() const { return made_; }
  const std::string& dir() const { return dir_; }
  const std::string& error() const { return error_; }

 private:
  std::string dir_;
  bool made_ = false;
  std::string error_;
};

// A fresh cgroup v2 directory named "/<prefix>-<pid>", for labels the test can predict.
std::string UniqueName(const std::string& prefix) { return "/" + prefix + "-" + std::to_string(getpid()); }

// Runs the workload and returns how it ended: its exit status, or -1 when a
// signal killed it (what RunCommand reports).
int RunWorkload(const std::vector<std::string>& args, std::string* out = nullptr) {
  std::vector<std::string> argv = {kWorkload};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string output;
  int rc = RunCommand(argv, &output);
  if (out) *out = output;
  return rc;
}

// Ids of loaded BPF programs whose name starts with `prefix`.
std::set<uint32_t> ProgramIds(const std::string& prefix) {
  std::set<uint32_t> ids;
  uint32_t id = 0;
  while (bpf_prog_get_next_id(id, &id) == 0) {
    int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) continue;
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && std::string(info.name).rfind(prefix, 0) == 0)
      ids.insert(id);
    close(fd);
  }
  return ids;
}

// hp_probe_ programs that no live process holds, i.e. what a failed start
// could leave behind. Other sensors running on the host hold their own probes
// (and any program is freed a moment after its last holder exits), so only
// unheld ones that stay loaded count.
std::set<uint32_t> LeakedProbePrograms() {
  std::set<uint32_t> held;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] >= '1' && e->d_name[0] <= '9') held.merge(BpfProgramIdsOf(std::atoi(e->d_name)));
    }
    closedir(d);
  }
  std::set<uint32_t> unheld;
  for (uint32_t id : ProgramIds("hp_probe_")) {
    if (held.count(id) == 0) unheld.insert(id);
  }
  return WaitUnloaded(unheld, std::chrono::seconds(2));
}

// Series whose key starts with `prefix`.
std::map<std::string, double> SeriesWithPrefix(const Exposition& e, const std::string& prefix) {
  std::map<std::string, double> out;
  for (const auto& [k, v] : e) {
    if (k.rfind(prefix, 0) == 0) out[k] = v;
  }
  return out;
}

bool PassesPromtool(const std::string& body, std::string* out) {
  char path[] = "/tmp/hostprobe-scrape-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return false;
  bool written = write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size());
  close(fd);
  int rc = written ? RunCommand({"sh", "-c", std::string("promtool check metrics < ") + path}, out) : -1;
  unlink(path);
  return rc == 0;
}

class SensorTest {
 public:
  explicit SensorTest(std::vector<std::string> args) : sensor_(kSensor, std::move(args)) {}
  SensorProcess& sensor() { return sensor_; }
  Exposition Scrape() {
    std::string body = sensor_.Scrape();
    EXPECT_FALSE(body.empty()) << sensor_.Log();
    return ParseExposition(body);
  }
  // Scrapes until `done` holds or 6 s pass: a cgroup made after the sensor's
  // last walk of the tree is named on a later scrape (walks are rate-limited
  // to one per second).
  Exposition ScrapeUntil(const std::function<bool(const Exposition&)>& done) {
    Exposition e;
    for (int i = 0; i < 10; ++i) {
      if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(600));
      e = Scrape();
      if (done(e)) break;
    }
    return e;
  }

 private:
  SensorProcess sensor_;
};

// ---- crashes, OOM kills and execs, under both hook families ------------------------

class ProcessEventsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    REQUIRE_ROOT();
    root_ = Cgroup2Root();
    ASSERT_FALSE(root_.empty()) << "no cgroup2 filesystem mounted";
    s_ = std::make_unique<SensorTest>(std::vector<std::string>{"--bpf-hook", GetParam()});
    ASSERT_TRUE(s_->sensor().Start());
    ASSERT_TRUE(s_->sensor().WaitHealthy()) << "sensor never became healthy; log:\n" << s_->sensor().Log();
  }
  std::string Name(const std::string& what) { return UniqueName("hostprobe-" + what) + "-" + GetParam(); }

  std::string root_;
  std::unique_ptr<SensorTest> s_;
};

TEST_P(ProcessEventsTest, ProgramsOfTheChosenHookAreAttached) {
  auto e = s_->Scrape();
  const std::string suffix = GetParam() == "raw_tp" ? "_raw" : "";
  for (const char* prog : {"hp_exit", "hp_exec", "hp_oom_kill"})
    EXPECT_EQ(Value(e, "hostprobe_bpf_program_attached{program=\"" + std::string(prog) + suffix + "\"}"), 1)
        << prog;
  EXPECT_EQ(Value(e, "hostprobe_collector_up{collector=\"process_events\"}"), 1);
}

TEST_P(ProcessEventsTest, SegfaultOfAMultiThreadedProcessIsCountedOnce) {
  const std::string name = Name("segv");
  ScopedCgroup cg(root_ + name);
  ASSERT_TRUE(cg.ok()) << cg.dir() << ": " << cg.error();
  // Five threads die with the process; it is still one crash.
  EXPECT_EQ(RunWorkload({"--cgroup", cg.dir(), "segv", "4"}), -1) << "the workload did not die of a signal";
  const std::string series = "hostprobe_process_crashes_total{cgroup=\"" + name +
                             "\",pod_uid=\"\",container_id=\"\",signal=\"SIGSEGV\"}";
  s_->ScrapeUntil([&](const Exposition& e) { return Value(e, series) > 0; });
  // Scrape once more after the count appeared: nothing may trickle in later.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto e = s_->Scrape();
  EXPECT_EQ(Value(e, series), 1);
  auto all = SeriesWithPrefix(e, "hostprobe_process_crashes_total{");
  for (const auto& [k, v] : all) {
    if (k.find("cgroup=\"" + name + "\"") != std::string::npos) {
      EXPECT_EQ(k, series) << "also counted as " << k;
    }
  }
}

// A crash loop as a container runtime makes it: each run in a new container
// cgroup under the pod's, made, crashed and removed between two scrapes. The
// pod's totals count every run; each run's own series is named from what the
// kernel recorded at its exec and lasts for the grace period.
TEST_P(ProcessEventsTest, ACrashLoopInAPodIsCountedByPodAfterItsContainersAreGone) {
  char uid[40];
  std::snprintf(uid, sizeof(uid), "00000000-0000-4000-8000-%012x", static_cast<unsigned>(getpid()));
  // The two hook families run one after the other: one pod each.
  const std::string pod_uid = GetParam() == "raw_tp" ? std::string(uid).replace(0, 1, "1") : std::string(uid);
  ScopedCgroup kubepods(root_ + "/kubepods");
  ScopedCgroup qos(root_ + "/kubepods/besteffort");
  ScopedCgroup pod_cg(root_ + "/kubepods/besteffort/pod" + pod_uid);
  ASSERT_TRUE(pod_cg.ok()) << pod_cg.dir() << ": " << pod_cg.error();
  const std::string crashes = "hostprobe_pod_crashes_total{pod_uid=\"" + pod_uid + "\"}";
  const std::string starts = "hostprobe_pod_container_starts_total{pod_uid=\"" + pod_uid + "\"}";
  // The pod's series is there, at 0, before its first crash (a walk of the
  // tree finds the pod's cgroup within 10 s).
  Exposition e;
  for (int i = 0; i < 30 && e.count(crashes) == 0; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(600));
    e = s_->Scrape();
  }
  ASSERT_EQ(e.count(crashes), 1u) << "no series for the pod";
  EXPECT_EQ(Value(e, crashes), 0);

  std::vector<std::string> ids;
  for (int run = 0; run < 4; ++run) {
    std::string id(64, '0');
    std::snprintf(id.data(), id.size() + 1, "%08x%056x", static_cast<unsigned>(getpid()), run);
    ids.push_back(id);
    {
      ScopedCgroup ctr(pod_cg.dir() + "/" + id);
      ASSERT_TRUE(ctr.ok()) << ctr.dir() << ": " << ctr.error();
      EXPECT_EQ(RunWorkload({"--cgroup", ctr.dir(), "execsegv"}), -1) << "run " << run << " did not crash";
    }  // removed here, long before the next scrape
    struct stat st {};
    ASSERT_NE(stat((pod_cg.dir() + "/" + id).c_str(), &st), 0) << "container cgroup not removed";
  }
  e = s_->ScrapeUntil([&](const Exposition& x) { return Value(x, crashes) >= 4; });
  EXPECT_EQ(Value(e, crashes), 4) << "crashes of removed containers, by pod";
  EXPECT_EQ(Value(e, starts), 4);
  EXPECT_EQ(Value(e, "hostprobe_pod_execs_total{pod_uid=\"" + pod_uid + "\"}"), 4);
  for (const std::string& id : ids) {
    const std::string own = "hostprobe_process_crashes_total{cgroup=\"/kubepods/besteffort/pod" + pod_uid +
                            "/" + id + "\",pod_uid=\"" + pod_uid + "\",container_id=\"" + id +
                            "\",signal=\"SIGSEGV\"}";
    EXPECT_EQ(Value(e, own), 1) << "the removed container's own series (grace period)";
  }
}

TEST_P(ProcessEventsTest, AbortIsSigabrtAndNormalExitsAreNotCrashes) {
  const std::string name = Name("abrt");
  ScopedCgroup cg(root_ + name);
  ASSERT_TRUE(cg.ok()) << cg.dir() << ": " << cg.error();
  EXPECT_EQ(RunWorkload({"--cgroup", cg.dir(), "abort"}), -1);
  EXPECT_EQ(RunWorkload({"--cgroup", cg.dir(), "calls", "10"}), 0);
  EXPECT_EQ(RunWorkload({"--cgroup", cg.dir(), "exec", "5"}), 0);
  const std::string abrt = "hostprobe_process_crashes_total{cgroup=\"" + name +
                           "\",pod_uid=\"\",container_id=\"\",signal=\"SIGABRT\"}";
  const std::string execs =
      "hostprobe_cgroup_execs_total{cgroup=\"" + name + "\",pod_uid=\"\",container_id=\"\"}";
  auto e = s_->ScrapeUntil([&](const Exposition& x) { return Value(x, abrt) > 0 && Value(x, execs) > 0; });
  EXPECT_EQ(Value(e, abrt), 1);
  size_t crashes_here = 0;
  for (const auto& [k, v] : SeriesWithPrefix(e, "hostprobe_process_crashes_total{"))
    crashes_here += k.find("cgroup=\"" + name + "\"") != std::string::npos ? 1 : 0;
  EXPECT_EQ(crashes_here, 1u) << "an exit(0) was counted as a crash";
  // Each workload joined the cgroup after it started: only the 5 re-execs count.
  EXPECT_EQ(Value(e, execs), 5);
  EXPECT_EQ(Value(e, "hostprobe_oom_kills_total{cgroup=\"" + name + "\",pod_uid=\"\",container_id=\"\"}"), 0);
}

// The memory limit goes where the memory controller is: cgroup v2 when its
// root offers it, else the v1 memory hierarchy (hybrid hosts). The workload
// also joins a v2 cgroup of its own, which is what the cgroup label names.
TEST_P(ProcessEventsTest, OomKillInAMemoryLimitedCgroupIsCounted) {
  const std::string name = Name("oom");
  ScopedCgroup v2(root_ + name);
  ASSERT_TRUE(v2.ok()) << v2.dir() << ": " << v2.error();
  const bool v2_memory = ReadFile(root_ + "/cgroup.controllers").find("memory") != std::string::npos;
  std::unique_ptr<ScopedCgroup> v1;
  std::vector<std::string> join = {"--cgroup", v2.dir()};
  constexpr const char* kLimit = "33554432";  // 32 MiB
  if (v2_memory) {
    // Children get memory.max only when the parent delegates the controller.
    if (ReadFile(root_ + "/cgroup.subtree_control").find("memory") == std::string::npos) {
      ASSERT_TRUE(WriteFile(root_ + "/cgroup.subtree_control", "+memory"))
          << "cannot enable the memory controller";
    }
    ASSERT_TRUE(WriteFile(v2.dir() + "/memory.max", kLimit));
    // No swap: the workload must hit the limit, not page out.
    if (access((v2.dir() + "/memory.swap.max").c_str(), F_OK) == 0) {
      ASSERT_TRUE(WriteFile(v2.dir() + "/memory.swap.max", "0"));
    }
  } else {
    const std::string mem_root = MemoryV1Root();
    if (mem_root.empty()) GTEST_SKIP() << "no memory controller in cgroup v2 or v1 on this host";
    v1 = std::make_unique<ScopedCgroup>(mem_root + name);
    ASSERT_TRUE(v1->ok()) << v1->dir() << ": " << v1->error();
    ASSERT_TRUE(WriteFile(v1->dir() + "/memory.limit_in_bytes", kLimit));
    // memory+swap no higher than memory: swapping cannot postpone the OOM kill.
    if (access((v1->dir() + "/memory.memsw.limit_in_bytes").c_str(), F_OK) == 0) {
      ASSERT_TRUE(WriteFile(v1->dir() + "/memory.memsw.limit_in_bytes", kLimit));
    }
    join.insert(join.end(), {"--cgroup", v1->dir()});
  }
  std::vector<std::string> args = join;
  args.insert(args.end(), {"alloc", "512"});
  std::string out;
  EXPECT_EQ(RunWorkload(args, &out), -1) << "the workload was not killed: " << out;

  const std::string ooms =
      "hostprobe_oom_kills_total{cgroup=\"" + name + "\",pod_uid=\"\",container_id=\"\"}";
  const std::string killed = "hostprobe_process_crashes_total{cgroup=\"" + name +
                             "\",pod_uid=\"\",container_id=\"\",signal=\"SIGKILL\"}";
  auto e = s_->ScrapeUntil([&](const Exposition& x) { return Value(x, ooms) > 0 && Value(x, killed) > 0; });
  EXPECT_EQ(Value(e, ooms), 1) << "OOM kills in the cgroup";
  EXPECT_EQ(Value(e, killed), 1) << "the OOM victim dies of SIGKILL, which is also a crash";
}

INSTANTIATE_TEST_SUITE_P(Hooks, ProcessEventsTest, ::testing::Values("tp_btf", "raw_tp"));

// ---- user-defined probes --------------------------------------------------------------

const std::string kTarget = std::string(kWorkload) + ":hostprobe_probe_target";

TEST(ProbeTest, CountsEveryCallAndTimesLatencyProbes) {
  REQUIRE_ROOT();
  SensorTest s({"--probe", "calls=" + kTarget, "--probe", "timed=" + kTarget + ":latency"});
  ASSERT_TRUE(s.sensor().Start());
  ASSERT_TRUE(s.sensor().WaitHealthy()) << s.sensor().Log();
  constexpr int kCalls = 12345;
  const std::string calls = "hostprobe_probe_calls_total{probe=\"calls\"}";
  const std::string timed = "hostprobe_probe_calls_total{probe=\"timed\"}";
  const std::string count = "hostprobe_probe_latency_seconds_count{probe=\"timed\"}";
  const std::string sum = "hostprobe_probe_latency_seconds_sum{probe=\"timed\"}";
  auto before = s.Scrape();
  EXPECT_EQ(Value(before, "hostprobe_bpf_program_attached{program=\"hp_probe_entry\"}"), 1);
  EXPECT_EQ(Value(before, "hostprobe_bpf_program_attached{program=\"hp_probe_return\"}"), 1);
  ASSERT_TRUE(before.count(count)) << "a :latency probe has its histogram from the start";
  ASSERT_EQ(RunWorkload({"calls", std::to_string(kCalls)}), 0);
  auto after = s.Scrape();
  // Exact: only this workload runs the function.
  EXPECT_EQ(Value(after, calls) - Value(before, calls), kCalls);
  EXPECT_EQ(Value(after, timed) - Value(before, timed), kCalls);
  EXPECT_EQ(Value(after, count) - Value(before, count), kCalls);
  EXPECT_GT(Value(after, sum) - Value(before, sum), 0);
  EXPECT_EQ(before.count("hostprobe_probe_latency_seconds_count{probe=\"calls\"}"), 0u)
      << "no :latency, no histogram";
  EXPECT_EQ(Value(after, "hostprobe_bpf_map_update_failures_total{map=\"probe_inflight\"}"), 0);
}

TEST(ProbeTest, ProbesFromAConfigFile) {
  REQUIRE_ROOT();
  char path[] = "/tmp/hostprobe-probes-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  ASSERT_TRUE(WriteFile(path, "# probes for the test\n\nfrom_file=" + kTarget + "   # the target\n"));
  SensorTest s({"--probe-config", path});
  ASSERT_TRUE(s.sensor().Start());
  bool healthy = s.sensor().WaitHealthy();
  unlink(path);
  ASSERT_TRUE(healthy) << s.sensor().Log();
  const std::string series = "hostprobe_probe_calls_total{probe=\"from_file\"}";
  auto before = s.Scrape();
  ASSERT_EQ(RunWorkload({"calls", "321"}), 0);
  EXPECT_EQ(Value(s.Scrape(), series) - Value(before, series), 321);
}

TEST(ProbeTest, UsdtProbeCountsHits) {
  REQUIRE_ROOT();
  SensorTest s({"--probe", "ticks=" + std::string(kWorkload) + ":usdt:hostprobe:tick"});
  ASSERT_TRUE(s.sensor().Start());
  if (!s.sensor().WaitHealthy()) {
    std::string log = s.sensor().Log();
    if (log.find("no USDT support") != std::string::npos)
      GTEST_SKIP() << log.substr(log.rfind("hostprobe: "));
    FAIL() << log;
  }
  const std::string series = "hostprobe_probe_calls_total{probe=\"ticks\"}";
  auto before = s.Scrape();
  ASSERT_EQ(RunWorkload({"usdt", "4321"}), 0);
  EXPECT_EQ(Value(s.Scrape(), series) - Value(before, series), 4321);
}

TEST(ProbeTest, NonexistentSymbolExits2BeforeServing) {
  REQUIRE_ROOT();
  std::string out;
  const uint16_t port = FreePort();
  int rc = RunCommand({kSensor, "--listen", "127.0.0.1:" + std::to_string(port), "--probe", "ok=" + kTarget,
                       "--probe", "missing=" + std::string(kWorkload) + ":hostprobe_no_such_symbol"},
                      &out);
  EXPECT_EQ(rc, 2) << out;
  const size_t last = out.rfind("hostprobe: ");
  ASSERT_NE(last, std::string::npos) << out;
  const std::string line = out.substr(last);
  EXPECT_NE(line.find("\"missing\""), std::string::npos) << line;
  EXPECT_NE(line.find(kWorkload), std::string::npos) << line;
  EXPECT_NE(line.find("hostprobe_no_such_symbol"), std::string::npos) << line;
  EXPECT_EQ(LeakedProbePrograms().size(), 0u) << "programs left loaded after the failed start";

  rc = RunCommand({kSensor, "--listen", "127.0.0.1:" + std::to_string(port), "--probe",
                   "gone=/nonexistent/hostprobe-bin:main"},
                  &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("\"/nonexistent/hostprobe-bin\": no such file"), std::string::npos) << out;
}

TEST(ProbeTest, MalformedProbeExits2) {
  std::string out;
  EXPECT_EQ(RunCommand({kSensor, "--probe", "9lives=/bin/true:main"}, &out), 2) << out;
  EXPECT_NE(out.find("9lives"), std::string::npos) << out;
  EXPECT_EQ(RunCommand({kSensor, "--probe", "x=/bin/true:main:fast"}, &out), 2) << out;
  EXPECT_NE(out.find("unknown suffix \"fast\""), std::string::npos) << out;
  EXPECT_EQ(RunCommand({kSensor, "--probe-config", "/nonexistent/hostprobe-probes.conf"}, &out), 2) << out;
  EXPECT_NE(out.find("/nonexistent/hostprobe-probes.conf"), std::string::npos) << out;
}

TEST(ProbeTest, SigtermDetachesProbesAndProcessEventPrograms) {
  REQUIRE_ROOT();
  SensorTest s({"--probe", "timed=" + kTarget + ":latency"});
  ASSERT_TRUE(s.sensor().Start());
  ASSERT_TRUE(s.sensor().WaitHealthy()) << s.sensor().Log();
  std::set<uint32_t> ours = BpfProgramIdsOf(s.sensor().pid());
  ASSERT_GE(ours.size(), 4u);
  auto rc = s.sensor().Stop(SIGTERM, std::chrono::seconds(2));
  ASSERT_TRUE(rc.has_value()) << "did not exit within 2 s of SIGTERM";
  EXPECT_EQ(*rc, 0);
  auto left = WaitUnloaded(ours, std::chrono::seconds(2));
  EXPECT_TRUE(left.empty()) << left.size() << " programs still loaded after exit";
}

// ---- host info and the clock ------------------------------------------------------

TEST(HostInfoTest, HostInfoAndClockMetricsMatchTheSystemAndPassPromtool) {
  REQUIRE_ROOT();
  SensorTest s({"--probe", "timed=" + kTarget + ":latency"});
  ASSERT_TRUE(s.sensor().Start());
  ASSERT_TRUE(s.sensor().WaitHealthy()) << s.sensor().Log();
  // Give every family something to show.
  RunWorkload({"calls", "10"});
  RunWorkload({"abort"});
  std::string body = s.sensor().Scrape();
  ASSERT_FALSE(body.empty()) << s.sensor().Log();
  auto e = ParseExposition(body);

  struct utsname u {};
  ASSERT_EQ(uname(&u), 0);
  auto info = SeriesWithPrefix(e, "hostprobe_host_info{");
  ASSERT_EQ(info.size(), 1u) << body;
  const std::string key = info.begin()->first;
  EXPECT_EQ(info.begin()->second, 1);
  EXPECT_NE(key.find("kernel=\"" + std::string(u.release) + "\""), std::string::npos) << key;
  EXPECT_EQ(key.find("timezone=\"\""), std::string::npos) << key;
  EXPECT_EQ(key.find("timezone=\"unknown\""), std::string::npos) << key;
  std::string os_release = ReadFile("/etc/os-release");
  size_t p = os_release.find("PRETTY_NAME=\"");
  if (p != std::string::npos) {
    std::string pretty = os_release.substr(p + 13, os_release.find('"', p + 13) - p - 13);
    EXPECT_NE(key.find("os=\"" + pretty + "\""), std::string::npos) << key;
  }

  struct timex tx {};
  int state = adjtimex(&tx);
  ASSERT_GE(state, 0);
  const bool synced = state != TIME_ERROR && (tx.status & STA_UNSYNC) == 0;
  ASSERT_TRUE(e.count("hostprobe_clock_synchronized")) << body;
  EXPECT_EQ(Value(e, "hostprobe_clock_synchronized"), synced ? 1 : 0);
  ASSERT_TRUE(e.count("hostprobe_clock_max_error_seconds"));
  ASSERT_TRUE(e.count("hostprobe_clock_estimated_error_seconds"));
  EXPECT_GE(Value(e, "hostprobe_clock_max_error_seconds"), 0);
  EXPECT_LE(Value(e, "hostprobe_clock_max_error_seconds"), 16.5);  // the kernel caps maxerror at 16 s
  EXPECT_EQ(Value(e, "hostprobe_collector_up{collector=\"clock\"}"), 1);

  std::string promtool;
  EXPECT_TRUE(PassesPromtool(body, &promtool)) << "promtool check metrics:\n" << promtool;
}

}  // namespace
}  // namespace hostprobe::testing
