// The per-process sampler read from a /proc of fixtures (--process-memory-source
// procfs: nothing is loaded, no root needed), as far as the exposition; and
// the parsing of the task iterator's records.
#include "collectors/process_memory_collector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
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

// Each process's figures by type from its status file: file and shared
// memory apart, swap counted in the judged figure, data as VmData + VmStk.
TEST(ProcessMemoryCollectorTest, TheProcfsSourceReadsEveryTypeFromStatus) {
  auto snap = FirstSample(std::string(HOSTPROBE_FIXTURES) + "/proc/hostile");
  ASSERT_NE(snap, nullptr);
  EXPECT_FALSE(snap->rss_from_ebpf);
  ASSERT_EQ(snap->processes.size(), 7u);
  const ProcessMemory& p = snap->processes.front();  // 101: fixtures/proc/hostile/101/status
  ASSERT_EQ(p.pid, 101);
  EXPECT_TRUE(p.types_known);
  EXPECT_EQ(p.anon_bytes, 400u * 1024);
  EXPECT_EQ(p.file_bytes, 300u * 1024);
  EXPECT_EQ(p.shmem_bytes, 100u * 1024);
  EXPECT_EQ(p.swap_bytes, 1u * 1024);
  EXPECT_EQ(p.rss_bytes, 800u * 1024);
  EXPECT_EQ(p.judged_bytes, (400u + 100u + 1u) * 1024);
  EXPECT_EQ(p.data_bytes, (4232u + 132u) * 1024);
  EXPECT_FALSE(p.brk_heap_bytes) << "status has no brk";
  const std::string text = test::Serialize(BuildProcessMemoryFamilies(*snap, 100));
  EXPECT_THAT(text, HasSubstr(R"(type="shmem"} 102400)"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr(R"(type="file_shmem")")));
}

hp_proc_mem Record(uint32_t tgid, uint64_t anon_pages) {
  hp_proc_mem r{};
  r.tgid = tgid;
  r.start_boottime = 1'000'000'000ull * tgid;
  r.anon_pages = anon_pages;
  r.swap_pages = 3;
  r.brk_bytes = 4096;
  return r;
}

std::string Bytes(const std::vector<hp_proc_mem>& records) {
  std::string out(records.size() * sizeof(hp_proc_mem), '\0');
  if (!records.empty()) std::memcpy(out.data(), records.data(), out.size());
  return out;
}

TEST(ParseMemoryRecordsTest, IndexesWholeRecordsByPid) {
  auto r = ParseMemoryRecords(Bytes({Record(7, 10), Record(1, 20), Record(4000000, 30)}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ(r->at(1).anon_pages, 20u);
  EXPECT_EQ(r->at(7).start_boottime, 7'000'000'000u);
  EXPECT_EQ(r->at(7).swap_pages, 3u);
  EXPECT_EQ(r->at(4000000).brk_bytes, 4096u);
  auto empty = ParseMemoryRecords("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

// A group whose leader exited: each remaining thread wrote the group's record.
TEST(ParseMemoryRecordsTest, ARepeatedPidKeepsTheFirstRecord) {
  auto r = ParseMemoryRecords(Bytes({Record(9, 1), Record(9, 2), Record(9, 3)}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->at(9).anon_pages, 1u);
}

TEST(ParseMemoryRecordsTest, RejectsPartialRecordsAndImpossiblePids) {
  const std::string two = Bytes({Record(7, 10), Record(8, 10)});
  EXPECT_FALSE(ParseMemoryRecords(two.substr(0, two.size() - 1)).ok());
  EXPECT_FALSE(ParseMemoryRecords(two + "x").ok());
  EXPECT_FALSE(ParseMemoryRecords(Bytes({Record(0, 1)})).ok());
  EXPECT_FALSE(ParseMemoryRecords(Bytes({Record(0x80000000u, 1)})).ok());
}

}  // namespace
}  // namespace hostprobe
