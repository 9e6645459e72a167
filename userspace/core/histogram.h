// Converts the kernel's log2 latency slots into Prometheus cumulative buckets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace hostprobe {

struct CumulativeHistogram {
  std::vector<double> upper_bounds_seconds;  // finite `le` values, ascending
  std::vector<uint64_t> cumulative_counts;   // one per bound; +Inf is `count`
  uint64_t count = 0;
  double sum_seconds = 0;
};

// Slot i of `slots` counts values v (ns) with 2^i <= v < 2^(i+1) (slot 0 also
// holds 0 and 1); the last slot is open-ended. The exported buckets have
// bounds 2^e ns for e = min_exp, min_exp + step, ... <= max_exp, so the
// series count per histogram stays small. A slot is counted in the first
// bucket whose bound is >= its upper edge 2^(i+1): exact, never early.
CumulativeHistogram Log2ToCumulative(std::span<const uint64_t> slots, uint64_t sum_ns, unsigned min_exp,
                                     unsigned max_exp, unsigned step);

// Bucket layout used for syscall and disk latency: 256 ns to ~17 s, factor 4.
CumulativeHistogram LatencyHistogram(std::span<const uint64_t> slots, uint64_t sum_ns);

// The log2 slot (as above, 0..36) that stands for bucket `bucket` of the
// coarse layout the syscall and disk maps keep (HP_LATENCY_BUCKETS in
// bpf/histogram.h: values below 2^8 ns, then [2^(2b+6), 2^(2b+8)) for b =
// 1..13, then the rest). Adding a bucket's count to that slot gives
// LatencyHistogram exactly the buckets it would get from the fine slots.
size_t LatencyBucketSlot(size_t bucket);

}  // namespace hostprobe
