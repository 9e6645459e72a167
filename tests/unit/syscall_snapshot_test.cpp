#include "core/syscall_snapshot.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <utility>
#include <vector>

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

// Readings a fake (CPU, syscall) entry gives, one per call, in turn.
std::function<PendingBatchRead()> Readings(std::vector<PendingBatchRead> readings, int* calls) {
  return [readings = std::move(readings), calls]() {
    const size_t i = static_cast<size_t>((*calls)++);
    return readings[std::min(i, readings.size() - 1)];
  };
}

TEST(ReadPendingBatchTest, TakesAReadingNoFlushOverlapped) {
  int calls = 0;
  auto b = ReadPendingBatch(Readings({{6, {7, 40, 2}, 6}}, &calls));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->cgroup_id, 7u);
  EXPECT_EQ(b->calls, 40u);
  EXPECT_EQ(b->errors, 2u);
  EXPECT_EQ(calls, 1);
}

TEST(ReadPendingBatchTest, ReadsAgainWhenAFlushBeganOrWasUnderWay) {
  int calls = 0;
  // A flush between the readings of count and cgroup (6 -> 8), one under
  // way at the start (7, odd), then a clean reading.
  auto b = ReadPendingBatch(Readings({{6, {9, 40, 2}, 8}, {7, {9, 0, 0}, 8}, {8, {9, 1, 0}, 8}}, &calls));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->cgroup_id, 9u);
  EXPECT_EQ(b->calls, 1u);
  EXPECT_EQ(calls, 3);
}

TEST(ReadPendingBatchTest, GivesUpAfterItsTriesWhenEveryReadingOverlapsAFlush) {
  int calls = 0;
  std::vector<PendingBatchRead> flushing;
  for (uint32_t seq = 0; seq < 20; seq += 2) flushing.push_back({seq, {9, 40, 0}, seq + 2});
  EXPECT_FALSE(ReadPendingBatch(Readings(flushing, &calls)).has_value());
  EXPECT_EQ(calls, kPendingBatchTries);
  calls = 0;
  EXPECT_FALSE(ReadPendingBatch(Readings({{5, {9, 1, 0}, 5}}, &calls), 2).has_value());  // odd throughout
  EXPECT_EQ(calls, 2);
}

// The race the sequence number closes: cgroup 7 has 100 calls flushed and 40
// pending on a CPU when a call of cgroup 9 arrives there and flushes them.
// The reader read the map before the flush; its reading of the batch saw
// 7's count and then 9's cgroup id. Taken as it was, that reading charged
// 40 calls to 9, which has made 1, and the merger's floor kept the 40.
TEST(ReadPendingBatchTest, AFlushDuringTheReadNeverChargesAnotherCgroup) {
  const Counts flushed = {{7, 100, 0}};  // read before the flush
  const Counts truth = {{7, 140, 0}, {9, 1, 0}};
  int calls = 0;
  auto reading = Readings({{10, {9, 40, 0}, 12}, {12, {9, 1, 0}, 12}}, &calls);

  CgroupCountMerger m;
  Counts pending;
  if (auto b = ReadPendingBatch(reading)) pending.push_back(*b);
  Counts out = m.Merge(flushed, pending);
  for (const auto& t : truth)
    if (const auto* c = Find(out, t.cgroup_id)) EXPECT_LE(c->calls, t.calls) << t.cgroup_id;
  ASSERT_NE(Find(out, 9), nullptr);
  EXPECT_EQ(Find(out, 9)->calls, 1u);
  // The next read finds 7's batch in the map: exact, and the floor holds it.
  out = m.Merge({{7, 140, 0}}, {{9, 1, 0}});
  EXPECT_EQ(Find(out, 7)->calls, 140u);
  EXPECT_EQ(Find(out, 9)->calls, 1u);

  // Without the check, the torn reading would have pinned cgroup 9 at 40.
  CgroupCountMerger unchecked;
  out = unchecked.Merge(flushed, {{9, 40, 0}});
  out = unchecked.Merge({{7, 140, 0}}, {{9, 1, 0}});
  EXPECT_EQ(Find(out, 9)->calls, 40u);
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
