#include "histogram.h"

#include <cmath>
#include <cstddef>

#include "../../bpf/histogram.h"

namespace hostprobe {

CumulativeHistogram Log2ToCumulative(std::span<const uint64_t> slots, uint64_t sum_ns, unsigned min_exp,
                                     unsigned max_exp, unsigned step) {
  CumulativeHistogram h;
  h.sum_seconds = static_cast<double>(sum_ns) / 1e9;
  for (uint64_t c : slots) h.count += c;
  if (step == 0) step = 1;

  uint64_t running = 0;
  size_t next_slot = 0;
  const size_t last_slot = slots.empty() ? 0 : slots.size() - 1;
  for (unsigned e = min_exp; e <= max_exp; e += step) {
    // Slot i (values < 2^(i+1)) fits under bound 2^e when i + 1 <= e. The
    // last slot is open-ended and only ever lands in +Inf.
    while (next_slot < slots.size() && next_slot + 1 <= e && next_slot != last_slot) {
      running += slots[next_slot];
      ++next_slot;
    }
    h.upper_bounds_seconds.push_back(std::ldexp(1.0, static_cast<int>(e)) / 1e9);
    h.cumulative_counts.push_back(running);
  }
  return h;
}

CumulativeHistogram LatencyHistogram(std::span<const uint64_t> slots, uint64_t sum_ns) {
  return Log2ToCumulative(slots, sum_ns, HP_LATENCY_BUCKET_MIN_LOG2, HP_LATENCY_BUCKET_MAX_LOG2, 2);
}

size_t LatencyBucketSlot(size_t bucket) {
  if (bucket == 0) return 0;
  if (bucket >= HP_LATENCY_BUCKETS - 1) return HP_LATENCY_SLOTS - 1;  // open-ended, as the last slot
  return HP_LATENCY_BUCKET_MIN_LOG2 + 2 * (bucket - 1);
}

}  // namespace hostprobe
