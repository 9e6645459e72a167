// Least privilege, hostile input and bounded series, on the real sensor.
// Needs root (loads eBPF programs, makes cgroups and mounts); skipped otherwise.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/capabilities.h"
#include "test_support.h"

namespace hostprobe::testing {
namespace {

constexpr const char* kSensor = HOSTPROBE_BIN;
constexpr const char* kWorkload = WORKLOAD_BIN;

#define REQUIRE_ROOT() \
  if (geteuid() != 0) GTEST_SKIP() << "integration tests load eBPF programs: run them as root"

// Every thread's sets, by tid.
std::vector<std::pair<std::string, CapabilitySets>> ThreadCapabilities(pid_t pid) {
  std::vector<std::pair<std::string, CapabilitySets>> out;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    auto sets = ParseCapabilitySets(ReadFile(dir + "/" + e->d_name + "/status"));
    if (sets) out.emplace_back(e->d_name, *sets);
  }
  closedir(d);
  return out;
}

std::string StatusField(pid_t pid, const std::string& name) {
  std::istringstream in(ReadFile("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(in, line);)
    if (line.rfind(name + ":", 0) == 0) return line.substr(name.size() + 1);
  return "";
}

long VmRssKiB(pid_t pid) { return std::atol(StatusField(pid, "VmRSS").c_str()); }

// Sample lines (series, each histogram bucket counting as one) in an exposition.
size_t CountSeries(const std::string& body, const std::string& containing = "") {
  size_t n = 0;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#' && line.find(containing) != std::string::npos) ++n;
  return n;
}

// promtool check metrics on `body`: exit status, its output in `out`.
int Promtool(const std::string& body, std::string* out) {
  char path[] = "/tmp/hostprobe-scrape-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return -1;
  bool written = write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size());
  close(fd);
  int rc = written ? RunCommand({"sh", "-c", std::string("promtool check metrics < ") + path}, out) : -1;
  unlink(path);
  return rc;
}

double Getppids(const SensorProcess& s) {
  return Value(ParseExposition(s.Scrape()), "hostprobe_syscalls_total{syscall=\"getppid\"}");
}

// Host-wide getppid calls counted while the workload makes `calls` of them.
double CountedGetppids(const SensorProcess& s, int calls) {
  double before = Getppids(s);
  EXPECT_EQ(RunCommand({kWorkload, "--getppid", std::to_string(calls)}), 0);
  return Getppids(s) - before;
}

// ---- privileges -----------------------------------------------------------------

TEST(PrivilegesTest, EveryThreadDropsEveryCapabilityAndCountingGoesOn) {
  REQUIRE_ROOT();
  SensorProcess sensor(kSensor, {});
  ASSERT_TRUE(sensor.Start());
  ASSERT_TRUE(sensor.WaitHealthy()) << sensor.Log();
  // A scrape starts the threads that only run on scrapes (statvfs helpers).
  ASSERT_FALSE(sensor.Scrape().empty());
  const std::string log = sensor.Log();
  EXPECT_NE(log.find("dropped capabilities: "), std::string::npos) << log;
  // A kernel that gates map reads on CAP_BPF (before 6.5) keeps it, and says so.
  const uint64_t allowed = log.find("kept cap_bpf:") != std::string::npos ? CapBit(kCapBpf) : 0;
  auto threads = ThreadCapabilities(sensor.pid());
  ASSERT_GE(threads.size(), 2u) << "expected the HTTP workers too";
  for (const auto& [tid, c] : threads) {
    EXPECT_EQ(c.effective & ~allowed, 0u) << "thread " << tid << " CapEff " << CapabilityNames(c.effective);
    EXPECT_EQ(c.permitted & ~allowed, 0u) << "thread " << tid << " CapPrm " << CapabilityNames(c.permitted);
    EXPECT_EQ(c.inheritable, 0u) << "thread " << tid;
    EXPECT_EQ(c.ambient, 0u) << "thread " << tid;
    EXPECT_EQ(c.bounding & ~allowed, 0u) << "thread " << tid << " CapBnd " << CapabilityNames(c.bounding);
    EXPECT_TRUE(c.no_new_privs) << "thread " << tid;
  }
  constexpr int kCalls = 20000;
  double d = CountedGetppids(sensor, kCalls);
  EXPECT_GE(d, kCalls);
  EXPECT_LE(d, kCalls + 200);
  auto e = ParseExposition(sensor.Scrape());
  for (const char* c : {"syscalls", "diskio", "cgroup_cpu", "process_events", "host", "clock"})
    EXPECT_EQ(Value(e, "hostprobe_collector_read_errors_total{collector=\"" + std::string(c) + "\"}"), 0)
        << c;
  EXPECT_GT(CountSeries(sensor.Scrape(), "hostprobe_filesystem_size_bytes{"), 0u)
      << "statvfs of mounts works without capabilities";
  // The sensor's own figures still read /proc/self after the drop.
  EXPECT_GT(Value(e, "process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(Value(e, "process_open_fds"), 3);
  EXPECT_GT(Value(e, "process_cpu_seconds_total"), 0);
  EXPECT_NEAR(Value(e, "process_start_time_seconds"), static_cast<double>(time(nullptr)), 120);
  EXPECT_EQ(sensor.Stop(SIGTERM, std::chrono::seconds(2)), 0);
}

TEST(PrivilegesTest, KeepCapabilitiesKeepsThem) {
  REQUIRE_ROOT();
  SensorProcess sensor(kSensor, {"--keep-capabilities"});
  ASSERT_TRUE(sensor.Start());
  ASSERT_TRUE(sensor.WaitHealthy()) << sensor.Log();
  EXPECT_NE(sensor.Log().find("keeping every capability (--keep-capabilities)"), std::string::npos);
  for (const auto& [tid, c] : ThreadCapabilities(sensor.pid()))
    EXPECT_NE(c.effective & CapBit(kCapSysAdmin), 0u) << "thread " << tid;

  SensorProcess some(kSensor, {"--keep-capabilities=dac_read_search"});
  ASSERT_TRUE(some.Start());
  ASSERT_TRUE(some.WaitHealthy()) << some.Log();
  const uint64_t allowed = some.Log().find("kept cap_bpf:") != std::string::npos ? CapBit(kCapBpf) : 0;
  EXPECT_NE(some.Log().find("kept cap_dac_read_search: --keep-capabilities"), std::string::npos)
      << some.Log();
  for (const auto& [tid, c] : ThreadCapabilities(some.pid()))
    EXPECT_EQ(c.effective & ~allowed, CapBit(kCapDacReadSearch))
        << "thread " << tid << " CapEff " << CapabilityNames(c.effective);
}

TEST(PrivilegesTest, RunsAsNobodyWithOnlyBpfAndPerfmon) {
  REQUIRE_ROOT();
  if (RunCommand({"sh", "-c", "command -v setpriv"}) != 0)
    GTEST_SKIP() << "setpriv (util-linux) not installed";
  // SensorProcess puts --listen first; a script puts setpriv in front.
  char script[] = "/tmp/hostprobe-nobody-XXXXXX";
  int fd = mkstemp(script);
  ASSERT_GE(fd, 0);
  const std::string text = std::string(
                               "#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups "
                               "--inh-caps=-all,+bpf,+perfmon --ambient-caps=+bpf,+perfmon "
                               "--bounding-set=-all,+bpf,+perfmon ") +
                           kSensor + " \"$@\"\n";
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  chmod(script, 0755);
  SensorProcess sensor(script, {});
  ASSERT_TRUE(sensor.Start());
  const bool healthy = sensor.WaitHealthy();
  unlink(script);
  ASSERT_TRUE(healthy) << sensor.Log();
  EXPECT_EQ(StatusField(sensor.pid(), "Uid"), "\t65534\t65534\t65534\t65534");
  for (const auto& [tid, c] : ThreadCapabilities(sensor.pid())) {
    EXPECT_EQ(c.effective, 0u) << "thread " << tid << " CapEff " << CapabilityNames(c.effective);
    EXPECT_EQ(c.permitted, 0u) << "thread " << tid;
    EXPECT_TRUE(c.no_new_privs) << "thread " << tid;
  }
  constexpr int kCalls = 20000;
  double d = CountedGetppids(sensor, kCalls);
  EXPECT_GE(d, kCalls);
  EXPECT_LE(d, kCalls + 200);
  auto e = ParseExposition(sensor.Scrape());
  for (const char* c : {"syscalls", "diskio", "cgroup_cpu", "process_events"})
    EXPECT_EQ(Value(e, "hostprobe_collector_up{collector=\"" + std::string(c) + "\"}"), 1) << c;
  EXPECT_EQ(Value(e, "hostprobe_collector_read_errors_total{collector=\"host\"}"), 0) << sensor.Log();
  EXPECT_GT(CountSeries(sensor.Scrape(), "hostprobe_cgroup_syscalls_total{"), 0u) << "the cgroup walk works";
}

// The programs a sensor reports attached (hostprobe_bpf_program_attached 1),
// as their series names.
std::set<std::string> AttachedPrograms(const SensorProcess& s) {
  std::set<std::string> out;
  std::istringstream in(s.Scrape());
  for (std::string line; std::getline(in, line);) {
    const size_t space = line.rfind(' ');
    if (line.rfind("hostprobe_bpf_program_attached{", 0) == 0 && space != std::string::npos &&
        line.substr(space + 1) == "1")
      out.insert(line.substr(0, space));
  }
  return out;
}

// The DaemonSet's effective set where CAP_SYS_RESOURCE cannot be granted (or
// is unused, since 5.11): uid 0 with only CAP_BPF and CAP_PERFMON attaches
// every program root attaches. Unless the sensor names the kernel's BTF
// itself, libbpf lists kernel-module BTF, which needs CAP_SYS_ADMIN, for a
// CO-RE type the kernel lacks (mm_rss_stat on 6.2+), and the process memory
// programs were lost, process memory silently falling back to /proc. The
// task iterator is also read after the capabilities are dropped: the sensor
// must still read memory from it then.
TEST(PrivilegesTest, BpfAndPerfmonAloneAttachWhatRootAttaches) {
  REQUIRE_ROOT();
  if (RunCommand({"sh", "-c", "command -v setpriv"}) != 0)
    GTEST_SKIP() << "setpriv (util-linux) not installed";
  std::set<std::string> as_root;
  {
    SensorProcess root(kSensor, {});
    ASSERT_TRUE(root.Start());
    ASSERT_TRUE(root.WaitHealthy()) << root.Log();
    as_root = AttachedPrograms(root);
  }
  ASSERT_FALSE(as_root.empty());

  char script[] = "/tmp/hostprobe-bpf-perfmon-XXXXXX";
  int fd = mkstemp(script);
  ASSERT_GE(fd, 0);
  const std::string text =
      std::string("#!/bin/sh\nexec setpriv --inh-caps=-all --bounding-set=-all,+bpf,+perfmon ") + kSensor +
      " \"$@\"\n";
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  chmod(script, 0755);
  SensorProcess sensor(script, {});
  ASSERT_TRUE(sensor.Start());
  const bool healthy = sensor.WaitHealthy();
  unlink(script);
  ASSERT_TRUE(healthy) << sensor.Log();
  for (const auto& [tid, c] : ThreadCapabilities(sensor.pid()))
    EXPECT_EQ(c.bounding & ~(CapBit(kCapBpf) | CapBit(kCapPerfmon)), 0u)
        << "thread " << tid << " CapBnd " << CapabilityNames(c.bounding);
  const std::set<std::string> least = AttachedPrograms(sensor);
  std::string missing, extra;
  for (const auto& p : as_root)
    if (least.count(p) == 0) missing += " " + p;
  for (const auto& p : least)
    if (as_root.count(p) == 0) extra += " " + p;
  EXPECT_TRUE(missing.empty()) << "attached as root only:" << missing << "\n" << sensor.Log();
  EXPECT_TRUE(extra.empty()) << "attached with CAP_BPF+CAP_PERFMON only:" << extra;
  for (const auto& [tid, c] : ThreadCapabilities(sensor.pid()))
    EXPECT_EQ(c.effective, 0u) << "thread " << tid << " CapEff " << CapabilityNames(c.effective);
  // Process memory's first sample ran on the sampling thread, started after
  // the drop: it read the task iterator, not /proc.
  std::optional<Exposition> e;
  for (int i = 0; i < 50; ++i) {
    e = ParseExposition(sensor.Scrape());
    if (Value(*e, "hostprobe_process_memory_samples_total") >= 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_GE(Value(*e, "hostprobe_process_memory_samples_total"), 1);
  EXPECT_EQ(Value(*e, "hostprobe_process_memory_source{figure=\"resident\",source=\"ebpf\"}"), 1);
  EXPECT_EQ(Value(*e, "hostprobe_collector_read_errors_total{collector=\"process_memory\"}"), 0)
      << sensor.Log();
  auto health = HttpRequest(sensor.port(), "GET", "/healthz");
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->body.find("process_memory"), std::string::npos) << health->body;
}

// ---- faults ---------------------------------------------------------------------

// The sensor's first answer to /healthz, whatever its status (nullopt if it
// never answered within 15 s).
std::optional<HttpResponse> FirstHealthAnswer(const SensorProcess& sensor) {
  std::optional<HttpResponse> health;
  for (int i = 0; i < 300 && !health; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    health = HttpRequest(sensor.port(), "GET", "/healthz");
  }
  return health;
}

TEST(FaultTest, OneProgramRefusedLeavesTheOthersRunningAndHealthzNamesIt) {
  REQUIRE_ROOT();
  REQUIRE_TEST_HOOKS("HOSTPROBE_TEST_REFUSE_ATTACH");
  SensorProcess sensor(kSensor, {});
  ASSERT_TRUE(sensor.Start({{"HOSTPROBE_TEST_REFUSE_ATTACH", "hp_block_issue"}}));
  std::optional<HttpResponse> health = FirstHealthAnswer(sensor);
  ASSERT_TRUE(health.has_value()) << sensor.Log();
  EXPECT_EQ(health->status, 503);
  EXPECT_NE(health->body.find("diskio: program hp_block_issue not attached"), std::string::npos)
      << health->body;
  EXPECT_EQ(health->body.find("syscalls"), std::string::npos) << health->body;
  const std::string log = sensor.Log();
  EXPECT_NE(log.find("attach hp_block_issue"), std::string::npos) << log;
  EXPECT_NE(log.find("HOSTPROBE_TEST_REFUSE_ATTACH"), std::string::npos) << log;
  auto e = ParseExposition(sensor.Scrape());
  EXPECT_EQ(Value(e, "hostprobe_bpf_program_attached{program=\"hp_block_issue\"}"), 0);
  EXPECT_EQ(Value(e, "hostprobe_bpf_program_attached{program=\"hp_block_done\"}"), 1);
  EXPECT_EQ(Value(e, "hostprobe_bpf_program_attached{program=\"hp_sys_enter\"}"), 1);
  constexpr int kCalls = 20000;
  double d = CountedGetppids(sensor, kCalls);
  EXPECT_GE(d, kCalls);
  EXPECT_LE(d, kCalls + 200);
}

// A program the collector can do without (process memory falls back to
// /proc/<pid>/status): the sensor stays ready, /healthz says "degraded" and
// why, and the metrics say which collector runs on its fallback.
TEST(FaultTest, ARefusedOptionalProgramDegradesTheSensorButKeepsItReady) {
  REQUIRE_ROOT();
  REQUIRE_TEST_HOOKS("HOSTPROBE_TEST_REFUSE_ATTACH");
  SensorProcess sensor(kSensor, {"--bpf-hook", "tp_btf"});
  ASSERT_TRUE(sensor.Start({{"HOSTPROBE_TEST_REFUSE_ATTACH", "hp_mem_iter"}}));
  std::optional<HttpResponse> health = FirstHealthAnswer(sensor);
  ASSERT_TRUE(health.has_value()) << sensor.Log();
  EXPECT_EQ(health->status, 200) << health->body;
  EXPECT_EQ(health->body.rfind("degraded\n", 0), 0u) << health->body;
  EXPECT_NE(health->body.find("process_memory: program hp_mem_iter not attached"), std::string::npos)
      << health->body;
  auto e = ParseExposition(sensor.Scrape());
  EXPECT_EQ(Value(e, "hostprobe_bpf_program_attached{program=\"hp_mem_iter\"}"), 0);
  EXPECT_EQ(Value(e, "hostprobe_process_memory_source{figure=\"resident\",source=\"procfs\"}"), 1);
  EXPECT_EQ(Value(e, "hostprobe_collector_up{collector=\"process_memory\"}"), 1);
  EXPECT_EQ(Value(e, "hostprobe_collector_degraded{collector=\"process_memory\"}"), 1);
  EXPECT_EQ(Value(e, "hostprobe_collector_degraded{collector=\"syscalls\"}"), 0);
}

// A latency sampling window that cannot open (hp_sys_enter refused, at start
// and at every window): /healthz names it, the windows' failures are counted,
// and calls are still counted exactly (they are counted at sys_exit).
TEST(FaultTest, RefusedLatencyWindowIsReportedAndCountingGoesOn) {
  REQUIRE_ROOT();
  REQUIRE_TEST_HOOKS("HOSTPROBE_TEST_REFUSE_ATTACH");
  SensorProcess sensor(kSensor, {"--bpf-hook", "tp_btf", "--syscall-latency-sample", "4"});
  ASSERT_TRUE(sensor.Start({{"HOSTPROBE_TEST_REFUSE_ATTACH", "hp_sys_enter"}}));
  std::optional<HttpResponse> health = FirstHealthAnswer(sensor);
  ASSERT_TRUE(health.has_value()) << sensor.Log();
  EXPECT_EQ(health->status, 503);
  EXPECT_NE(health->body.find("syscalls: program hp_sys_enter not attached"), std::string::npos)
      << health->body;
  // Not ready, but alive: liveness never restarts it for a failing part.
  auto live = HttpRequest(sensor.port(), "GET", "/livez");
  ASSERT_TRUE(live.has_value());
  EXPECT_EQ(live->status, 200);
  EXPECT_EQ(live->body, "ok\n");
  constexpr int kCalls = 20000;
  double d = CountedGetppids(sensor, kCalls);
  EXPECT_GE(d, kCalls);
  EXPECT_LE(d, kCalls + 200);
  auto e = ParseExposition(sensor.Scrape());
  EXPECT_EQ(Value(e, "hostprobe_bpf_program_attached{program=\"hp_sys_enter\"}"), 0);
  EXPECT_EQ(Value(e, "hostprobe_bpf_program_attached{program=\"hp_sys_exit\"}"), 1);
  EXPECT_GE(Value(e, "hostprobe_syscall_latency_windows_total{result=\"attach_failed\"}"), 1) << sensor.Log();
  EXPECT_EQ(Value(e, "hostprobe_syscall_latency_windows_total{result=\"ok\"}"), 0);
  EXPECT_EQ(Value(e, "hostprobe_syscall_latency_seconds_count{syscall=\"getppid\"}"), 0);
}

// Before 5.5 the counters cannot be mmapped and are read entry by entry;
// forced here, the counts are the same.
TEST(FaultTest, CountersReadWithoutMmapAreExact) {
  REQUIRE_ROOT();
  REQUIRE_TEST_HOOKS("HOSTPROBE_TEST_NO_MMAP");
  // Every call timed, so the latency histogram (read by lookups too) has one
  // entry per call.
  SensorProcess sensor(kSensor, {"--syscall-latency-sample", "1"});
  ASSERT_TRUE(sensor.Start({{"HOSTPROBE_TEST_NO_MMAP", "1"}}));
  ASSERT_TRUE(sensor.WaitHealthy()) << sensor.Log();
  EXPECT_NE(sensor.Log().find("reading counters entry by entry"), std::string::npos) << sensor.Log();
  const std::string timed = "hostprobe_syscall_latency_seconds_count{syscall=\"getppid\"}";
  const double timed_before = Value(ParseExposition(sensor.Scrape()), timed);
  constexpr int kCalls = 20000;
  double d = CountedGetppids(sensor, kCalls);
  EXPECT_GE(d, kCalls);
  EXPECT_LE(d, kCalls + 200);
  const double t = Value(ParseExposition(sensor.Scrape()), timed) - timed_before;
  EXPECT_GE(t, kCalls);
  EXPECT_LE(t, kCalls + 200);
}

// ---- hostile names --------------------------------------------------------------

TEST(HostileInputTest, HostileProcessCgroupAndMountNamesAreEscaped) {
  REQUIRE_ROOT();
  const std::string root = Cgroup2Root();
  ASSERT_FALSE(root.empty()) << "no cgroup2 filesystem mounted";
  // cgroup names cannot hold a newline (the kernel refuses it); mount points can.
  const std::string tag = "hp-hostile-" + std::to_string(getpid()) + "-";
  const std::string nasty = "a\"b\\c\xff";
  const std::string cg_name = "/" + tag + nasty;
  ASSERT_EQ(mkdir((root + cg_name).c_str(), 0755), 0) << std::strerror(errno);
  const std::string mnt = "/tmp/" + tag + nasty + "\nz";
  ASSERT_EQ(mkdir(mnt.c_str(), 0755), 0) << std::strerror(errno);
  ASSERT_EQ(mount("none", mnt.c_str(), "tmpfs", 0, "size=1m"), 0) << std::strerror(errno);

  SensorProcess sensor(kSensor, {});
  ASSERT_TRUE(sensor.Start());
  ASSERT_TRUE(sensor.WaitHealthy()) << sensor.Log();
  // comm is at most 15 bytes: quote, backslash, newline and an invalid byte fit.
  EXPECT_EQ(
      RunCommand({kWorkload, "--name", "x\"y\\z\n\xff", "--cgroup", root + cg_name, "--getppid", "1000"}), 0);

  const std::string escaped_cg = "/" + tag + "a\\\"b\\\\c\xEF\xBF\xBD";
  const std::string series =
      "hostprobe_cgroup_syscalls_total{cgroup=\"" + escaped_cg + "\",pod_uid=\"\",container_id=\"\"}";
  std::string body;
  for (int i = 0; i < 10 && Value(ParseExposition(body), series) == 0; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(600));
    body = sensor.Scrape();
  }
  EXPECT_GE(Value(ParseExposition(body), series), 1000) << "no " << series;
  const std::string escaped_mnt = "mountpoint=\"/tmp/" + tag + "a\\\"b\\\\c\xEF\xBF\xBD\\nz\"";
  EXPECT_GT(CountSeries(body, escaped_mnt), 0u) << "no series with " << escaped_mnt;
  EXPECT_EQ(body.find('\xff'), std::string::npos) << "an invalid byte reached the exposition";
  std::string out;
  EXPECT_EQ(Promtool(body, &out), 0) << "promtool check metrics:\n" << out;

  umount(mnt.c_str());
  rmdir(mnt.c_str());
  rmdir((root + cg_name).c_str());
}

// A child that names itself `name` (prctl PR_SET_NAME) and waits to be
// killed; -1 on failure. Returns once the name is set.
pid_t SpawnNamed(const std::string& name) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    prctl(PR_SET_NAME, name.c_str(), 0, 0, 0);
    close(fds[0]);
    if (write(fds[1], "r", 1) != 1) _exit(1);
    close(fds[1]);
    for (;;) pause();
  }
  close(fds[1]);
  char c = 0;
  const bool ready = pid > 0 && read(fds[0], &c, 1) == 1;
  close(fds[0]);
  return ready ? pid : -1;
}

// Names that used to hide a process from every per-process series (one with
// a newline split /proc/<pid>/stat into two lines) or could confuse a parser
// of stat or of the exposition. Each must show up under its own pid, escaped.
TEST(HostileInputTest, ProcessesWithHostileNamesAreAllExported) {
  REQUIRE_ROOT();
  // Name as set (at most 15 bytes), and as the exposition must show it.
  const std::vector<std::pair<std::string, std::string>> names = {
      {"a\nb", "a\\nb"},
      {") (", ") ("},
      {"x)", "x)"},
      {"\n0 0 0", "\\n0 0 0"},
      {"\xff\xfe \xc3(", "\xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD("},
      {"0123456789abcde", "0123456789abcde"},
  };
  // Named before the sensor starts, so its first sample already sees the names.
  std::vector<pid_t> children;
  for (const auto& [name, escaped] : names) children.push_back(SpawnNamed(name));
  auto reap = [&children] {
    for (pid_t c : children)
      if (c > 0) {
        kill(c, SIGKILL);
        waitpid(c, nullptr, 0);
      }
  };
  for (pid_t c : children) {
    if (c < 0) {
      reap();
      FAIL() << "could not start a named child";
    }
  }

  SensorProcess sensor(kSensor, {"--top-processes", "100000"});
  ASSERT_TRUE(sensor.Start());
  ASSERT_TRUE(sensor.WaitHealthy()) << sensor.Log();
  auto series_of = [](const Exposition& e, pid_t pid, const std::string& escaped) {
    const std::string prefix =
        "hostprobe_process_rss_bytes{pid=\"" + std::to_string(pid) + "\",comm=\"" + escaped + "\",cgroup=\"";
    auto it = e.lower_bound(prefix);
    return it != e.end() && it->first.rfind(prefix, 0) == 0 && it->second > 0;
  };
  std::string body;
  size_t found = 0;
  for (int i = 0; i < 20 && found < names.size(); ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    body = sensor.Scrape();
    const Exposition e = ParseExposition(body);
    found = 0;
    for (size_t k = 0; k < names.size(); ++k) found += series_of(e, children[k], names[k].second) ? 1 : 0;
  }
  const Exposition e = ParseExposition(body);
  for (size_t k = 0; k < names.size(); ++k)
    EXPECT_TRUE(series_of(e, children[k], names[k].second))
        << "pid " << children[k] << " (comm \"" << names[k].second
        << "\") missing from hostprobe_process_rss_bytes";
  EXPECT_EQ(body.find('\xff'), std::string::npos) << "an invalid byte reached the exposition";
  std::string out;
  EXPECT_EQ(Promtool(body, &out), 0) << "promtool check metrics:\n" << out;
  reap();
}

// ---- bounded series -------------------------------------------------------------

TEST(SeriesCapTest, FamiliesOverTheCapFoldIntoOverflowAndAreCounted) {
  REQUIRE_ROOT();
  SensorProcess sensor(kSensor, {"--max-series-per-family", "3"});
  ASSERT_TRUE(sensor.Start());
  ASSERT_TRUE(sensor.WaitHealthy()) << sensor.Log();
  ASSERT_EQ(RunCommand({kWorkload, "--getppid", "100", "--enoent", "100"}), 0);
  const std::string body = sensor.Scrape();
  EXPECT_EQ(CountSeries(body, "hostprobe_syscalls_total{"), 3u);
  EXPECT_EQ(CountSeries(body, "hostprobe_syscalls_total{syscall=\"overflow\"}"), 1u);
  // Histograms: whole series (all buckets) dropped, no overflow series.
  EXPECT_EQ(CountSeries(body, "hostprobe_syscall_latency_seconds_count{"), 3u);
  EXPECT_EQ(CountSeries(body, "hostprobe_syscall_latency_seconds_count{syscall=\"overflow\"}"), 0u);
  auto e = ParseExposition(body);
  EXPECT_GT(Value(e, "hostprobe_series_dropped_total{family=\"hostprobe_syscalls_total\"}"), 0);
  EXPECT_GT(Value(e, "hostprobe_series_dropped_total{family=\"hostprobe_syscall_latency_seconds\"}"), 0);
  std::string out;
  EXPECT_EQ(Promtool(body, &out), 0) << "promtool check metrics:\n" << out;
  EXPECT_NE(sensor.Log().find("over --max-series-per-family 3"), std::string::npos);
}

// The overflow series of a counter family is a counter: it never goes down,
// however the series come, go and change rank between scrapes. Two busy
// cgroups take the kept places; six others, folded, churn: every round the
// oldest is removed (with its tens of thousands of calls) and a new one
// made, and each round's busiest is another. Were the overflow a sum of the
// folded series' current values, each removal would take its calls off it.
TEST(SeriesCapTest, OverflowCounterNeverDecreasesWhileSeriesComeAndGo) {
  REQUIRE_ROOT();
  const std::string root = Cgroup2Root();
  ASSERT_FALSE(root.empty()) << "no cgroup2 filesystem mounted";
  const std::string parent = root + "/hp-overflow-" + std::to_string(getpid());
  ASSERT_EQ(mkdir(parent.c_str(), 0755), 0) << std::strerror(errno);
  auto dir = [&parent](const std::string& name) { return parent + "/" + name; };
  auto remove = [](const std::string& path) {
    for (int t = 0; t < 50 && rmdir(path.c_str()) != 0 && errno == EBUSY; ++t)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  };
  auto run = [&dir](const std::string& cgroup, int calls) {
    return RunCommand({kWorkload, "--cgroup", dir(cgroup), "--getppid", std::to_string(calls)});
  };
  constexpr int kActive = 6, kRounds = 12, kBurst = 50000;

  const std::string overflow =
      "hostprobe_cgroup_syscalls_total{cgroup=\"overflow\",pod_uid=\"overflow\",container_id=\"overflow\"}";
  // Removed cgroups go at the next walk that misses them (no grace period):
  // the rounds below churn faster than the default keeps them.
  SensorProcess sensor(kSensor, {"--max-series-per-family", "3", "--removed-cgroup-grace", "0s"});
  ASSERT_TRUE(sensor.Start());
  ASSERT_TRUE(sensor.WaitHealthy()) << sensor.Log();
  for (const char* big : {"big0", "big1"}) {
    ASSERT_EQ(mkdir(dir(big).c_str(), 0755), 0) << std::strerror(errno);
    ASSERT_EQ(run(big, 1000000), 0);
  }
  for (int i = 0; i < kActive; ++i) {
    ASSERT_EQ(mkdir(dir("c" + std::to_string(i)).c_str(), 0755), 0) << std::strerror(errno);
    ASSERT_EQ(run("c" + std::to_string(i), kBurst), 0);
  }

  // Over the cap once the cgroups are named (a walk, at most one a second):
  // the two big ones are kept from then on.
  double previous = 0;
  std::string body;
  int scrapes = 0;
  for (int i = 0; i < 30 && ParseExposition(body).count(overflow) == 0; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(300));
    body = sensor.Scrape();
    ++scrapes;
  }
  ASSERT_EQ(ParseExposition(body).count(overflow), 1u) << "the family never went over the cap";
  previous = Value(ParseExposition(body), overflow);
  for (int round = 0; round < kRounds; ++round) {
    // c<round> goes, c<round + kActive> comes; the others keep counting.
    remove(dir("c" + std::to_string(round)));
    const int newest = round + kActive;
    ASSERT_EQ(mkdir(dir("c" + std::to_string(newest)).c_str(), 0755), 0) << std::strerror(errno);
    for (int i = round + 1; i <= newest; ++i)
      ASSERT_EQ(run("c" + std::to_string(i), i == newest ? kBurst : 200 * (1 + (round + i) % 5)), 0);
    // A few scrapes a round: removed cgroups go from the series after the
    // next walk, which the new one's first calls bring about.
    for (int k = 0; k < 3; ++k) {
      if (k > 0) std::this_thread::sleep_for(std::chrono::milliseconds(300));
      body = sensor.Scrape();
      ++scrapes;
      auto e = ParseExposition(body);
      ASSERT_EQ(e.count(overflow), 1u) << "round " << round << ": no overflow series";
      const double v = Value(e, overflow);
      EXPECT_GE(v, previous) << "round " << round << ": overflow went from " << previous << " to " << v;
      previous = v;
      EXPECT_LE(CountSeries(body, "hostprobe_cgroup_syscalls_total{"), 3u);
    }
  }
  std::printf("overflow after %d scrapes: %.0f\n", scrapes, previous);
  // Every churning cgroup was folded (the two big ones and the root hold
  // the kept places or outrank them): all their calls are in it.
  EXPECT_GE(previous, static_cast<double>(kBurst) * (kActive + kRounds) - 1000)
      << "(batches not yet flushed: a few calls)";
  auto e = ParseExposition(body);
  EXPECT_GT(Value(e, "hostprobe_series_dropped_total{family=\"hostprobe_cgroup_syscalls_total\"}"), 0);
  std::string out;
  EXPECT_EQ(Promtool(body, &out), 0) << "promtool check metrics:\n" << out;

  for (int i = kRounds; i < kRounds + kActive; ++i) remove(dir("c" + std::to_string(i)));
  remove(dir("big0"));
  remove(dir("big1"));
  remove(parent);
}

// A child, born in the cgroup `cgroup_fd` (clone3 CLONE_INTO_CGROUP, 5.7+:
// no migration, which costs an RCU grace period per process), that makes a
// few syscalls and exits. Falls back to fork and joining cgroup.procs.
pid_t SpawnShortLived(int cgroup_fd, const std::string& cgroup) {
  clone_args args{};
  args.flags = CLONE_INTO_CGROUP;
  args.exit_signal = SIGCHLD;
  args.cgroup = static_cast<uint64_t>(cgroup_fd);
  long pid = syscall(SYS_clone3, &args, sizeof(args));
  if (pid < 0 && (errno == ENOSYS || errno == E2BIG || errno == EINVAL)) {
    pid = fork();
    if (pid == 0) {
      int fd = open((cgroup + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0 || write(fd, "0", 1) != 1) _exit(1);
    }
  }
  if (pid != 0) return static_cast<pid_t>(pid);
  for (int i = 0; i < 20; ++i) syscall(SYS_getppid);
  _exit(0);
}

TEST(CardinalityTest, ThousandsOfShortLivedProcessesInHundredsOfCgroupsStayBoundedAndVanish) {
  REQUIRE_ROOT();
  const std::string root = Cgroup2Root();
  ASSERT_FALSE(root.empty()) << "no cgroup2 filesystem mounted";
  constexpr int kCgroups = 300, kPerCgroup = 10, kBatch = 30;
  const std::string parent_name = "/hp-churn-" + std::to_string(getpid());
  const std::string parent = root + parent_name;
  ASSERT_EQ(mkdir(parent.c_str(), 0755), 0) << std::strerror(errno);

  // A short grace period: removed cgroups keep their series that long.
  SensorProcess sensor(kSensor, {"--removed-cgroup-grace", "3s"});
  ASSERT_TRUE(sensor.Start());
  ASSERT_TRUE(sensor.WaitHealthy()) << sensor.Log();
  ASSERT_FALSE(sensor.Scrape().empty());
  const long rss_before = VmRssKiB(sensor.pid());
  const auto started = std::chrono::steady_clock::now();

  size_t max_series = 0;
  for (int first = 0; first < kCgroups; first += kBatch) {
    std::vector<pid_t> children;
    for (int i = first; i < first + kBatch; ++i) {
      const std::string dir = parent + "/c" + std::to_string(i);
      ASSERT_EQ(mkdir(dir.c_str(), 0755), 0) << dir << ": " << std::strerror(errno);
      int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      ASSERT_GE(fd, 0) << dir << ": " << std::strerror(errno);
      for (int k = 0; k < kPerCgroup; ++k) children.push_back(SpawnShortLived(fd, dir));
      close(fd);
    }
    int failed = 0;
    for (pid_t c : children) {
      int status = 0;
      if (c < 0 || waitpid(c, &status, 0) != c || !WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
    }
    ASSERT_EQ(failed, 0) << "children that could not join their cgroup";
    max_series = std::max(max_series, CountSeries(sensor.Scrape()));
  }
  const auto churned = std::chrono::steady_clock::now();
  // Every cgroup is named once a walk has seen it (walks: at most one a second).
  size_t named = 0;
  for (int i = 0; i < 10 && named < kCgroups; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    const std::string body = sensor.Scrape();
    max_series = std::max(max_series, CountSeries(body));
    named = CountSeries(body, "hostprobe_cgroup_syscalls_total{cgroup=\"" + parent_name + "/c");
  }
  EXPECT_EQ(named, static_cast<size_t>(kCgroups));
  EXPECT_LT(max_series, 10000u);

  // Remove them (an exiting task can hold a cgroup a moment longer).
  for (int i = 0; i < kCgroups; ++i) {
    const std::string dir = parent + "/c" + std::to_string(i);
    for (int t = 0; t < 50 && rmdir(dir.c_str()) != 0 && errno == EBUSY; ++t)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(rmdir(parent.c_str()), 0) << std::strerror(errno);
  size_t left = 1;
  // Walks are renewed every 10 s; an id is dropped after a walk misses it
  // and its grace period (3 s) is over.
  for (int i = 0; i < 40 && left > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    left = CountSeries(sensor.Scrape(), parent_name);
  }
  EXPECT_EQ(left, 0u) << "series of removed cgroups are still exported";
  const long growth_kib = VmRssKiB(sensor.pid()) - rss_before;
  std::printf(
      "sensor RSS growth over %d processes in %d cgroups: %ld KiB; most series in a scrape: %zu; "
      "churn took %.1f s\n",
      kCgroups * kPerCgroup, kCgroups, growth_kib, max_series,
      std::chrono::duration<double>(churned - started).count());
#ifndef __SANITIZE_ADDRESS__
  EXPECT_LT(growth_kib, 25 * 1024);
#else
  // AddressSanitizer keeps freed memory in quarantine (256 MB by default):
  // the sanitized sensor's RSS says nothing about the real one's.
  (void)growth_kib;
#endif
}

}  // namespace
}  // namespace hostprobe::testing
