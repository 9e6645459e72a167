#include "exporters/prometheus/self_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "exposition_util.h"

namespace hostprobe {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class FakeCollector : public Collector {
 public:
  FakeCollector(std::string name, std::vector<HookStatus> hooks)
      : name_(std::move(name)), hooks_(std::move(hooks)) {}
  std::string name() const override { return name_; }
  std::vector<HookStatus> hooks() const override { return hooks_; }
  CollectorHealth health() override { return {true, ""}; }

 private:
  std::string name_;
  std::vector<HookStatus> hooks_;
};

// Misses by fd; an fd not listed is "not reported".
RecursionMissesReader FakeReader(std::map<int, uint64_t> by_fd) {
  return [by_fd = std::move(by_fd)](int fd) -> std::optional<uint64_t> {
    auto it = by_fd.find(fd);
    if (it == by_fd.end()) return std::nullopt;
    return it->second;
  };
}

TEST(RecursionMissesTest, OneSeriesPerLoadedProgram) {
  FakeCollector syscalls("syscalls", {{"hp_sys_enter", "tp_btf/sys_enter", false, "latency window", 7},
                                      {"hp_sys_exit", "tp_btf/sys_exit", true, "", 8}});
  FakeCollector events("process_events", {{"hp_exit", "tp_btf/sched_process_exit", true, "", 9},
                                          {"hp_oom_kill", "tp_btf/mark_victim", false, "no tracepoint"}});
  std::vector<CollectorSlot> slots = {
      {"syscalls", &syscalls, ""}, {"diskio", nullptr, "failed"}, {"process_events", &events, ""}};

  auto misses = CollectRecursionMisses(slots, FakeReader({{7, 0}, {8, 12}, {9, 3}}));
  ASSERT_EQ(misses.size(), 3u);                  // hp_oom_kill was never loaded: no fd, no series
  EXPECT_EQ(misses[0].program, "hp_sys_enter");  // loaded though detached: still counted
  EXPECT_EQ(misses[1].program, "hp_sys_exit");
  EXPECT_EQ(misses[1].misses, 12u);
  EXPECT_EQ(misses[2].program, "hp_exit");

  std::string text = test::Serialize({BuildRecursionMissesFamily(misses)});
  EXPECT_THAT(text, HasSubstr("# TYPE hostprobe_bpf_program_recursion_misses_total counter"));
  EXPECT_THAT(text, HasSubstr("hostprobe_bpf_program_recursion_misses_total{program=\"hp_sys_enter\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("hostprobe_bpf_program_recursion_misses_total{program=\"hp_sys_exit\"} 12\n"));
  EXPECT_THAT(text, HasSubstr("hostprobe_bpf_program_recursion_misses_total{program=\"hp_exit\"} 3\n"));
  EXPECT_THAT(text, Not(HasSubstr("hp_oom_kill")));
}

TEST(RecursionMissesTest, ProgramsTheKernelDoesNotReportAreLeftOut) {
  FakeCollector syscalls("syscalls", {{"hp_sys_exit", "tp_btf/sys_exit", true, "", 8}});
  std::vector<CollectorSlot> slots = {{"syscalls", &syscalls, ""}};
  EXPECT_TRUE(CollectRecursionMisses(slots, FakeReader({})).empty());
  EXPECT_TRUE(CollectRecursionMisses(slots, nullptr).empty());
}

TEST(RecursionMissesTest, SelfMetricsServesTheFamilyOnlyWhenSomethingIsReported) {
  FakeCollector syscalls("syscalls", {{"hp_sys_exit", "tp_btf/sys_exit", true, "", 8}});
  std::vector<CollectorSlot> slots = {{"syscalls", &syscalls, ""}};

  std::string with = test::Serialize(SelfMetrics(slots, FakeReader({{8, 5}})).Collect());
  EXPECT_THAT(with, HasSubstr("hostprobe_bpf_program_recursion_misses_total{program=\"hp_sys_exit\"} 5\n"));
  EXPECT_THAT(with, HasSubstr("hostprobe_bpf_program_attached{program=\"hp_sys_exit\"} 1\n"));

  // A kernel before 5.12: absent, not zero.
  std::string without = test::Serialize(SelfMetrics(slots, FakeReader({})).Collect());
  EXPECT_THAT(without, Not(HasSubstr("hostprobe_bpf_program_recursion_misses_total")));
}

}  // namespace
}  // namespace hostprobe

namespace hostprobe {
namespace {

TEST(MapMemoryTest, EachMapByNameAndTheirTotal) {
  auto families = BuildMapMemoryFamilies({{"disk_cgroups", 2622336},
                                          {"syscall_hot", 131072},
                                          {"syscall.rodata", 4096},
                                          {"syscall.rodata", 4096}});
  ASSERT_EQ(families.size(), 2u);
  EXPECT_EQ(families[0].name, "hostprobe_bpf_map_memory_bytes");
  EXPECT_EQ(families[0].type, prometheus::MetricType::Gauge);
  std::map<std::string, double> by_map;
  for (const auto& m : families[0].metric) by_map[m.label.at(0).value] = m.gauge.value;
  EXPECT_EQ(by_map, (std::map<std::string, double>{
                        {"disk_cgroups", 2622336}, {"syscall.rodata", 8192}, {"syscall_hot", 131072}}));
  EXPECT_EQ(families[1].name, "hostprobe_bpf_maps_memory_bytes");
  ASSERT_EQ(families[1].metric.size(), 1u);
  EXPECT_EQ(families[1].metric[0].gauge.value, 2622336 + 131072 + 8192);
}

TEST(MapMemoryTest, NoMapsStillGiveAZeroTotal) {
  auto families = BuildMapMemoryFamilies({});
  ASSERT_EQ(families.size(), 2u);
  EXPECT_TRUE(families[0].metric.empty());
  ASSERT_EQ(families[1].metric.size(), 1u);
  EXPECT_EQ(families[1].metric[0].gauge.value, 0);
}

TEST(MapMemoryTest, SelfMetricsReadsTheMapsOnceForScrapesInQuickSuccession) {
  std::vector<CollectorSlot> slots;
  int reads = 0;
  SelfMetrics self(slots, nullptr, [&reads] {
    ++reads;
    return std::vector<BpfMapMemory>{{"syscall_hot", 4096u * reads}};
  });
  for (int i = 0; i < 3; ++i) {
    std::string text = test::Serialize(self.Collect());
    EXPECT_THAT(text, HasSubstr("hostprobe_bpf_map_memory_bytes{map=\"syscall_hot\"} 4096\n")) << i;
    EXPECT_THAT(text, HasSubstr("hostprobe_bpf_maps_memory_bytes 4096\n")) << i;
  }
  EXPECT_EQ(reads, 1);
}

}  // namespace
}  // namespace hostprobe
