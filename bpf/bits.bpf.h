/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers used only by BPF code. */
#ifndef HOSTPROBE_BITS_BPF_H
#define HOSTPROBE_BITS_BPF_H

#include "histogram.h"

/* floor(log2(v)) without loops, so the verifier sees a fixed instruction count. */
static __always_inline __u32 hp_log2_u64(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xFFFFFFFFULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xFFFF) << 4; v >>= shift; r |= shift;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline __u32 hp_latency_slot(__u64 ns)
{
	__u32 slot = hp_log2_u64(ns);

	return slot < HP_LATENCY_SLOTS ? slot : HP_LATENCY_SLOTS - 1;
}

#endif /* HOSTPROBE_BITS_BPF_H */
