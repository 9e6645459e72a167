#include "core/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "../../bpf/histogram.h"

namespace hostprobe {
namespace {

using Slots = std::array<uint64_t, HP_LATENCY_SLOTS>;

double Bound(unsigned e) { return std::ldexp(1.0, static_cast<int>(e)) / 1e9; }

void ExpectMonotonic(const CumulativeHistogram& h) {
  ASSERT_EQ(h.upper_bounds_seconds.size(), h.cumulative_counts.size());
  for (size_t i = 1; i < h.cumulative_counts.size(); ++i) {
    EXPECT_LT(h.upper_bounds_seconds[i - 1], h.upper_bounds_seconds[i]) << i;
    EXPECT_LE(h.cumulative_counts[i - 1], h.cumulative_counts[i]) << i;
  }
  if (!h.cumulative_counts.empty()) {
    EXPECT_LE(h.cumulative_counts.back(), h.count);
  }
}

TEST(HistogramTest, LatencyLayout) {
  Slots slots{};
  CumulativeHistogram h = LatencyHistogram(slots, 0);
  ASSERT_EQ(h.upper_bounds_seconds.size(), 14u);
  ASSERT_EQ(h.cumulative_counts.size(), 14u);
  for (unsigned k = 0; k < 14; ++k) {
    EXPECT_EQ(h.upper_bounds_seconds[k], Bound(8 + 2 * k)) << k;
  }
  EXPECT_EQ(h.upper_bounds_seconds.front(), 256e-9);
  EXPECT_EQ(h.upper_bounds_seconds.back(), 17179869184e-9);  // 2^34 ns
}

TEST(HistogramTest, EmptySlots) {
  Slots slots{};
  CumulativeHistogram h = LatencyHistogram(slots, 0);
  EXPECT_EQ(h.count, 0u);
  EXPECT_EQ(h.sum_seconds, 0.0);
  for (uint64_t c : h.cumulative_counts) EXPECT_EQ(c, 0u);

  CumulativeHistogram none = Log2ToCumulative({}, 0, 0, 4, 1);
  EXPECT_EQ(none.count, 0u);
  EXPECT_EQ(none.upper_bounds_seconds.size(), 5u);
  for (uint64_t c : none.cumulative_counts) EXPECT_EQ(c, 0u);
}

// A value in slot i (v < 2^(i+1)) appears in the first bucket whose bound is
// >= 2^(i+1), and in every later one; never in an earlier one.
TEST(HistogramTest, EachSlotLandsInFirstBucketCoveringItsUpperEdge) {
  for (size_t i = 0; i + 1 < HP_LATENCY_SLOTS; ++i) {
    Slots slots{};
    slots[i] = 7;
    CumulativeHistogram h = LatencyHistogram(slots, 0);
    ASSERT_EQ(h.count, 7u);
    for (size_t b = 0; b < h.upper_bounds_seconds.size(); ++b) {
      unsigned e = 8 + 2 * static_cast<unsigned>(b);
      uint64_t want = (e >= i + 1) ? 7 : 0;
      EXPECT_EQ(h.cumulative_counts[b], want) << "slot " << i << " bucket le=2^" << e;
    }
    ExpectMonotonic(h);
  }
}

TEST(HistogramTest, SlotBoundaryCases) {
  // Slot 7 holds [128, 256): fits under 256 ns = 2^8, the first bucket.
  Slots s7{};
  s7[7] = 1;
  EXPECT_EQ(LatencyHistogram(s7, 0).cumulative_counts[0], 1u);
  // Slot 8 holds [256, 512): not under 2^8, first under 2^10.
  Slots s8{};
  s8[8] = 1;
  auto h8 = LatencyHistogram(s8, 0);
  EXPECT_EQ(h8.cumulative_counts[0], 0u);
  EXPECT_EQ(h8.cumulative_counts[1], 1u);
  // Slot 33 holds [2^33, 2^34): in the last finite bucket, 2^34.
  Slots s33{};
  s33[33] = 1;
  auto h33 = LatencyHistogram(s33, 0);
  EXPECT_EQ(h33.cumulative_counts[12], 0u);
  EXPECT_EQ(h33.cumulative_counts[13], 1u);
  // Slot 34 holds [2^34, 2^35): past every finite bound, +Inf only.
  Slots s34{};
  s34[34] = 1;
  auto h34 = LatencyHistogram(s34, 0);
  EXPECT_EQ(h34.count, 1u);
  EXPECT_EQ(h34.cumulative_counts.back(), 0u);
}

TEST(HistogramTest, OpenEndedLastSlotOnlyCountsTowardInf) {
  Slots slots{};
  slots[HP_LATENCY_SLOTS - 1] = 5;
  slots[0] = 2;
  CumulativeHistogram h = LatencyHistogram(slots, 0);
  EXPECT_EQ(h.count, 7u);
  for (uint64_t c : h.cumulative_counts) EXPECT_EQ(c, 2u);

  // Even when the finite bounds reach far past the last slot's lower edge.
  std::vector<uint64_t> small = {1, 2, 3, 4};  // slot 3 is open-ended
  CumulativeHistogram wide = Log2ToCumulative(small, 0, 0, 40, 1);
  EXPECT_EQ(wide.count, 10u);
  EXPECT_EQ(wide.cumulative_counts.back(), 6u);
  for (uint64_t c : wide.cumulative_counts) EXPECT_LE(c, 6u);
}

TEST(HistogramTest, CountIsSumOfSlotsAndCumulativeIsMonotonic) {
  Slots slots{};
  uint64_t v = 1;
  for (size_t i = 0; i < slots.size(); ++i) {
    slots[i] = v;
    v = (v * 31 + 7) % 1000;
  }
  CumulativeHistogram h = LatencyHistogram(slots, 0);
  EXPECT_EQ(h.count, std::accumulate(slots.begin(), slots.end(), uint64_t{0}));
  ExpectMonotonic(h);
  // The last finite bucket holds exactly slots 0..33.
  EXPECT_EQ(h.cumulative_counts.back(), std::accumulate(slots.begin(), slots.begin() + 34, uint64_t{0}));
  // Each bucket 2^e holds exactly slots 0..e-1.
  for (size_t b = 0; b < h.cumulative_counts.size(); ++b) {
    size_t e = 8 + 2 * b;
    EXPECT_EQ(h.cumulative_counts[b], std::accumulate(slots.begin(), slots.begin() + e, uint64_t{0}))
        << "bucket " << b;
  }
}

TEST(HistogramTest, SumConvertedToSeconds) {
  Slots slots{};
  slots[10] = 1;
  EXPECT_DOUBLE_EQ(LatencyHistogram(slots, 1'500'000'000).sum_seconds, 1.5);
  EXPECT_DOUBLE_EQ(LatencyHistogram(slots, 250).sum_seconds, 250e-9);
  EXPECT_DOUBLE_EQ(Log2ToCumulative(slots, 3'000'000'000'000ull, 0, 1, 1).sum_seconds, 3000.0);
}

TEST(HistogramTest, StepMinMaxHonoured) {
  std::vector<uint64_t> slots(12, 1);
  CumulativeHistogram h = Log2ToCumulative(slots, 0, 3, 10, 3);  // 2^3, 2^6, 2^9
  ASSERT_EQ(h.upper_bounds_seconds.size(), 3u);
  EXPECT_EQ(h.upper_bounds_seconds[0], 8e-9);
  EXPECT_EQ(h.upper_bounds_seconds[1], 64e-9);
  EXPECT_EQ(h.upper_bounds_seconds[2], 512e-9);
  EXPECT_EQ(h.cumulative_counts[0], 3u);  // slots 0..2
  EXPECT_EQ(h.cumulative_counts[1], 6u);  // slots 0..5
  EXPECT_EQ(h.cumulative_counts[2], 9u);  // slots 0..8
  EXPECT_EQ(h.count, 12u);

  // max_exp is inclusive when the step lands on it.
  CumulativeHistogram exact = Log2ToCumulative(slots, 0, 2, 6, 2);  // 2^2, 2^4, 2^6
  ASSERT_EQ(exact.upper_bounds_seconds.size(), 3u);
  EXPECT_EQ(exact.upper_bounds_seconds.back(), 64e-9);

  // A single bound.
  CumulativeHistogram one = Log2ToCumulative(slots, 0, 5, 5, 1);
  ASSERT_EQ(one.upper_bounds_seconds.size(), 1u);
  EXPECT_EQ(one.upper_bounds_seconds[0], 32e-9);
  EXPECT_EQ(one.cumulative_counts[0], 5u);

  // min > max: no finite buckets, count still right.
  CumulativeHistogram empty = Log2ToCumulative(slots, 0, 9, 3, 1);
  EXPECT_TRUE(empty.upper_bounds_seconds.empty());
  EXPECT_EQ(empty.count, 12u);
}

TEST(HistogramTest, ZeroStepTreatedAsOne) {
  std::vector<uint64_t> slots(6, 1);
  CumulativeHistogram h = Log2ToCumulative(slots, 0, 1, 4, 0);
  ASSERT_EQ(h.upper_bounds_seconds.size(), 4u);
  EXPECT_EQ(h.cumulative_counts, (std::vector<uint64_t>{1, 2, 3, 4}));
}

TEST(HistogramTest, SlotZeroIncludesZeroAndOneNanosecond) {
  std::vector<uint64_t> slots = {4, 0, 0};
  CumulativeHistogram h = Log2ToCumulative(slots, 4, 0, 2, 1);  // 1, 2, 4 ns
  EXPECT_EQ(h.cumulative_counts, (std::vector<uint64_t>{0, 4, 4}));
}

// The syscall and disk maps keep 15 buckets, not 37 log2 slots (bpf/histogram.h).
// hp_latency_bucket (bpf/bits.bpf.h) puts a value of log2 slot i in bucket
// min((i - 8) / 2 + 1, 14), or 0 below slot 8; turned back into slots with
// LatencyBucketSlot, the exported histogram is the one the fine slots give.
TEST(HistogramTest, CoarseBucketsExportTheSameHistogram) {
  auto bucket_of_slot = [](size_t i) -> size_t {
    if (i < HP_LATENCY_BUCKET_MIN_LOG2) return 0;
    return std::min<size_t>((i - HP_LATENCY_BUCKET_MIN_LOG2) / 2 + 1, HP_LATENCY_BUCKETS - 1);
  };
  for (size_t only = 0; only <= HP_LATENCY_SLOTS; ++only) {  // each slot alone, then all at once
    std::vector<uint64_t> fine(HP_LATENCY_SLOTS, 0);
    for (size_t i = 0; i < HP_LATENCY_SLOTS; ++i)
      if (only == HP_LATENCY_SLOTS || i == only) fine[i] = 1 + i * 7;
    std::vector<uint64_t> buckets(HP_LATENCY_BUCKETS, 0);
    for (size_t i = 0; i < HP_LATENCY_SLOTS; ++i) buckets[bucket_of_slot(i)] += fine[i];
    std::vector<uint64_t> expanded(HP_LATENCY_SLOTS, 0);
    for (size_t b = 0; b < HP_LATENCY_BUCKETS; ++b) expanded[LatencyBucketSlot(b)] += buckets[b];
    CumulativeHistogram want = LatencyHistogram(fine, 12345), got = LatencyHistogram(expanded, 12345);
    EXPECT_EQ(got.cumulative_counts, want.cumulative_counts) << "slot " << only;
    EXPECT_EQ(got.upper_bounds_seconds, want.upper_bounds_seconds);
    EXPECT_EQ(got.count, want.count);
  }
  EXPECT_EQ(LatencyBucketSlot(0), 0u);
  EXPECT_EQ(LatencyBucketSlot(1), 8u);
  EXPECT_EQ(LatencyBucketSlot(13), 32u);
  EXPECT_EQ(LatencyBucketSlot(14), HP_LATENCY_SLOTS - 1u);
}

}  // namespace
}  // namespace hostprobe
