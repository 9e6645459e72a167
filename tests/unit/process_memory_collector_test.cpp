// The per-process sampler read from a /proc of fixtures (--process-memory-source
// procfs: nothing is loaded, no root needed), as far as the exposition.
#include "collectors/process_memory_collector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "exporters/prometheus/process_metrics.h"
#include "exposition_util.h"

namespace hostprobe {
namespace {

using ::testing::HasSubstr;

std::shared_ptr<const ProcessMemorySnapshot> FirstSample(const std::string& procfs) {
  ProcessMemoryCollector::Config config;
  config.procfs = procfs;
  config.sample_interval = std::chrono::milliseconds(100);
  config.leak_window = std::chrono::minutes(10);
  config.source = MemorySource::kProcfs;
  auto c = ProcessMemoryCollector::Start(config, BpfFeatures{});
  EXPECT_TRUE(c.ok()) << c.error().message;
  if (!c.ok()) return nullptr;
  (*c)->StartSampling();
  for (int i = 0; i < 200; ++i) {
    auto snap = (*c)->ProcessMemorySample();
    if (snap->sampled) return snap;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ADD_FAILURE() << "no sample within 5 s";
  return nullptr;
}

// fixtures/proc/hostile: one process per name a process can give itself with
// PR_SET_NAME that has tripped parsers (see procfs_test.cpp for each one).
TEST(ProcessMemoryCollectorTest, EveryHostileNameIsSampledAndExportedEscaped) {
  auto snap = FirstSample(std::string(HOSTPROBE_FIXTURES) + "/proc/hostile");
  ASSERT_NE(snap, nullptr);
  const std::map<int32_t, std::string> want = {
      {101, "a\nb"},
      {102, ") ("},
      {103, "x)"},
      {104, "\n0 0 0"},
      {105, "\xff\xfe \xc3("},
      {106, "0123456789abcde"},
      {107, "a\"b\\c} 1\n"},
  };
  std::map<int32_t, std::string> got;
  for (const ProcessMemory& p : snap->processes) {
    got[p.pid] = p.comm;
    EXPECT_EQ(p.cgroup, "/hostile.slice/p" + std::to_string(p.pid) + ".scope");
    EXPECT_GT(p.rss_bytes, 0u);
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(snap->read_errors, 0u);

  const std::string text = test::Serialize(BuildProcessMemoryFamilies(*snap, 100));
  EXPECT_TRUE(test::IsValidUtf8(text));
  size_t rss_lines = 0;
  for (const std::string& line : test::Lines(text)) {
    if (line.rfind("hostprobe_process_rss_bytes{", 0) != 0) continue;
    ++rss_lines;
  }
  // No name ends a line early: every line is a comment or starts with a metric name.
  for (const std::string& line : test::Lines(text))
    EXPECT_TRUE(line.rfind("# ", 0) == 0 || line.rfind("hostprobe_", 0) == 0) << line;
  EXPECT_EQ(rss_lines, want.size());
  // Each name in hostprobe_process_rss_bytes, escaped: \n, \", \\, and
  // U+FFFD for each invalid byte.
  for (const char* comm : {R"-(comm="a\nb")-", R"-(comm=") (")-", R"-(comm="x)")-", R"-(comm="\n0 0 0")-",
                           "comm=\"\xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD(\"", R"-(comm="0123456789abcde")-",
                           R"-(comm="a\"b\\c} 1\n")-"}) {
    bool found = false;
    for (const std::string& line : test::Lines(text))
      found = found ||
              (line.rfind("hostprobe_process_rss_bytes{", 0) == 0 && line.find(comm) != std::string::npos);
    EXPECT_TRUE(found) << "no hostprobe_process_rss_bytes series with " << comm << " in\n" << text;
  }
}

}  // namespace
}  // namespace hostprobe
