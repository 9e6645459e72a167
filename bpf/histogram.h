/* SPDX-License-Identifier: Apache-2.0 */
/* Log2 latency histogram layout shared by every BPF program and userspace.
 * Slot i counts values v (in ns) with 2^i <= v < 2^(i+1); slot 0 also holds 0 and 1.
 * The last slot is open-ended. */
#ifndef HOSTPROBE_BPF_HISTOGRAM_H
#define HOSTPROBE_BPF_HISTOGRAM_H

/* 2^36 ns is about 68.7 s; anything slower lands in the last slot. */
#define HP_LATENCY_SLOTS 37

/* The coarser layout the syscall and disk maps keep, one per bucket the
 * exporter serves (le = 2^8, 2^10, ..., 2^34 ns, then +Inf; see
 * LatencyHistogram in userspace/core/histogram.h): bucket 0 holds values
 * below 2^8 ns, bucket b (1..13) those with 2^(2b+6) <= v < 2^(2b+8), the
 * last one the rest. Finer slots would be summed away at every scrape, and
 * these maps are per CPU: 15 buckets instead of 37 slots is 176 bytes less
 * per syscall or (disk, op) and possible CPU. Userspace turns bucket b back
 * into a log2 slot (LatencyBucketSlot in userspace/core/histogram.h). */
#define HP_LATENCY_BUCKETS 15
#define HP_LATENCY_BUCKET_MIN_LOG2 8
#define HP_LATENCY_BUCKET_MAX_LOG2 34

#endif /* HOSTPROBE_BPF_HISTOGRAM_H */
