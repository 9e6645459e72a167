// End-to-end checks of the host resource figures against the kernel's own
// accounting: /proc/diskstats, cgroup cpu.stat, /proc/stat, /proc/meminfo,
// statvfs. Needs root; skipped with a message otherwise.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/cgroup.h"
#include "test_support.h"

namespace hostprobe::testing {
namespace {

constexpr const char* kSensor = HOSTPROBE_BIN;
constexpr const char* kWorkload = WORKLOAD_BIN;

#define REQUIRE_ROOT() \
  if (geteuid() != 0) GTEST_SKIP() << "integration tests load eBPF programs: run them as root"

struct DiskLine {
  std::string name;
  uint64_t read_sectors = 0, write_sectors = 0;
};

// The whole-disk kernel name and /proc/diskstats figures of the disk holding `path`.
std::optional<DiskLine> DiskOf(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  unsigned maj = major(st.st_dev), min = minor(st.st_dev);
  // A partition's sysfs directory sits inside its disk's.
  std::string sys = "/sys/dev/block/" + std::to_string(maj) + ":" + std::to_string(min);
  if (access((sys + "/partition").c_str(), F_OK) == 0) {
    std::string dev = ReadFile(sys + "/../dev");
    if (sscanf(dev.c_str(), "%u:%u", &maj, &min) != 2) return std::nullopt;
  }
  std::istringstream in(ReadFile("/proc/diskstats"));
  std::string line;
  while (std::getline(in, line)) {
    unsigned m = 0, n = 0;
    char name[64];
    unsigned long long f[7];
    if (sscanf(line.c_str(), " %u %u %63s %llu %llu %llu %llu %llu %llu %llu", &m, &n, name, &f[0], &f[1],
               &f[2], &f[3], &f[4], &f[5], &f[6]) == 10 &&
        m == maj && n == min) {
      return DiskLine{name, f[2], f[6]};
    }
  }
  return std::nullopt;
}

class ResourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    REQUIRE_ROOT();
    sensor_ = std::make_unique<SensorProcess>(kSensor, std::vector<std::string>{});
    ASSERT_TRUE(sensor_->Start());
    ASSERT_TRUE(sensor_->WaitHealthy()) << sensor_->Log();
  }
  Exposition Scrape() { return ParseExposition(sensor_->Scrape()); }
  std::unique_ptr<SensorProcess> sensor_;
};

TEST_F(ResourcesTest, DiskBytesAgreeWithDiskstats) {
  // /var/tmp is on the root filesystem (not a tmpfs) on Debian.
  const std::string file = "/var/tmp/hostprobe-dio-" + std::to_string(getpid());
  auto disk_before = DiskOf("/var/tmp");
  ASSERT_TRUE(disk_before) << "cannot find the disk under /var/tmp in /proc/diskstats";
  const std::string dev = disk_before->name;
  const std::string w = "hostprobe_disk_io_bytes_total{device=\"" + dev + "\",op=\"write\"}";
  const std::string r = "hostprobe_disk_io_bytes_total{device=\"" + dev + "\",op=\"read\"}";
  const std::string wl = "hostprobe_disk_io_latency_seconds_count{device=\"" + dev + "\",op=\"write\"}";
  auto before = Scrape();
  std::string out;
  ASSERT_EQ(RunCommand({kWorkload, "--direct-io", file, "--mib", "96"}, &out), 0) << out;
  auto disk_after = DiskOf("/var/tmp");
  auto after = Scrape();
  ASSERT_TRUE(disk_after);
  const double kernel_w = static_cast<double>(disk_after->write_sectors - disk_before->write_sectors) * 512;
  const double kernel_r = static_cast<double>(disk_after->read_sectors - disk_before->read_sectors) * 512;
  const double ours_w = Value(after, w) - Value(before, w);
  const double ours_r = Value(after, r) - Value(before, r);
  ASSERT_GE(kernel_w, 96.0 * (1 << 20)) << "the disk under /var/tmp did not see our writes";
  ASSERT_GE(kernel_r, 96.0 * (1 << 20)) << "the disk under /var/tmp did not see our reads";
  EXPECT_NEAR(ours_w, kernel_w, kernel_w * 0.05) << "write bytes vs /proc/diskstats";
  EXPECT_NEAR(ours_r, kernel_r, kernel_r * 0.05) << "read bytes vs /proc/diskstats";
  EXPECT_GT(Value(after, wl) - Value(before, wl), 0) << "write latency histogram counted nothing";
}

TEST_F(ResourcesTest, CgroupCpuTimeAgreesWithCgroupCpuStat) {
  std::ifstream mi("/proc/self/mountinfo");
  std::stringstream ss;
  ss << mi.rdbuf();
  std::string root = FindCgroup2Mount(ss.str()).value_or("");
  ASSERT_FALSE(root.empty()) << "no cgroup2 filesystem mounted";
  const std::string name = "/hostprobe-cpu-" + std::to_string(getpid());
  const std::string dir = root + name;
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0) << dir;
  std::string out;
  ASSERT_EQ(RunCommand({kWorkload, "--cgroup", dir, "--burn-ms", "1000"}, &out), 0) << out;
  // usage_usec in cpu.stat is kept by every cgroup v2 directory, controllers or not.
  double kernel = 0;
  std::istringstream stat(ReadFile(dir + "/cpu.stat"));
  std::string key;
  uint64_t value = 0;
  while (stat >> key >> value) {
    if (key == "usage_usec") kernel = static_cast<double>(value) / 1e6;
  }
  const std::string series =
      "hostprobe_cgroup_cpu_seconds_total{cgroup=\"" + name + "\",pod_uid=\"\",container_id=\"\"}";
  Exposition e;
  for (int i = 0; i < 5 && Value(e, series) == 0; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(600));
    e = Scrape();
  }
  rmdir(dir.c_str());
  // Only proof that the burner ran here: on a loaded host 1 s of wall time
  // can be well under 0.5 s on a CPU.
  ASSERT_GT(kernel, 0.1) << "the burner did not run in the cgroup";
  EXPECT_NEAR(Value(e, series), kernel, kernel * 0.05) << "eBPF on-CPU time vs cgroup cpu.stat usage_usec";
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

// Bytes of one op in a cgroup v2 directory's io.stat (summed over devices),
// or -1 where the io controller is not on cgroup v2.
double IoStatBytes(const std::string& dir, const char* key) {
  std::istringstream in(ReadFile(dir + "/io.stat"));
  std::string word;
  double sum = -1;
  const std::string prefix = std::string(key) + "=";
  while (in >> word) {
    if (word.rfind(prefix, 0) == 0) sum = std::max(sum, 0.0) + std::stod(word.substr(prefix.size()));
  }
  return sum;
}

// Two cgroups write and read back with O_DIRECT at the same time while a
// third floods the same disk with buffered writes: each O_DIRECT cgroup is
// charged what it moved, within 5% (and agrees with its io.stat where the io
// controller is on cgroup v2), however the block layer queued, plugged or
// dispatched the requests.
TEST_F(ResourcesTest, DiskBytesPerCgroupUnderContention) {
  const std::string root = Cgroup2Root();
  ASSERT_FALSE(root.empty()) << "no cgroup2 filesystem mounted";
  const bool io_on_v2 = ReadFile(root + "/cgroup.controllers").find("io") != std::string::npos;
  if (io_on_v2 && ReadFile(root + "/cgroup.subtree_control").find("io") == std::string::npos) {
    ASSERT_TRUE(WriteFile(root + "/cgroup.subtree_control", "+io"));
  }
  const std::string tag = std::to_string(getpid());
  const std::string names[3] = {"/hostprobe-dio-a-" + tag, "/hostprobe-dio-b-" + tag,
                                "/hostprobe-flood-" + tag};
  for (const auto& n : names) ASSERT_EQ(mkdir((root + n).c_str(), 0755), 0) << root + n;
  constexpr int kMib = 64;
  std::vector<pid_t> pids;
  auto spawn = [&](std::vector<std::string> argv) {
    pid_t pid = fork();
    if (pid == 0) {
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    pids.push_back(pid);
  };
  const std::string flood = "/var/tmp/hostprobe-flood-" + tag;
  spawn({"sh", "-c",
         "echo $$ >\"$0/cgroup.procs\" && exec dd if=/dev/zero of=\"$1\" bs=1M count=768 "
         "conv=fdatasync status=none",
         root + names[2], flood});
  for (int i = 0; i < 2; ++i) {
    spawn({kWorkload, "--cgroup", root + names[i], "--direct-io",
           "/var/tmp/hostprobe-dio-" + tag + "-" + std::to_string(i), "--mib", std::to_string(kMib)});
  }
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child " << pid << " status " << status;
  }
  unlink(flood.c_str());
  const double want = kMib * double(1 << 20);
  Exposition e;
  auto series = [&](int i, const char* op) {
    return "hostprobe_cgroup_disk_io_bytes_total{cgroup=\"" + names[i] +
           "\",pod_uid=\"\",container_id=\"\",op=\"" + op + "\"}";
  };
  // New cgroups are named on a later walk (one per second at most).
  for (int i = 0; i < 10 && (Value(e, series(0, "read")) < want || Value(e, series(1, "read")) < want); ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    e = Scrape();
  }
  for (int i = 0; i < 2; ++i) {
    EXPECT_NEAR(Value(e, series(i, "write")), want, want * 0.05) << names[i];
    EXPECT_NEAR(Value(e, series(i, "read")), want, want * 0.05) << names[i];
    if (io_on_v2) {
      EXPECT_NEAR(Value(e, series(i, "write")), IoStatBytes(root + names[i], "wbytes"), want * 0.05)
          << names[i];
      EXPECT_NEAR(Value(e, series(i, "read")), IoStatBytes(root + names[i], "rbytes"), want * 0.05)
          << names[i];
    }
  }
  // How the requests were attributed is exported; the flood was counted too.
  EXPECT_GT(Value(e, io_on_v2 ? "hostprobe_cgroup_disk_io_bios_total{source=\"blkcg\"}"
                              : "hostprobe_cgroup_disk_io_bios_total{source=\"task\"}"),
            0);
  for (const auto& n : names) rmdir((root + n).c_str());
}

// usage_usec of a cgroup v2 directory's cpu.stat, in seconds (kept by every
// directory, controllers or not); negative when unreadable.
double CpuStatUsage(const std::string& dir) {
  std::istringstream stat(ReadFile(dir + "/cpu.stat"));
  std::string key;
  uint64_t value = 0;
  while (stat >> key >> value) {
    if (key == "usage_usec") return static_cast<double>(value) / 1e6;
  }
  return -1;
}

// A CPU-bound task pinned to one CPU in a fresh cgroup, scraped every
// second: it is rarely or never switched out, yet each second's increase
// matches what the kernel's own cpu.stat says for that second, because the
// sensor adds each CPU's slice in progress when it reads.
TEST_F(ResourcesTest, CgroupCpuTimeIsCurrentWhileATaskStaysOnTheCpu) {
  const std::string root = Cgroup2Root();
  ASSERT_FALSE(root.empty()) << "no cgroup2 filesystem mounted";
  const std::string name = "/hostprobe-cpunow-" + std::to_string(getpid());
  const std::string dir = root + name;
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0) << dir;
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  const std::string cpu = std::to_string(cpus > 1 ? cpus - 1 : 0);
  pid_t burner = fork();
  ASSERT_GE(burner, 0);
  if (burner == 0) {
    execlp("taskset", "taskset", "-c", cpu.c_str(), kWorkload, "--cgroup", dir.c_str(), "--burn-ms", "7000",
           static_cast<char*>(nullptr));
    _exit(127);
  }
  const std::string series =
      "hostprobe_cgroup_cpu_seconds_total{cgroup=\"" + name + "\",pod_uid=\"\",container_id=\"\"}";
  // The new cgroup is named on a later walk of the tree (one per second at most).
  Exposition e;
  for (int i = 0; i < 10 && e.count(series) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    e = Scrape();
  }
  ASSERT_EQ(e.count(series), 1u) << "no series for " << name;
  // The kernel's figure is read just before and just after each scrape; the
  // sensor's lies between, so the midpoint is compared.
  auto sample = [&](double* ours, double* kernel) {
    double k0 = CpuStatUsage(dir);
    Exposition x = Scrape();
    double k1 = CpuStatUsage(dir);
    *ours = Value(x, series);
    *kernel = (k0 + k1) / 2;
  };
  double ours0 = 0, kernel0 = 0;
  sample(&ours0, &kernel0);
  double ours_prev = ours0, kernel_prev = kernel0, kernel_total = 0;
  for (int second = 1; second <= 4; ++second) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    double ours = 0, kernel = 0;
    sample(&ours, &kernel);
    EXPECT_NEAR(ours - ours_prev, kernel - kernel_prev, 0.2)
        << "second " << second << ": sensor " << ours - ours_prev << " s, cpu.stat " << kernel - kernel_prev
        << " s";
    ours_prev = ours;
    kernel_prev = kernel;
    kernel_total = kernel - kernel0;
  }
  int status = 0;
  waitpid(burner, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "burner status " << status;
  rmdir(dir.c_str());
  ASSERT_GT(kernel_total, 0.4) << "the burner hardly ran in the cgroup";
  EXPECT_NEAR(ours_prev - ours0, kernel_total, kernel_total * 0.05) << "over four seconds";
}

TEST_F(ResourcesTest, CpuSecondsAddUpToElapsedTimesCpus) {
  const std::string modes[] = {"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"};
  auto total = [&](const Exposition& e) {
    double sum = 0;
    for (const auto& m : modes) sum += Value(e, "hostprobe_cpu_seconds_total{mode=\"" + m + "\"}");
    return sum;
  };
  auto t0 = std::chrono::steady_clock::now();
  auto before = Scrape();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  auto after = Scrape();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpus = static_cast<double>(sysconf(_SC_NPROCESSORS_ONLN));
  ASSERT_GT(total(before), 0) << "no hostprobe_cpu_seconds_total series";
  EXPECT_NEAR(total(after) - total(before), elapsed * cpus, elapsed * cpus * 0.25);
}

TEST_F(ResourcesTest, MemoryTotalEqualsMemTotal) {
  std::istringstream in(ReadFile("/proc/meminfo"));
  std::string key;
  double kib = 0;
  std::string unit;
  double mem_total = 0;
  while (in >> key >> kib) {
    std::getline(in, unit);
    if (key == "MemTotal:") mem_total = kib * 1024;
  }
  ASSERT_GT(mem_total, 0);
  auto e = Scrape();
  EXPECT_EQ(Value(e, "hostprobe_memory_total_bytes"), mem_total);
  EXPECT_GT(Value(e, "hostprobe_memory_available_bytes"), 0);
  EXPECT_LE(Value(e, "hostprobe_memory_available_bytes"), mem_total);
}

TEST_F(ResourcesTest, RootFilesystemAvailAgreesWithStatvfs) {
  auto e = Scrape();
  // Find the series of "/" whatever its device and fstype labels are.
  double ours = -1;
  for (const auto& [series, value] : e) {
    if (series.rfind("hostprobe_filesystem_avail_bytes{", 0) == 0 &&
        series.find("mountpoint=\"/\"") != std::string::npos)
      ours = value;
  }
  struct statvfs st {};
  ASSERT_EQ(statvfs("/", &st), 0);
  const double kernel = static_cast<double>(st.f_bavail) * static_cast<double>(st.f_frsize);
  ASSERT_GE(ours, 0) << "no hostprobe_filesystem_avail_bytes series for /";
  EXPECT_NEAR(ours, kernel, kernel * 0.02);
}

}  // namespace
}  // namespace hostprobe::testing
