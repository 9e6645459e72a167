#include "core/cgroup_cpu_current.h"

#include <gtest/gtest.h>

#include <map>

namespace hostprobe {
namespace {

std::map<uint64_t, uint64_t> AsMap(const std::vector<CgroupCpuTime>& v) {
  std::map<uint64_t, uint64_t> m;
  for (const auto& c : v) m[c.cgroup_id] = c.ns;
  return m;
}

TEST(CurrentCgroupCpuTest, AddsEachCpusSliceInProgressUpToTheRead) {
  CurrentCgroupCpu cpu;
  std::vector<RunningSlice> running = {{7, 1'000}, {0, 500}, {9, 1'500}};
  auto got = AsMap(cpu.Update({{7, 100}, {8, 40}}, running, 2'000));
  EXPECT_EQ(got[7], 100u + 1'000u);
  EXPECT_EQ(got[8], 40u);
  EXPECT_EQ(got[9], 500u) << "a cgroup seen only running gets its slice";
  EXPECT_EQ(got.count(0), 0u) << "the idle task is not charged";
}

TEST(CurrentCgroupCpuTest, ABusyTaskThatIsNeverSwitchedOutIsCurrentAtEveryRead) {
  CurrentCgroupCpu cpu;
  // A task of cgroup 5 switched in at 1 s and still running: the kernel's
  // total of ended slices does not move.
  std::vector<RunningSlice> running = {{5, 1'000'000'000}};
  uint64_t last = 0;
  for (uint64_t t = 2; t <= 6; ++t) {
    auto got = AsMap(cpu.Update({{5, 300}}, running, t * 1'000'000'000));
    EXPECT_EQ(got[5], 300 + (t - 1) * 1'000'000'000) << "at " << t << " s";
    EXPECT_GT(got[5], last);
    last = got[5];
  }
  // It leaves the CPU at 6.5 s: the whole slice moves into the total.
  auto got = AsMap(cpu.Update({{5, 300 + 5'500'000'000ull}}, {}, 7'000'000'000));
  EXPECT_EQ(got[5], 300 + 5'500'000'000ull);
}

TEST(CurrentCgroupCpuTest, SkipsSlicesThatStartedAfterTheClockWasRead) {
  CurrentCgroupCpu cpu;
  std::vector<RunningSlice> running = {{3, 5'000}, {4, 0}};
  auto got = AsMap(cpu.Update({{3, 10}}, running, 4'000));
  EXPECT_EQ(got[3], 10u);
  EXPECT_EQ(got.count(4), 0u) << "a CPU with no switch seen yet";
}

TEST(CurrentCgroupCpuTest, NeverGoesDownWhenAReadOverCounted) {
  CurrentCgroupCpu cpu;
  // A torn copy: cgroup 2 with the start of a slice that is not its own.
  auto first = AsMap(cpu.Update({{2, 1'000}}, std::vector<RunningSlice>{{2, 100}}, 900));
  EXPECT_EQ(first[2], 1'800u);
  // The truth at the next read is lower: the figure stays flat ...
  auto second = AsMap(cpu.Update({{2, 1'500}}, {}, 1'000));
  EXPECT_EQ(second[2], 1'800u);
  // ... until the truth passes it.
  auto third = AsMap(cpu.Update({{2, 2'000}}, {}, 1'100));
  EXPECT_EQ(third[2], 2'000u);
}

TEST(CurrentCgroupCpuTest, ForgetDropsTheFloorOfAGoneCgroup) {
  CurrentCgroupCpu cpu;
  (void)cpu.Update({{1, 500}, {2, 700}}, {}, 1'000);
  EXPECT_EQ(cpu.tracked(), 2u);
  cpu.Forget({1});
  EXPECT_EQ(cpu.tracked(), 1u);
  // A new cgroup that reuses the id starts from its own figure.
  auto got = AsMap(cpu.Update({{1, 5}}, {}, 2'000));
  EXPECT_EQ(got[1], 5u);
}

}  // namespace
}  // namespace hostprobe
