#include "exporters/prometheus/process_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "exposition_util.h"

namespace hostprobe {
namespace {

using test::IsValidUtf8;
using test::Lines;
using test::Serialize;

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr uint64_t MiB = 1024 * 1024;

std::vector<std::string> Samples(const std::vector<prometheus::MetricFamily>& families,
                                 const std::string& name) {
  std::vector<std::string> out;
  for (const std::string& line : Lines(Serialize(families)))
    if (line.rfind(name + "{", 0) == 0 || line.rfind(name + " ", 0) == 0) out.push_back(line);
  return out;
}

ProcessMemory Proc(int32_t pid, const std::string& comm, const std::string& cgroup, uint64_t anon,
                   uint64_t file, uint64_t shmem) {
  ProcessMemory p;
  p.pid = pid;
  p.comm = comm;
  p.cgroup = cgroup;
  p.anon_bytes = anon;
  p.file_bytes = file;
  p.shmem_bytes = shmem;
  p.rss_bytes = anon + file + shmem;
  p.types_known = true;
  p.data_bytes = anon + MiB;
  p.brk_heap_bytes = anon / 2;
  return p;
}

ProcessMemorySnapshot Snapshot() {
  ProcessMemorySnapshot s;
  s.sampled = true;
  s.rss_from_ebpf = true;
  s.data_from_ebpf = false;
  s.processes = {Proc(1, "init", "/init.scope", 4 * MiB, 8 * MiB, 0),
                 Proc(200, "postgres", "/system.slice/postgresql.service", 100 * MiB, 20 * MiB, 64 * MiB),
                 Proc(300, "leaky", "/system.slice/leaky.service", 1 * MiB, 1 * MiB, 0),
                 Proc(301, "worker", "/system.slice/postgresql.service", 50 * MiB, 0, 0)};
  s.processes[2].leak_suspected = true;
  s.processes[2].growth_bytes_per_second = 2 * MiB;
  s.samples = 7;
  s.vanished = 3;
  s.read_errors = 1;
  s.last_sample_seconds = 0.25;
  s.tracked = 4;
  s.tracker_bytes = 9000;
  s.self_stats[HP_PM_STAT_UPDATE_FAILED] = 5;
  return s;
}

TEST(ProcessMetricsTest, TopProcessesByResidentMemoryPlusEverySuspect) {
  auto families = BuildProcessMemoryFamilies(Snapshot(), 2);
  // postgres (184 MiB) and worker (50 MiB) are the top two; leaky is small
  // but suspected; init is neither.
  EXPECT_THAT(
      Samples(families, "hostprobe_process_rss_bytes"),
      ElementsAre(
          R"(hostprobe_process_rss_bytes{pid="200",comm="postgres",cgroup="/system.slice/postgresql.service"} 192937984)",
          R"(hostprobe_process_rss_bytes{pid="301",comm="worker",cgroup="/system.slice/postgresql.service"} 52428800)",
          R"(hostprobe_process_rss_bytes{pid="300",comm="leaky",cgroup="/system.slice/leaky.service"} 2097152)"));
  EXPECT_THAT(
      Samples(families, "hostprobe_process_memory_leak_suspected"),
      ElementsAre(
          R"(hostprobe_process_memory_leak_suspected{pid="300",comm="leaky",cgroup="/system.slice/leaky.service"} 1)"));
  EXPECT_THAT(
      Samples(families, "hostprobe_process_memory_growth_bytes_per_second"),
      ElementsAre(
          R"(hostprobe_process_memory_growth_bytes_per_second{pid="300",comm="leaky",cgroup="/system.slice/leaky.service"} 2097152)"));
}

TEST(ProcessMetricsTest, TopZeroKeepsOnlySuspects) {
  auto families = BuildProcessMemoryFamilies(Snapshot(), 0);
  auto rss = Samples(families, "hostprobe_process_rss_bytes");
  ASSERT_EQ(rss.size(), 1u);
  EXPECT_THAT(rss[0], HasSubstr("pid=\"300\""));
}

TEST(ProcessMetricsTest, ResidentByTypeAndDataAndHeap) {
  auto families = BuildProcessMemoryFamilies(Snapshot(), 1);
  EXPECT_THAT(
      Samples(families, "hostprobe_process_resident_bytes"),
      ElementsAre(
          HasSubstr(
              R"(pid="200",comm="postgres",cgroup="/system.slice/postgresql.service",type="anon"} 104857600)"),
          HasSubstr(R"(type="file"} 20971520)"), HasSubstr(R"(type="shmem"} 67108864)"),
          HasSubstr(R"(pid="300",comm="leaky",cgroup="/system.slice/leaky.service",type="anon"} 1048576)"),
          HasSubstr(R"(type="file"} 1048576)"), HasSubstr(R"(type="shmem"} 0)")));
  EXPECT_THAT(Samples(families, "hostprobe_process_data_bytes"),
              ElementsAre(HasSubstr(R"(pid="200")"), HasSubstr(R"(pid="300")")));
  EXPECT_THAT(Samples(families, "hostprobe_process_data_bytes")[0], HasSubstr("} 105906176"));
  EXPECT_THAT(Samples(families, "hostprobe_process_brk_heap_bytes")[0], HasSubstr("} 52428800"));
}

TEST(ProcessMetricsTest, StatmFiguresDoNotSplitFileFromShmemNorKnowTheHeap) {
  ProcessMemorySnapshot s;
  s.sampled = true;
  ProcessMemory p = Proc(9, "app", "/", 10 * MiB, 3 * MiB, 0);
  p.types_known = false;
  p.brk_heap_bytes.reset();
  s.processes = {p};
  auto families = BuildProcessMemoryFamilies(s, 5);
  EXPECT_THAT(Samples(families, "hostprobe_process_resident_bytes"),
              ElementsAre(HasSubstr(R"(type="anon"} 10485760)"), HasSubstr(R"(type="file_shmem"} 3145728)")));
  EXPECT_THAT(Samples(families, "hostprobe_process_brk_heap_bytes"), IsEmpty());
}

TEST(ProcessMetricsTest, CgroupSumsCoverEveryProcessNotOnlyTheTop) {
  auto families = BuildProcessMemoryFamilies(Snapshot(), 1);
  EXPECT_THAT(
      Samples(families, "hostprobe_cgroup_rss_bytes"),
      ElementsAre(
          R"(hostprobe_cgroup_rss_bytes{cgroup="/init.scope",pod_uid="",container_id=""} 12582912)",
          R"(hostprobe_cgroup_rss_bytes{cgroup="/system.slice/leaky.service",pod_uid="",container_id=""} 2097152)",
          R"(hostprobe_cgroup_rss_bytes{cgroup="/system.slice/postgresql.service",pod_uid="",container_id=""} 245366784)"));
}

TEST(ProcessMetricsTest, PodCgroupsCarryPodAndContainer) {
  ProcessMemorySnapshot s;
  s.sampled = true;
  s.processes = {Proc(5, "java",
                      "/kubepods.slice/kubepods-burstable.slice/"
                      "kubepods-burstable-pod1b2c3d4e_5f60_7182_93a4_b5c6d7e8f901.slice/"
                      "cri-containerd-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope",
                      MiB, 0, 0)};
  auto sums = Samples(BuildProcessMemoryFamilies(s, 5), "hostprobe_cgroup_rss_bytes");
  ASSERT_EQ(sums.size(), 1u);
  EXPECT_THAT(sums[0], HasSubstr(R"(pod_uid="1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901")"));
  EXPECT_THAT(
      sums[0],
      HasSubstr(R"(container_id="0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")"));
}

TEST(ProcessMetricsTest, SuspectsCarryTheirForecastAndLimit) {
  ProcessMemorySnapshot s = Snapshot();
  s.processes[2].judged_bytes = 1 * MiB;
  MemoryHeadroom h;
  h.source = LimitSource::kCgroupV1;
  h.limit_bytes = 256 * MiB;
  h.used_bytes = 56 * MiB;
  s.processes[2].headroom = h;
  s.processes[2].exhaustion_seconds = 100;
  auto fams = BuildProcessMemoryFamilies(s, 1);
  EXPECT_THAT(Samples(fams, "hostprobe_process_memory_exhaustion_seconds"),
              ElementsAre("hostprobe_process_memory_exhaustion_seconds{pid=\"300\",comm=\"leaky\",cgroup=\"/"
                          "system.slice/leaky.service\"} 100"));
  EXPECT_THAT(Samples(fams, "hostprobe_process_memory_limit_bytes"),
              ElementsAre("hostprobe_process_memory_limit_bytes{pid=\"300\",comm=\"leaky\",cgroup=\"/"
                          "system.slice/leaky.service\",source=\"cgroup_v1\"} 268435456"));
  EXPECT_THAT(Samples(fams, "hostprobe_process_memory_judged_bytes"),
              Contains("hostprobe_process_memory_judged_bytes{pid=\"300\",comm=\"leaky\",cgroup=\"/"
                       "system.slice/leaky.service\"} 1048576"));
}

TEST(ProcessMetricsTest, CgroupsAreJudgedAsUnits) {
  ProcessMemorySnapshot s = Snapshot();
  CgroupMemory pool;
  pool.cgroup = "/kubepods/besteffort/pod0a1b2c3d-4e5f-6789-abcd-ef0123456789/" + std::string(64, 'a');
  pool.judged_bytes = 300 * MiB;
  pool.leak_suspected = true;
  pool.growth_bytes_per_second = 2 * MiB;
  pool.exhaustion_seconds = 60;
  CgroupMemory calm;
  calm.cgroup = "/system.slice/postgresql.service";
  calm.judged_bytes = 150 * MiB;
  s.cgroups = {pool, calm};
  auto fams = BuildProcessMemoryFamilies(s, 1);
  const std::string labels = "{cgroup=\"" + pool.cgroup +
                             "\",pod_uid=\"0a1b2c3d-4e5f-6789-abcd-ef0123456789\",container_id=\"" +
                             std::string(64, 'a') + "\"}";
  EXPECT_THAT(Samples(fams, "hostprobe_cgroup_memory_leak_suspected"),
              ElementsAre("hostprobe_cgroup_memory_leak_suspected" + labels + " 1"));
  EXPECT_THAT(Samples(fams, "hostprobe_cgroup_memory_exhaustion_seconds"),
              ElementsAre("hostprobe_cgroup_memory_exhaustion_seconds" + labels + " 60"));
  EXPECT_THAT(Samples(fams, "hostprobe_cgroup_memory_growth_bytes_per_second"),
              ElementsAre("hostprobe_cgroup_memory_growth_bytes_per_second" + labels + " 2097152"));
  EXPECT_EQ(Samples(fams, "hostprobe_cgroup_memory_judged_bytes").size(), 2u)
      << "every cgroup, suspect or not";
}

TEST(ProcessMetricsTest, SelfMetrics) {
  auto families = BuildProcessMemoryFamilies(Snapshot(), 2);
  EXPECT_THAT(Samples(families, "hostprobe_process_memory_source"),
              ElementsAre(R"(hostprobe_process_memory_source{figure="resident",source="ebpf"} 1)",
                          R"(hostprobe_process_memory_source{figure="resident",source="procfs"} 0)",
                          R"(hostprobe_process_memory_source{figure="data",source="ebpf"} 0)",
                          R"(hostprobe_process_memory_source{figure="data",source="procfs"} 1)"));
  EXPECT_THAT(Samples(families, "hostprobe_process_memory_tracked_processes"),
              ElementsAre("hostprobe_process_memory_tracked_processes 4"));
  EXPECT_THAT(Samples(families, "hostprobe_process_memory_tracker_bytes"),
              ElementsAre("hostprobe_process_memory_tracker_bytes 9000"));
  EXPECT_THAT(Samples(families, "hostprobe_process_memory_samples_total"),
              ElementsAre("hostprobe_process_memory_samples_total 7"));
  EXPECT_THAT(Samples(families, "hostprobe_process_sample_vanished_total"),
              ElementsAre("hostprobe_process_sample_vanished_total 3"));
  EXPECT_THAT(Samples(families, "hostprobe_process_memory_sample_duration_seconds"),
              ElementsAre("hostprobe_process_memory_sample_duration_seconds 0.25"));
  EXPECT_THAT(Samples(families, "hostprobe_bpf_map_update_failures_total"),
              ElementsAre(R"(hostprobe_bpf_map_update_failures_total{map="process_memory"} 5)"));
  EXPECT_THAT(Samples(families, "hostprobe_collector_read_errors_total"),
              ElementsAre(R"(hostprobe_collector_read_errors_total{collector="process_memory"} 1)"));
}

TEST(ProcessMetricsTest, BeforeTheFirstSampleOnlySelfMetrics) {
  auto families = BuildProcessMemoryFamilies(ProcessMemorySnapshot{}, 20);
  for (const auto& f : families) {
    EXPECT_THAT(f.name, Not(HasSubstr("hostprobe_process_rss"))) << f.name;
    EXPECT_FALSE(f.metric.empty()) << f.name;  // an empty family is left out, not sent bare
  }
  EXPECT_THAT(Samples(families, "hostprobe_process_memory_samples_total"),
              ElementsAre("hostprobe_process_memory_samples_total 0"));
}

TEST(ProcessMetricsTest, HostileNamesStayValidExposition) {
  ProcessMemorySnapshot s;
  s.sampled = true;
  ProcessMemory p =
      Proc(66, std::string("a\"b\\c\nd\xff\xfe", 10), std::string("/we\"ird\n\xc3(", 10), MiB, 0, 0);
  p.leak_suspected = true;
  p.growth_bytes_per_second = 1000;
  s.processes = {p};
  std::string text = Serialize(BuildProcessMemoryFamilies(s, 1));
  EXPECT_TRUE(IsValidUtf8(text));
  // The serializer escapes quotes, backslashes and newlines; invalid bytes
  // became U+FFFD. Every sample stays on one line.
  EXPECT_THAT(text, HasSubstr(R"(comm="a\"b\\c\nd)"));
  EXPECT_THAT(text, HasSubstr(R"(cgroup="/we\"ird\n)"));
  for (const std::string& line : Lines(text)) {
    if (line.empty() || line[0] == '#') continue;
    EXPECT_THAT(line, HasSubstr("hostprobe_")) << line;
  }
  auto suspected = Samples(BuildProcessMemoryFamilies(s, 1), "hostprobe_process_memory_leak_suspected");
  EXPECT_EQ(suspected.size(), 1u);
}

// The adapter hands the exporter whatever the source's latest sample is.
class FakeSource : public ProcessMemorySource {
 public:
  std::shared_ptr<const ProcessMemorySnapshot> ProcessMemorySample() override { return snap; }
  std::shared_ptr<const ProcessMemorySnapshot> snap;
};

TEST(ProcessMetricsTest, CollectableReadsTheLatestSample) {
  FakeSource source;
  source.snap = std::make_shared<ProcessMemorySnapshot>(Snapshot());
  ProcessMemoryMetrics metrics(source, 1);
  EXPECT_EQ(Samples(metrics.Collect(), "hostprobe_process_rss_bytes").size(), 2u);  // top 1 + the suspect
  auto next = std::make_shared<ProcessMemorySnapshot>(Snapshot());
  next->processes.pop_back();
  next->processes[2].leak_suspected = false;
  source.snap = next;
  EXPECT_EQ(Samples(metrics.Collect(), "hostprobe_process_rss_bytes").size(), 1u);
  EXPECT_THAT(Samples(metrics.Collect(), "hostprobe_process_memory_leak_suspected"), IsEmpty());
}

}  // namespace
}  // namespace hostprobe
