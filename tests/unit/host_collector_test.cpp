#include "collectors/host_collector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/options.h"
#include "temp_dir.h"

namespace hostprobe {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Clock = std::chrono::steady_clock;

struct statvfs MakeStatvfs(uint64_t frsize, uint64_t blocks, uint64_t bfree, uint64_t bavail, uint64_t files,
                           uint64_t ffree) {
  struct statvfs st {};
  st.f_bsize = 4096;
  st.f_frsize = frsize;
  st.f_blocks = blocks;
  st.f_bfree = bfree;
  st.f_bavail = bavail;
  st.f_files = files;
  st.f_ffree = ffree;
  return st;
}

// The collector logs hung mounts and failed reads; here they are on purpose.
class QuietLogs {
 public:
  QuietLogs() : old_(spdlog::get_level()) { spdlog::set_level(spdlog::level::off); }
  ~QuietLogs() { spdlog::set_level(old_); }

 private:
  spdlog::level::level_enum old_;
};

// statvfs stand-in. Its state is shared with the function it hands out, so a
// call still blocked when a test ends cannot touch freed memory.
class FakeStatvfs {
 public:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::map<std::string, struct statvfs> values;
    std::map<std::string, int> errors;  // path -> errno to fail with
    std::set<std::string> hung;         // calls on these block until released
    std::map<std::string, int> calls;
    std::set<long> threads;  // kernel thread ids that made calls (never reused soon, unlike pthread_t)
    std::map<std::string, int> running;
    int running_total = 0;
    int max_running_per_path = 0;
    std::chrono::milliseconds delay{0};
  };

  StatvfsFn fn() const {
    return [s = state_](const std::string& path) -> Result<struct statvfs> {
      std::unique_lock lock(s->mu);
      ++s->calls[path];
      s->threads.insert(syscall(SYS_gettid));
      ++s->running_total;
      s->max_running_per_path = std::max(s->max_running_per_path, ++s->running[path]);
      s->cv.wait(lock, [&] { return !s->hung.contains(path); });
      if (s->delay > 0ms) {
        lock.unlock();
        std::this_thread::sleep_for(s->delay);
        lock.lock();
      }
      --s->running[path];
      --s->running_total;
      s->cv.notify_all();
      if (auto e = s->errors.find(path); e != s->errors.end())
        return Error{"statvfs " + path + ": " + std::strerror(e->second), e->second};
      if (auto v = s->values.find(path); v != s->values.end()) return v->second;
      return Error{"statvfs " + path + ": " + std::strerror(ENOENT), ENOENT};
    };
  }

  void Set(const std::string& path, const struct statvfs& st) {
    std::lock_guard lock(state_->mu);
    state_->values[path] = st;
    state_->errors.erase(path);
  }
  void Fail(const std::string& path, int err) {
    std::lock_guard lock(state_->mu);
    state_->errors[path] = err;
  }
  void Hang(const std::string& path) {
    std::lock_guard lock(state_->mu);
    state_->hung.insert(path);
  }
  void Release(const std::string& path) {
    std::lock_guard lock(state_->mu);
    state_->hung.erase(path);
    state_->cv.notify_all();
  }
  void ReleaseAll() {
    std::lock_guard lock(state_->mu);
    state_->hung.clear();
    state_->cv.notify_all();
  }
  void SetDelay(std::chrono::milliseconds d) {
    std::lock_guard lock(state_->mu);
    state_->delay = d;
  }
  int Calls(const std::string& path) {
    std::lock_guard lock(state_->mu);
    return state_->calls[path];
  }
  size_t Threads() {
    std::lock_guard lock(state_->mu);
    return state_->threads.size();
  }
  int Running() {
    std::lock_guard lock(state_->mu);
    return state_->running_total;
  }
  int MaxRunningPerPath() {
    std::lock_guard lock(state_->mu);
    return state_->max_running_per_path;
  }
  // True once no call is inside the fake.
  bool WaitIdle(std::chrono::milliseconds timeout) {
    std::unique_lock lock(state_->mu);
    return state_->cv.wait_for(lock, timeout, [&] { return state_->running_total == 0; });
  }

 private:
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// Polls until the collector has no statvfs thread left.
bool WaitNoneInFlight(const HostCollector& c, std::chrono::milliseconds timeout) {
  const auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    if (c.statvfs_in_flight() == 0) return true;
    std::this_thread::sleep_for(2ms);
  }
  return c.statvfs_in_flight() == 0;
}

template <typename F>
std::chrono::milliseconds Timed(F&& f) {
  const auto start = Clock::now();
  f();
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

const FilesystemSnapshot* FindFs(const HostSnapshot& snap, const std::string& mount_point) {
  for (const FilesystemSnapshot& f : snap.filesystems)
    if (f.mount_point == mount_point) return &f;
  return nullptr;
}

constexpr char kStat[] =
    "cpu  1234 5 678 9000 10 1 20 3 50 0\n"
    "cpu0 600 2 300 4500 5 1 10 1 25 0\n"
    "cpu1 634 3 378 4500 5 0 10 2 25 0\n"
    "intr 1 2 3\n"
    "ctxt 100\n";

constexpr char kMeminfo[] =
    "MemTotal:       24576000 kB\n"
    "MemFree:        10000000 kB\n"
    "MemAvailable:   20000000 kB\n"
    "Buffers:            4000 kB\n"
    "Cached:          5000000 kB\n"
    "SwapCached:            0 kB\n"
    "SwapTotal:       2097148 kB\n"
    "SwapFree:        2097000 kB\n"
    "HugePages_Total:       0\n";

constexpr char kMountinfo[] =
    "20 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "21 20 0:20 / /proc rw,nosuid shared:2 - proc proc rw\n"
    "22 20 0:21 / /sys rw,nosuid shared:3 - sysfs sysfs rw\n"
    "23 20 8:16 / /data rw,relatime shared:4 - xfs /dev/sdb rw\n"
    "24 20 0:40 / /mnt/nfs rw,relatime shared:5 - nfs4 server:/export rw,vers=4.2\n"
    "25 20 8:16 / /home/me/data-bind rw,relatime shared:4 - xfs /dev/sdb rw\n";

constexpr char kDiskstats[] =
    "   8       0 sda 100 0 2000 0 50 0 800 0 0 0 0 0 0 0 0 0 0\n"
    "   8       1 sda1 90 0 1800 0 50 0 800 0 0 0 0 0 0 0 0 0 0\n"
    "   8      16 sdb 10 0 200 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

// A directory laid out like /proc.
class FakeProc {
 public:
  FakeProc() {
    Write("stat", kStat);
    Write("meminfo", kMeminfo);
    Write("pressure/cpu", "some avg10=1.00 avg60=0.50 avg300=0.25 total=1500000\n");
    Write("pressure/memory",
          "some avg10=0.00 avg60=0.00 avg300=0.00 total=250000\n"
          "full avg10=0.00 avg60=0.00 avg300=0.00 total=125000\n");
    Write("pressure/io",
          "some avg10=0.00 avg60=0.00 avg300=0.00 total=3000000\n"
          "full avg10=0.00 avg60=0.00 avg300=0.00 total=2000000\n");
    Write("1/mountinfo", kMountinfo);
    Write("diskstats", kDiskstats);
  }

  void Write(const std::string& rel, const std::string& text) const {
    std::filesystem::path p = std::filesystem::path(dir_.path()) / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
  }
  void Remove(const std::string& rel) const {
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(dir_.path()) / rel, ec);
  }
  const std::string& path() const { return dir_.path(); }

 private:
  test_util::TempDir dir_;
};

class HostCollectorTest : public ::testing::Test {
 protected:
  HostCollectorTest() {
    fake_.Set("/", MakeStatvfs(4096, 1000, 400, 300, 500, 200));
    fake_.Set("/data", MakeStatvfs(1024, 2000, 1000, 900, 0, 0));
    fake_.Set("/mnt/nfs", MakeStatvfs(65536, 100, 50, 50, 10, 5));
  }
  ~HostCollectorTest() override {
    // Let every blocked call finish so no thread outlives the test binary's
    // view of the world.
    fake_.ReleaseAll();
    fake_.WaitIdle(2s);
  }

  HostCollector::Config MakeConfig() const {
    HostCollector::Config c;
    c.procfs = proc_.path();
    c.statvfs = fake_.fn();
    c.ticks_per_second = 100;
    c.statvfs_deadline = 200ms;
    return c;
  }

  QuietLogs quiet_;
  FakeProc proc_;
  FakeStatvfs fake_;
};

TEST_F(HostCollectorTest, ValuesComeThrough) {
  HostCollector c(MakeConfig());
  EXPECT_EQ(c.name(), "host");
  EXPECT_THAT(c.hooks(), IsEmpty());
  auto r = c.Read();
  ASSERT_TRUE(r.ok()) << r.error().message;
  const HostSnapshot& s = *r;
  EXPECT_THAT(s.problems, IsEmpty());

  EXPECT_DOUBLE_EQ(s.cpu.user, 12.34);
  EXPECT_DOUBLE_EQ(s.cpu.nice, 0.05);
  EXPECT_DOUBLE_EQ(s.cpu.system, 6.78);
  EXPECT_DOUBLE_EQ(s.cpu.idle, 90.0);
  EXPECT_DOUBLE_EQ(s.cpu.iowait, 0.1);
  EXPECT_DOUBLE_EQ(s.cpu.irq, 0.01);
  EXPECT_DOUBLE_EQ(s.cpu.softirq, 0.2);
  EXPECT_DOUBLE_EQ(s.cpu.steal, 0.03);
  EXPECT_THAT(s.cpu_cores, IsEmpty()) << "per-CPU data without per_cpu";

  EXPECT_EQ(s.memory.total_bytes, 24576000ull * 1024);
  EXPECT_EQ(s.memory.available_bytes, 20000000ull * 1024);
  EXPECT_EQ(s.memory.swap_free_bytes, 2097000ull * 1024);

  ASSERT_EQ(s.pressure.size(), 3u);
  EXPECT_EQ(s.pressure[0].resource, "cpu");
  EXPECT_EQ(s.pressure[0].pressure.some.total_us, 1500000u);
  EXPECT_EQ(s.pressure[0].pressure.full, std::nullopt);
  EXPECT_EQ(s.pressure[1].resource, "memory");
  EXPECT_EQ(s.pressure[2].resource, "io");
  ASSERT_TRUE(s.pressure[2].pressure.full.has_value());
  EXPECT_EQ(s.pressure[2].pressure.full->total_us, 2000000u);

  // /proc and /sys are skipped; the bind mount of /data is reported once.
  ASSERT_EQ(s.filesystems.size(), 3u);
  const FilesystemSnapshot* root = FindFs(s, "/");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->device, "/dev/sda1");
  EXPECT_EQ(root->fstype, "ext4");
  ASSERT_TRUE(root->usage.has_value());
  EXPECT_EQ(root->usage->size_bytes, 4096u * 1000);
  EXPECT_EQ(root->usage->free_bytes, 4096u * 400);
  EXPECT_EQ(root->usage->avail_bytes, 4096u * 300);
  EXPECT_EQ(root->usage->files, 500u);
  EXPECT_EQ(root->usage->files_free, 200u);
  EXPECT_FALSE(root->stuck);
  EXPECT_EQ(root->stat_errors, 0u);
  const FilesystemSnapshot* data = FindFs(s, "/data");
  ASSERT_NE(data, nullptr);
  ASSERT_TRUE(data->usage.has_value());
  EXPECT_EQ(data->usage->size_bytes, 1024u * 2000);
  EXPECT_EQ(data->device, "/dev/sdb");
  ASSERT_NE(FindFs(s, "/mnt/nfs"), nullptr);
  EXPECT_EQ(FindFs(s, "/mnt/nfs")->fstype, "nfs4");
  EXPECT_EQ(fake_.Calls("/home/me/data-bind"), 0);
}

TEST_F(HostCollectorTest, PerCpu) {
  auto config = MakeConfig();
  config.per_cpu = true;
  HostCollector c(config);
  auto r = c.Read();
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->cpu_cores.size(), 2u);
  EXPECT_EQ(r->cpu_cores[0].cpu, 0u);
  EXPECT_DOUBLE_EQ(r->cpu_cores[0].seconds.user, 6.0);
  EXPECT_EQ(r->cpu_cores[1].cpu, 1u);
  EXPECT_DOUBLE_EQ(r->cpu_cores[1].seconds.system, 3.78);
}

TEST_F(HostCollectorTest, TickRateDefaultsToSysconf) {
  auto config = MakeConfig();
  config.ticks_per_second = 0;
  HostCollector c(config);
  auto r = c.Read();
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->cpu.user, 1234.0 / static_cast<double>(sysconf(_SC_CLK_TCK)));
}

TEST_F(HostCollectorTest, RootfsPrefixesStatvfsPathsButNotLabels) {
  fake_.Set("/host", MakeStatvfs(4096, 7, 6, 5, 4, 3));
  fake_.Set("/host/data", MakeStatvfs(4096, 1, 1, 1, 1, 1));
  fake_.Set("/host/mnt/nfs", MakeStatvfs(4096, 1, 1, 1, 1, 1));
  auto config = MakeConfig();
  config.rootfs = "/host/";
  HostCollector c(config);
  auto r = c.Read();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(fake_.Calls("/host"), 1);
  EXPECT_EQ(fake_.Calls("/host/data"), 1);
  EXPECT_EQ(fake_.Calls("/host/mnt/nfs"), 1);
  EXPECT_EQ(fake_.Calls("/"), 0);
  const FilesystemSnapshot* root = FindFs(*r, "/");
  ASSERT_NE(root, nullptr);
  ASSERT_TRUE(root->usage.has_value());
  EXPECT_EQ(root->usage->size_bytes, 4096u * 7);
}

TEST_F(HostCollectorTest, HungStatvfsIsReportedStuckWithoutStallingTheRead) {
  fake_.Hang("/mnt/nfs");
  HostCollector c(MakeConfig());

  HostSnapshot first;
  auto took = Timed([&] {
    auto r = c.Read();
    ASSERT_TRUE(r.ok());
    first = *r;
  });
  EXPECT_GE(took, 190ms) << "gave up before the deadline";
  EXPECT_LT(took, 300ms) << "waited well past the 200ms deadline";
  const FilesystemSnapshot* nfs = FindFs(first, "/mnt/nfs");
  ASSERT_NE(nfs, nullptr);
  EXPECT_TRUE(nfs->stuck);
  EXPECT_FALSE(nfs->usage.has_value());
  EXPECT_EQ(nfs->stat_errors, 0u);
  // The others are unaffected.
  ASSERT_NE(FindFs(first, "/"), nullptr);
  EXPECT_FALSE(FindFs(first, "/")->stuck);
  EXPECT_TRUE(FindFs(first, "/")->usage.has_value());

  // Later scrapes do not wait for it again, and do not pile up calls on it.
  for (int i = 0; i < 5; ++i) {
    HostSnapshot again;
    took = Timed([&] {
      auto r = c.Read();
      ASSERT_TRUE(r.ok());
      again = *r;
    });
    EXPECT_LT(took, 100ms);
    ASSERT_NE(FindFs(again, "/mnt/nfs"), nullptr);
    EXPECT_TRUE(FindFs(again, "/mnt/nfs")->stuck);
  }
  EXPECT_EQ(fake_.Calls("/mnt/nfs"), 1);
  EXPECT_EQ(fake_.Calls("/"), 6);
  EXPECT_EQ(c.statvfs_in_flight(), 1u);

  // The server comes back: the call returns, and the next scrape is normal.
  fake_.Release("/mnt/nfs");
  ASSERT_TRUE(WaitNoneInFlight(c, 2s));
  auto r = c.Read();
  ASSERT_TRUE(r.ok());
  nfs = FindFs(*r, "/mnt/nfs");
  ASSERT_NE(nfs, nullptr);
  EXPECT_FALSE(nfs->stuck);
  ASSERT_TRUE(nfs->usage.has_value());
  EXPECT_EQ(nfs->usage->size_bytes, 65536u * 100);
  EXPECT_EQ(fake_.Calls("/mnt/nfs"), 2);
}

TEST_F(HostCollectorTest, CallsAreQueuedToWorkersThatOutliveTheRead) {
  HostCollector c(MakeConfig());
  for (int i = 0; i < 10; ++i) {
    auto r = c.Read();
    ASSERT_TRUE(r.ok());
    for (const FilesystemSnapshot& f : r->filesystems) EXPECT_TRUE(f.usage.has_value()) << f.mount_point;
  }
  EXPECT_EQ(fake_.Calls("/"), 10);
  EXPECT_EQ(fake_.Calls("/data"), 10);
  EXPECT_EQ(fake_.Calls("/mnt/nfs"), 10);
  // 30 calls; one parked worker normally makes them all. A call that ran
  // past the hand-off (a loaded machine) may add a worker, never one a call.
  EXPECT_LE(fake_.Threads(), 5u);
}

TEST_F(HostCollectorTest, ACallQueuedBehindAHungOneGetsAWorkerOfItsOwn) {
  // "/" is first in mountinfo, so the first worker takes it and hangs there
  // while the others wait in the queue.
  fake_.Hang("/");
  HostCollector c(MakeConfig());
  HostSnapshot snap;
  auto took = Timed([&] {
    auto r = c.Read();
    ASSERT_TRUE(r.ok());
    snap = *r;
  });
  EXPECT_LT(took, 300ms);
  ASSERT_NE(FindFs(snap, "/"), nullptr);
  EXPECT_TRUE(FindFs(snap, "/")->stuck);
  for (const char* mount : {"/data", "/mnt/nfs"}) {
    const FilesystemSnapshot* f = FindFs(snap, mount);
    ASSERT_NE(f, nullptr) << mount;
    EXPECT_FALSE(f->stuck) << mount;
    EXPECT_TRUE(f->usage.has_value()) << mount;
  }
  EXPECT_EQ(c.statvfs_in_flight(), 1u);
  EXPECT_EQ(fake_.Running(), 1);
}

TEST_F(HostCollectorTest, StuckMountKeepsItsLastFigures) {
  HostCollector c(MakeConfig());
  ASSERT_TRUE(c.Read().ok());
  fake_.Hang("/data");
  fake_.Set("/data", MakeStatvfs(1024, 1, 1, 1, 1, 1));  // what it would say if it answered
  auto r = c.Read();
  ASSERT_TRUE(r.ok());
  const FilesystemSnapshot* data = FindFs(*r, "/data");
  ASSERT_NE(data, nullptr);
  EXPECT_TRUE(data->stuck);
  ASSERT_TRUE(data->usage.has_value());
  EXPECT_EQ(data->usage->size_bytes, 1024u * 2000);
}

TEST_F(HostCollectorTest, SlowButNotStuckIsWaitedFor) {
  fake_.SetDelay(50ms);
  HostCollector c(MakeConfig());
  auto r = c.Read();
  ASSERT_TRUE(r.ok());
  for (const FilesystemSnapshot& f : r->filesystems) {
    EXPECT_FALSE(f.stuck) << f.mount_point;
    EXPECT_TRUE(f.usage.has_value()) << f.mount_point;
  }
}

TEST_F(HostCollectorTest, DestructorDoesNotWaitForAHungCall) {
  fake_.Hang("/mnt/nfs");
  auto c = std::make_unique<HostCollector>(MakeConfig());
  ASSERT_TRUE(c->Read().ok());
  auto took = Timed([&] { c.reset(); });
  EXPECT_LT(took, 50ms);
  // The detached call finishes later against state it shares; nothing to crash.
  fake_.Release("/mnt/nfs");
  EXPECT_TRUE(fake_.WaitIdle(2s));
  std::this_thread::sleep_for(20ms);  // let the thread drop the last reference
}

TEST_F(HostCollectorTest, OutstandingCallsAreCapped) {
  for (const char* p : {"/", "/data", "/mnt/nfs"}) fake_.Hang(p);
  auto config = MakeConfig();
  config.max_statvfs_in_flight = 2;
  HostCollector c(config);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(c.Read().ok());
  EXPECT_EQ(c.statvfs_in_flight(), 2u);
  EXPECT_EQ(fake_.Running(), 2);
  EXPECT_EQ(fake_.MaxRunningPerPath(), 1);
  fake_.ReleaseAll();
  ASSERT_TRUE(WaitNoneInFlight(c, 2s));
  // Once the slots are free, the mount that never got one is read too.
  auto r = c.Read();
  ASSERT_TRUE(r.ok());
  for (const FilesystemSnapshot& f : r->filesystems) {
    EXPECT_FALSE(f.stuck) << f.mount_point;
    EXPECT_TRUE(f.usage.has_value()) << f.mount_point;
  }
}

TEST_F(HostCollectorTest, MoreMountsThanSlots) {
  // The cap limits concurrency, not coverage: with nothing hung, every mount
  // is read on every scrape, one after the other here.
  fake_.SetDelay(5ms);
  auto config = MakeConfig();
  config.max_statvfs_in_flight = 1;
  HostCollector c(config);
  auto r = c.Read();
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->filesystems.size(), 3u);
  for (const FilesystemSnapshot& f : r->filesystems) EXPECT_TRUE(f.usage.has_value()) << f.mount_point;
  EXPECT_EQ(fake_.MaxRunningPerPath(), 1);

  // One slot, held by a hung mount: the others wait for it until the deadline,
  // then keep their figures; the scrape still ends on time.
  fake_.SetDelay(0ms);
  fake_.Hang("/");
  std::chrono::milliseconds took{};
  took = Timed([&] { r = c.Read(); });
  EXPECT_LT(took, 300ms);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(FindFs(*r, "/")->stuck);
  EXPECT_FALSE(FindFs(*r, "/data")->stuck);
  EXPECT_TRUE(FindFs(*r, "/data")->usage.has_value());
  EXPECT_EQ(fake_.Calls("/data"), 1);
}

TEST_F(HostCollectorTest, StatErrorsAreCounted) {
  fake_.Fail("/data", EACCES);
  HostCollector c(MakeConfig());
  auto r = c.Read();
  ASSERT_TRUE(r.ok());
  const FilesystemSnapshot* data = FindFs(*r, "/data");
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->stat_errors, 1u);
  EXPECT_FALSE(data->usage.has_value());
  EXPECT_FALSE(data->stuck);
  EXPECT_THAT(r->problems, IsEmpty()) << "a statvfs error is counted, not a read problem";
  r = c.Read();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(FindFs(*r, "/data")->stat_errors, 2u);
  // Working again: figures come back, the count stays.
  fake_.Set("/data", MakeStatvfs(1024, 2000, 1000, 900, 0, 0));
  r = c.Read();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(FindFs(*r, "/data")->stat_errors, 2u);
  EXPECT_TRUE(FindFs(*r, "/data")->usage.has_value());
}

TEST_F(HostCollectorTest, MountsThatGoAwayAreDropped) {
  HostCollector c(MakeConfig());
  ASSERT_TRUE(c.Read().ok());
  proc_.Write("1/mountinfo", "20 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n");
  auto r = c.Read();
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->filesystems.size(), 1u);
  EXPECT_EQ(r->filesystems[0].mount_point, "/");
}

TEST_F(HostCollectorTest, MissingPressureIsNotAnError) {
  proc_.Remove("pressure");
  HostCollector c(MakeConfig());
  for (int i = 0; i < 2; ++i) {
    auto r = c.Read();
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_THAT(r->pressure, IsEmpty());
    EXPECT_THAT(r->problems, IsEmpty());
  }
  EXPECT_TRUE(c.health().healthy);
}

TEST_F(HostCollectorTest, PartialPressure) {
  proc_.Remove("pressure/io");
  proc_.Write("pressure/cpu", "some avg10=1.00 avg60=0.50 avg300=0.25 tot");  // cut short
  HostCollector c(MakeConfig());
  auto r = c.Read();
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->pressure.size(), 1u);
  EXPECT_EQ(r->pressure[0].resource, "memory");
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_THAT(r->problems[0], HasSubstr("pressure/cpu"));
  EXPECT_THAT(r->problems[0], HasSubstr("truncated"));
}

TEST_F(HostCollectorTest, MountinfoFallsBackToSelf) {
  proc_.Remove("1");
  proc_.Write("self/mountinfo", "30 1 8:1 / / rw - ext4 /dev/sda1 rw\n");
  HostCollector c(MakeConfig());
  auto r = c.Read();
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->problems, IsEmpty());
  ASSERT_EQ(r->filesystems.size(), 1u);
  EXPECT_EQ(r->filesystems[0].mount_point, "/");
}

TEST_F(HostCollectorTest, NoMountinfoIsAProblemNotAFailure) {
  proc_.Remove("1");
  HostCollector c(MakeConfig());
  auto r = c.Read();
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->filesystems, IsEmpty());
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_THAT(r->problems[0], HasSubstr("mountinfo"));

  proc_.Write("1/mountinfo", "garbage\n");
  r = c.Read();
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->filesystems, IsEmpty());
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_THAT(r->problems[0], HasSubstr("1/mountinfo"));
}

TEST_F(HostCollectorTest, StatOrMeminfoFailureFailsTheReadAndHealth) {
  HostCollector c(MakeConfig());
  EXPECT_TRUE(c.health().healthy);
  EXPECT_EQ(c.health().reason, "");

  proc_.Remove("stat");
  auto r = c.Read();
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("/stat"));
  EXPECT_EQ(r.error().err, ENOENT);
  CollectorHealth h = c.health();
  EXPECT_FALSE(h.healthy);
  EXPECT_THAT(h.reason, HasSubstr("/stat"));
  EXPECT_EQ(h.reason.find('\n'), std::string::npos);

  proc_.Write("stat", kStat);
  proc_.Write("meminfo", "MemFree: 5 kB\n");
  r = c.Read();
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("MemTotal"));
  h = c.health();
  EXPECT_FALSE(h.healthy);
  EXPECT_THAT(h.reason, HasSubstr("meminfo"));

  proc_.Write("meminfo", kMeminfo);
  EXPECT_TRUE(c.Read().ok());
  EXPECT_TRUE(c.health().healthy);
}

TEST_F(HostCollectorTest, ConcurrentReads) {
  fake_.SetDelay(2ms);
  auto config = MakeConfig();
  config.per_cpu = true;
  HostCollector c(config);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto r = c.Read();
        if (!r.ok()) {
          ++failures;
          continue;
        }
        if (r->filesystems.size() != 3 || r->cpu_cores.size() != 2) ++failures;
        for (const FilesystemSnapshot& f : r->filesystems)
          if (f.stuck) ++failures;
        (void)c.DeviceName(8, 0);
        (void)c.health();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(fake_.MaxRunningPerPath(), 1) << "two calls on one mount at once";
}

TEST_F(HostCollectorTest, DeviceName) {
  auto config = MakeConfig();
  config.diskstats_min_reread = 1h;
  HostCollector c(config);
  EXPECT_EQ(c.DeviceName(8, 0), "sda");
  EXPECT_EQ(c.DeviceName(8, 1), "sda1");
  EXPECT_EQ(c.DeviceName(8, 16), "sdb");
  EXPECT_EQ(c.DeviceName(9, 9), std::nullopt);
  // A device plugged in now is not seen until the re-read interval is over.
  proc_.Write("diskstats",
              std::string(kDiskstats) + " 259       0 nvme0n1 1 0 8 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
  EXPECT_EQ(c.DeviceName(259, 0), std::nullopt);
}

TEST_F(HostCollectorTest, DeviceNameRereadsOnAMiss) {
  auto config = MakeConfig();
  config.diskstats_min_reread = 0ms;
  HostCollector c(config);
  EXPECT_EQ(c.DeviceName(259, 0), std::nullopt);
  proc_.Write("diskstats",
              std::string(kDiskstats) + " 259       0 nvme0n1 1 0 8 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
  EXPECT_EQ(c.DeviceName(259, 0), "nvme0n1");
  EXPECT_EQ(c.DeviceName(8, 0), "sda");
  // A broken file keeps what was known.
  proc_.Write("diskstats", "garbage");
  EXPECT_EQ(c.DeviceName(8, 16), "sdb");
  EXPECT_EQ(c.DeviceName(1, 1), std::nullopt);
}

TEST(HostCollectorFixtureTreeTest, RealHostFiles) {
  QuietLogs quiet;
  FakeStatvfs fake;
  fake.Set("/", MakeStatvfs(4096, 100, 50, 40, 30, 20));
  HostCollector::Config config;
  config.procfs = std::string(HOSTPROBE_FIXTURES) + "/proc/host/";
  config.statvfs = fake.fn();
  config.ticks_per_second = 100;
  HostCollector c(config);
  auto r = c.Read();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_THAT(r->problems, IsEmpty());
  EXPECT_DOUBLE_EQ(r->cpu.user, 1106.08);
  EXPECT_EQ(r->memory.total_bytes, 24683620ull * 1024);
  ASSERT_EQ(r->pressure.size(), 3u);
  EXPECT_EQ(r->pressure[0].pressure.some.total_us, 235855968u);
  ASSERT_EQ(r->filesystems.size(), 1u);
  EXPECT_EQ(r->filesystems[0].mount_point, "/");
  EXPECT_EQ(r->filesystems[0].device, "/dev/vda");
  EXPECT_EQ(r->filesystems[0].fstype, "ext4");
  EXPECT_EQ(c.DeviceName(254, 0), "vda");
  EXPECT_EQ(c.DeviceName(7, 3), "loop3");
}

TEST(UsageFromStatvfsTest, BlockCountsAreInFragmentSizeUnits) {
  struct statvfs st = MakeStatvfs(1024, 10, 4, 3, 9, 8);
  st.f_bsize = 65536;  // preferred I/O size only
  FsUsage u = UsageFromStatvfs(st);
  EXPECT_EQ(u.size_bytes, 10240u);
  EXPECT_EQ(u.free_bytes, 4096u);
  EXPECT_EQ(u.avail_bytes, 3072u);
  EXPECT_EQ(u.files, 9u);
  EXPECT_EQ(u.files_free, 8u);

  st.f_frsize = 0;
  EXPECT_EQ(UsageFromStatvfs(st).size_bytes, 655360u);

  st.f_frsize = 1ull << 20;
  st.f_blocks = ~0ull;
  EXPECT_EQ(UsageFromStatvfs(st).size_bytes, ~0ull);
}

TEST(SystemStatvfsTest, RealCall) {
  auto ok = SystemStatvfs("/");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_GT(UsageFromStatvfs(*ok).size_bytes, 0u);
  auto missing = SystemStatvfs("/nonexistent/hostprobe/path");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().err, ENOENT);
  EXPECT_THAT(missing.error().message, HasSubstr("/nonexistent/hostprobe/path"));
}

// The flags that configure this collector (core/options.h).
Result<Options> ParseFlags(std::vector<std::string> flags) {
  flags.insert(flags.begin(), "hostprobe");
  return ParseOptions(flags);
}

TEST(HostFlagsTest, Defaults) {
  auto r = ParseFlags({});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->procfs, "/proc");
  EXPECT_EQ(r->rootfs, "/");
  EXPECT_FALSE(r->cpu_per_core);
}

TEST(HostFlagsTest, Values) {
  auto r = ParseFlags({"--procfs", "/host/proc", "--rootfs=/host", "--cpu-per-core"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->procfs, "/host/proc");
  EXPECT_EQ(r->rootfs, "/host");
  EXPECT_TRUE(r->cpu_per_core);
}

TEST(HostFlagsTest, Errors) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--procfs", "proc"}, {"--procfs="}, {"--rootfs", "host"}, {"--procfs"}, {"--rootfs"}}) {
    auto r = ParseFlags(args);
    ASSERT_FALSE(r.ok()) << ::testing::PrintToString(args);
    EXPECT_THAT(r.error().message, HasSubstr(args[0].substr(0, 8)));
  }
  auto valued = ParseFlags({"--cpu-per-core=yes"});
  ASSERT_FALSE(valued.ok());
  EXPECT_THAT(valued.error().message, HasSubstr("--cpu-per-core"));
  // Takes no value: what follows is a positional argument.
  EXPECT_FALSE(ParseFlags({"--cpu-per-core", "yes"}).ok());
}

TEST(HostFlagsTest, Usage) {
  std::string usage = Usage("hostprobe");
  for (const char* flag : {"--procfs", "--rootfs", "--cpu-per-core"}) EXPECT_THAT(usage, HasSubstr(flag));
}

}  // namespace
}  // namespace hostprobe
