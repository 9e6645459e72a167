/* SPDX-License-Identifier: Apache-2.0 */
/* Log2 latency histogram layout shared by every BPF program and userspace.
 * Slot i counts values v (in ns) with 2^i <= v < 2^(i+1); slot 0 also holds 0 and 1.
 * The last slot is open-ended. */
#ifndef HOSTPROBE_BPF_HISTOGRAM_H
#define HOSTPROBE_BPF_HISTOGRAM_H

/* 2^36 ns is about 68.7 s; anything slower lands in the last slot. */
#define HP_LATENCY_SLOTS 37

#endif /* HOSTPROBE_BPF_HISTOGRAM_H */
