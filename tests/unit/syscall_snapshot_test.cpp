#include "core/syscall_snapshot.h"

#include <gtest/gtest.h>

#include <random>

namespace hostprobe {
namespace {

using Counts = std::vector<CgroupSyscallCounts>;

const CgroupSyscallCounts* Find(const Counts& c, uint64_t id) {
  for (const auto& x : c)
    if (x.cgroup_id == id) return &x;
  return nullptr;
}

TEST(CgroupCountMergerTest, SumsFlushedAndPending) {
  CgroupCountMerger m;
  // Cgroup 7: 100 flushed, 5 pending on one CPU and 3 on another.
  // Cgroup 9: never flushed yet, only pending.
  auto out = m.Merge({{7, 100, 4}}, {{7, 5, 1}, {9, 2, 0}, {7, 3, 0}});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(Find(out, 7)->calls, 108u);
  EXPECT_EQ(Find(out, 7)->errors, 5u);
  EXPECT_EQ(Find(out, 9)->calls, 2u);
  EXPECT_EQ(Find(out, 9)->errors, 0u);
}

TEST(CgroupCountMergerTest, NeverGoesDownWhenABatchIsMissedBetweenReads) {
  CgroupCountMerger m;
  m.Merge({{7, 100, 0}}, {{7, 40, 2}});
  // The batch of 40 was flushed after the map was read: neither read has it.
  auto out = m.Merge({{7, 100, 0}}, {});
  EXPECT_EQ(Find(out, 7)->calls, 140u);
  EXPECT_EQ(Find(out, 7)->errors, 2u);
  // The next read sees it in the map, plus new pending calls.
  out = m.Merge({{7, 140, 2}}, {{7, 6, 0}});
  EXPECT_EQ(Find(out, 7)->calls, 146u);
  EXPECT_EQ(Find(out, 7)->errors, 2u);
}

TEST(CgroupCountMergerTest, KeepsACgroupWhoseOnlyBatchWasMissed) {
  CgroupCountMerger m;
  m.Merge({}, {{9, 12, 1}});
  // Flushed between the two reads: in neither. The series must not vanish.
  auto out = m.Merge({}, {});
  ASSERT_NE(Find(out, 9), nullptr);
  EXPECT_EQ(Find(out, 9)->calls, 12u);
}

TEST(CgroupCountMergerTest, ForgetDropsRemovedCgroups) {
  CgroupCountMerger m;
  m.Merge({{7, 10, 0}, {8, 20, 0}}, {});
  m.Forget({7});
  auto out = m.Merge({{8, 21, 0}}, {});
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(Find(out, 7), nullptr);
  EXPECT_EQ(m.size(), 1u);
  // A forgotten id seen again starts from what is read, not its old floor.
  out = m.Merge({{7, 3, 0}}, {});
  EXPECT_EQ(Find(out, 7)->calls, 3u);
}

TEST(CgroupCountMergerTest, OutputIsSortedById) {
  CgroupCountMerger m;
  auto out = m.Merge({{30, 1, 0}, {10, 1, 0}}, {{20, 1, 0}});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].cgroup_id, 10u);
  EXPECT_EQ(out[1].cgroup_id, 20u);
  EXPECT_EQ(out[2].cgroup_id, 30u);
}

using std::chrono::nanoseconds;

TEST(LatencyWindowGapTest, NoGapWhenEveryCallIsTimed) {
  EXPECT_EQ(LatencyWindowGap(1, nanoseconds(20'000'000), 0.7), nanoseconds(0));
  EXPECT_EQ(LatencyWindowGap(0, nanoseconds(20'000'000), 0.7), nanoseconds(0));
}

TEST(LatencyWindowGapTest, UniformUpToTwiceTheMeanClosedTime) {
  const nanoseconds open(20'000'000);
  EXPECT_EQ(LatencyWindowGap(64, open, 0.0), nanoseconds(0));
  EXPECT_EQ(LatencyWindowGap(64, open, 0.5), 63 * open);
  EXPECT_EQ(LatencyWindowGap(4, open, 0.25), nanoseconds(30'000'000));
  // Out-of-range draws are clamped, never negative or beyond the range.
  EXPECT_EQ(LatencyWindowGap(4, open, -1.0), nanoseconds(0));
  EXPECT_EQ(LatencyWindowGap(4, open, 7.0), 6 * open);
  EXPECT_EQ(LatencyWindowGap(4, nanoseconds(0), 0.5), nanoseconds(0));
}

// Windows of varying length (as attaching takes more or less time) followed
// by their gaps cover 1/every of the time.
TEST(LatencyWindowGapTest, WindowsCoverOnePartInEveryOfTheTime) {
  for (uint32_t every : {2u, 4u, 64u}) {
    std::mt19937_64 rng(every);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::uniform_int_distribution<int64_t> open_ns(19'000'000, 23'000'000);
    double open_total = 0, total = 0;
    for (int i = 0; i < 50'000; ++i) {
      nanoseconds open(open_ns(rng));
      nanoseconds gap = LatencyWindowGap(every, open, u(rng));
      open_total += static_cast<double>(open.count());
      total += static_cast<double>((open + gap).count());
    }
    EXPECT_NEAR(open_total / total, 1.0 / every, 0.02 / every) << "every " << every;
  }
}

}  // namespace
}  // namespace hostprobe
