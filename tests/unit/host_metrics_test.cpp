#include "exporters/prometheus/host_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "exposition_util.h"

namespace hostprobe {
namespace {

using test::Lines;
using test::Serialize;

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Every sample belongs to a family announced by HELP and TYPE, label values
// are escaped, and no series appears twice.
void ExpectWellFormed(const std::string& text) {
  static const std::regex kSample(
      R"re(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\["\\n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\["\\n])*")*\})? (-?[0-9.e+]+|NaN|[+-]Inf))re");
  std::set<std::string> typed, series;
  for (const std::string& line : Lines(text)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      typed.insert(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    if (line.rfind("# HELP ", 0) == 0) continue;
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, kSample)) << "bad sample line: " << line;
    EXPECT_TRUE(typed.contains(m[1].str())) << "no TYPE before " << line;
    EXPECT_TRUE(series.insert(line.substr(0, line.rfind(' '))).second) << "duplicate series: " << line;
  }
}

HostSnapshot FullSnapshot() {
  HostSnapshot s;
  s.cpu = {12.34, 0, 5.5, 1000, 0.25, 0, 1.5, 0.75};
  s.memory.total_bytes = 25165824000;
  s.memory.available_bytes = 20971520000;
  s.memory.free_bytes = 10485760000;
  s.memory.cached_bytes = 5242880000;
  s.memory.buffers_bytes = 4096000;
  s.memory.swap_total_bytes = 2147483648;
  s.memory.swap_free_bytes = 1073741824;
  s.pressure.push_back({"cpu", {{1.0, 0.5, 0.25, 1500000}, std::nullopt}});
  s.pressure.push_back({"memory", {{0, 0, 0, 250000}, PressureLine{0, 0, 0, 125000}}});

  FilesystemSnapshot root;
  root.device = "/dev/sda1";
  root.mount_point = "/";
  root.fstype = "ext4";
  root.usage = FsUsage{107374182400, 53687091200, 59055800320, 6553600, 6000000};
  s.filesystems.push_back(root);

  FilesystemSnapshot nfs;  // hung since before its first answer
  nfs.device = "server:/export";
  nfs.mount_point = "/mnt/nfs";
  nfs.fstype = "nfs4";
  nfs.stuck = true;
  s.filesystems.push_back(nfs);

  FilesystemSnapshot denied;  // statvfs fails with EACCES
  denied.device = "/dev/sdb";
  denied.mount_point = "/data";
  denied.fstype = "xfs";
  denied.stat_errors = 3;
  s.filesystems.push_back(denied);
  return s;
}

TEST(BuildHostFamiliesTest, ExactExposition) {
  const std::string text = Serialize(BuildHostFamilies(FullSnapshot()));
  ExpectWellFormed(text);
  const std::vector<std::string> lines = Lines(text);
  for (const char* expected : {
           "# TYPE hostprobe_cpu_seconds_total counter",
           "hostprobe_cpu_seconds_total{mode=\"user\"} 12.34",
           "hostprobe_cpu_seconds_total{mode=\"nice\"} 0",
           "hostprobe_cpu_seconds_total{mode=\"system\"} 5.5",
           "hostprobe_cpu_seconds_total{mode=\"idle\"} 1000",
           "hostprobe_cpu_seconds_total{mode=\"iowait\"} 0.25",
           "hostprobe_cpu_seconds_total{mode=\"irq\"} 0",
           "hostprobe_cpu_seconds_total{mode=\"softirq\"} 1.5",
           "hostprobe_cpu_seconds_total{mode=\"steal\"} 0.75",
           "# TYPE hostprobe_memory_total_bytes gauge",
           "hostprobe_memory_total_bytes 25165824000",
           "hostprobe_memory_available_bytes 20971520000",
           "hostprobe_memory_free_bytes 10485760000",
           "hostprobe_memory_cached_bytes 5242880000",
           "hostprobe_memory_buffers_bytes 4096000",
           "hostprobe_swap_total_bytes 2147483648",
           "hostprobe_swap_free_bytes 1073741824",
           "# TYPE hostprobe_pressure_stalled_seconds_total counter",
           "hostprobe_pressure_stalled_seconds_total{resource=\"cpu\",kind=\"some\"} 1.5",
           "hostprobe_pressure_stalled_seconds_total{resource=\"memory\",kind=\"some\"} 0.25",
           "hostprobe_pressure_stalled_seconds_total{resource=\"memory\",kind=\"full\"} 0.125",
           "# TYPE hostprobe_filesystem_size_bytes gauge",
           "hostprobe_filesystem_size_bytes{device=\"/dev/sda1\",mountpoint=\"/\",fstype=\"ext4\"} "
           "107374182400",
           "hostprobe_filesystem_avail_bytes{device=\"/dev/sda1\",mountpoint=\"/\",fstype=\"ext4\"} "
           "53687091200",
           "hostprobe_filesystem_free_bytes{device=\"/dev/sda1\",mountpoint=\"/\",fstype=\"ext4\"} "
           "59055800320",
           "hostprobe_filesystem_files{device=\"/dev/sda1\",mountpoint=\"/\",fstype=\"ext4\"} 6553600",
           "hostprobe_filesystem_files_free{device=\"/dev/sda1\",mountpoint=\"/\",fstype=\"ext4\"} 6000000",
           "# TYPE hostprobe_filesystem_stuck gauge",
           "hostprobe_filesystem_stuck{device=\"/dev/sda1\",mountpoint=\"/\",fstype=\"ext4\"} 0",
           "hostprobe_filesystem_stuck{device=\"server:/export\",mountpoint=\"/mnt/nfs\",fstype=\"nfs4\"} 1",
           "hostprobe_filesystem_stuck{device=\"/dev/sdb\",mountpoint=\"/data\",fstype=\"xfs\"} 0",
           "# TYPE hostprobe_filesystem_stat_errors_total counter",
           "hostprobe_filesystem_stat_errors_total{mountpoint=\"/\"} 0",
           "hostprobe_filesystem_stat_errors_total{mountpoint=\"/mnt/nfs\"} 0",
           "hostprobe_filesystem_stat_errors_total{mountpoint=\"/data\"} 3",
       }) {
    EXPECT_THAT(lines, Contains(expected));
  }
  // The kernel gave no full line for cpu, nothing at all for io.
  EXPECT_THAT(text, Not(HasSubstr("resource=\"cpu\",kind=\"full\"")));
  EXPECT_THAT(text, Not(HasSubstr("resource=\"io\"")));
  // No figures for a mount that never answered or whose latest call failed.
  EXPECT_THAT(text, Not(HasSubstr("hostprobe_filesystem_size_bytes{device=\"server:/export\"")));
  EXPECT_THAT(text, Not(HasSubstr("hostprobe_filesystem_avail_bytes{device=\"/dev/sdb\"")));
  // Per-CPU data only when collected.
  EXPECT_THAT(text, Not(HasSubstr("hostprobe_cpu_core_seconds_total")));
}

TEST(BuildHostFamiliesTest, EveryFamilyHasHelp) {
  for (const auto& f : BuildHostFamilies(FullSnapshot())) {
    EXPECT_GT(f.help.size(), 20u) << f.name;
    EXPECT_EQ(f.name.rfind("hostprobe_", 0), 0u) << f.name;
    EXPECT_EQ(f.type == prometheus::MetricType::Counter, f.name.ends_with("_total")) << f.name;
  }
}

TEST(BuildHostFamiliesTest, PerCore) {
  HostSnapshot s = FullSnapshot();
  s.cpu_cores.push_back({0, {1, 0, 2, 500, 0, 0, 0, 0}});
  s.cpu_cores.push_back({13, {3, 0, 4, 500, 0.5, 0, 0, 0}});
  const std::string text = Serialize(BuildHostFamilies(s));
  ExpectWellFormed(text);
  auto lines = Lines(text);
  EXPECT_THAT(lines, Contains("# TYPE hostprobe_cpu_core_seconds_total counter"));
  EXPECT_THAT(lines, Contains("hostprobe_cpu_core_seconds_total{cpu=\"0\",mode=\"user\"} 1"));
  EXPECT_THAT(lines, Contains("hostprobe_cpu_core_seconds_total{cpu=\"0\",mode=\"idle\"} 500"));
  EXPECT_THAT(lines, Contains("hostprobe_cpu_core_seconds_total{cpu=\"13\",mode=\"iowait\"} 0.5"));
  EXPECT_THAT(lines, Contains("hostprobe_cpu_core_seconds_total{cpu=\"13\",mode=\"steal\"} 0"));
  // The aggregate stays as it was.
  EXPECT_THAT(lines, Contains("hostprobe_cpu_seconds_total{mode=\"user\"} 12.34"));
}

TEST(BuildHostFamiliesTest, AbsentDataMeansAbsentFamilies) {
  HostSnapshot s;  // an old kernel: no MemAvailable, no PSI; no filesystems read
  s.memory.total_bytes = 1024;
  const std::string text = Serialize(BuildHostFamilies(s));
  ExpectWellFormed(text);
  EXPECT_THAT(Lines(text), Contains("hostprobe_memory_total_bytes 1024"));
  for (const char* absent :
       {"hostprobe_memory_available_bytes", "hostprobe_memory_free_bytes", "hostprobe_swap_total_bytes",
        "hostprobe_pressure", "hostprobe_filesystem", "hostprobe_cpu_core"}) {
    EXPECT_THAT(text, Not(HasSubstr(absent)));
  }
  // CPU time is always there.
  EXPECT_THAT(Lines(text), Contains("hostprobe_cpu_seconds_total{mode=\"idle\"} 0"));
}

TEST(BuildHostFamiliesTest, LabelValuesAreValidAndEscaped) {
  HostSnapshot s;
  s.memory.total_bytes = 1;
  FilesystemSnapshot f;
  f.device = "/dev/disk/by-label/caf\xc3\xa9";
  f.mount_point = "/mnt/we\"ird\\name\nwith \xff byte";
  f.fstype = "fuse.sshfs";
  f.usage = FsUsage{1, 1, 1, 1, 1};
  s.filesystems.push_back(f);
  const std::string text = Serialize(BuildHostFamilies(s));
  ExpectWellFormed(text);
  EXPECT_THAT(Lines(text),
              Contains("hostprobe_filesystem_size_bytes{device=\"/dev/disk/by-label/caf\xc3\xa9\","
                       "mountpoint=\"/mnt/we\\\"ird\\\\name\\nwith \xef\xbf\xbd byte\","
                       "fstype=\"fuse.sshfs\"} 1"));
  EXPECT_THAT(Lines(text),
              Contains("hostprobe_filesystem_stat_errors_total{mountpoint=\"/mnt/we\\\"ird\\\\name\\n"
                       "with \xef\xbf\xbd byte\"} 0"));
}

// HostMetrics logs the read errors these tests inject.
class QuietLogs {
 public:
  QuietLogs() : old_(spdlog::get_level()) { spdlog::set_level(spdlog::level::off); }
  ~QuietLogs() { spdlog::set_level(old_); }

 private:
  spdlog::level::level_enum old_;
};

class FakeHostSource : public HostSource {
 public:
  Result<HostSnapshot> Read() override {
    std::lock_guard lock(mu);
    ++reads;
    if (fail) {
      ++failed_reads;
      return Error{"open /proc/stat: No such file or directory", ENOENT};
    }
    return snapshot;
  }
  std::mutex mu;
  HostSnapshot snapshot = FullSnapshot();
  bool fail = false;
  int reads = 0;
  int failed_reads = 0;
};

TEST(HostMetricsTest, CollectsAndCountsReadErrors) {
  QuietLogs quiet;
  FakeHostSource source;
  HostMetrics metrics(source);

  std::string text = Serialize(metrics.Collect());
  ExpectWellFormed(text);
  EXPECT_THAT(Lines(text), Contains("hostprobe_cpu_seconds_total{mode=\"user\"} 12.34"));
  EXPECT_THAT(Lines(text), Contains("hostprobe_collector_read_errors_total{collector=\"host\"} 0"));

  source.fail = true;
  auto failed = metrics.Collect();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].name, "hostprobe_collector_read_errors_total");
  EXPECT_THAT(Lines(Serialize(failed)),
              Contains("hostprobe_collector_read_errors_total{collector=\"host\"} 1"));

  // A snapshot with a part missing is served, and counted.
  source.fail = false;
  source.snapshot.problems = {"/proc/pressure/io: malformed pressure file: line 1: bad total \"x\""};
  text = Serialize(metrics.Collect());
  EXPECT_THAT(Lines(text), Contains("hostprobe_collector_read_errors_total{collector=\"host\"} 2"));
  EXPECT_THAT(Lines(text), Contains("hostprobe_memory_total_bytes 25165824000"));
  text = Serialize(metrics.Collect());
  EXPECT_THAT(Lines(text), Contains("hostprobe_collector_read_errors_total{collector=\"host\"} 3"));

  source.snapshot.problems.clear();
  text = Serialize(metrics.Collect());
  EXPECT_THAT(Lines(text), Contains("hostprobe_collector_read_errors_total{collector=\"host\"} 3"));
  EXPECT_EQ(source.reads, 5);
}

TEST(HostMetricsTest, ConcurrentCollect) {
  QuietLogs quiet;
  FakeHostSource source;
  HostMetrics metrics(source);
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        if (t == 0 && i % 10 == 0) {
          std::lock_guard lock(source.mu);
          source.fail = !source.fail;
        }
        if (metrics.Collect().empty()) ++bad;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  // Every failed read was counted exactly once.
  source.fail = false;
  ASSERT_GT(source.failed_reads, 0);
  EXPECT_THAT(Lines(Serialize(metrics.Collect())),
              Contains("hostprobe_collector_read_errors_total{collector=\"host\"} " +
                       std::to_string(source.failed_reads)));
}

}  // namespace
}  // namespace hostprobe
