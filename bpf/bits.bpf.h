/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers used only by BPF code. */
#ifndef HOSTPROBE_BITS_BPF_H
#define HOSTPROBE_BITS_BPF_H

#include <bpf/bpf_helpers.h>

#include "histogram.h"

/* floor(log2(v)) without loops, so the verifier sees a fixed instruction count. */
static __always_inline __u64 hp_log2_u64(__u64 v)
{
	__u64 r = 0, shift;

	shift = (v > 0xFFFFFFFFULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xFFFF) << 4; v >>= shift; r |= shift;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

/* Histogram slot of a latency, used as an array index into map values.
 * 64-bit throughout, and pinned to one register after the clamp: with a
 * 32-bit slot clang clamped a zero-extended copy and indexed with the
 * original, and older verifiers (Debian 12's 6.1) do not carry the copy's
 * bound back to the original: "R0 unbounded memory access". */
static __always_inline __u64 hp_latency_slot(__u64 ns)
{
	__u64 slot = hp_log2_u64(ns);

	if (slot >= HP_LATENCY_SLOTS)
		slot = HP_LATENCY_SLOTS - 1;
	barrier_var(slot);
	return slot;
}

/* Bucket of a latency in the coarse layout (HP_LATENCY_BUCKETS, see
 * histogram.h), used as an array index into map values; 64-bit and pinned
 * after the clamp for the reason above. */
static __always_inline __u64 hp_latency_bucket(__u64 ns)
{
	__u64 b = hp_log2_u64(ns);

	if (b < HP_LATENCY_BUCKET_MIN_LOG2)
		b = 0;
	else
		b = (b - HP_LATENCY_BUCKET_MIN_LOG2) / 2 + 1;
	if (b >= HP_LATENCY_BUCKETS)
		b = HP_LATENCY_BUCKETS - 1;
	barrier_var(b);
	return b;
}

#endif /* HOSTPROBE_BITS_BPF_H */
