/* SPDX-License-Identifier: Apache-2.0 */
/* Types and sizes shared by uprobes.bpf.c and the C++ collector.
 * Only __u32/__u64 here: the layout must be identical on both sides. */
#ifndef HOSTPROBE_BPF_UPROBES_H
#define HOSTPROBE_BPF_UPROBES_H

#include "histogram.h"

/* User-defined probes (--probe). Each one is a slot of probe_stats. */
#define HP_MAX_PROBES 64
/* Calls of :latency probes between entry and return, over all threads. */
#define HP_MAX_PROBE_INFLIGHT 16384

/* Every attachment carries a BPF cookie: the probe's slot in the low 32 bits,
 * plus this bit on the entry uprobe of a :latency probe, which tells the
 * entry program to record a start time for the return program. */
#define HP_PROBE_COOKIE_LATENCY (1ULL << 32)

/* Per probe, per CPU. */
struct hp_probe_stats {
	__u64 calls;          /* entries (uprobe) or hits (USDT) */
	__u64 latency_sum_ns; /* :latency probes: entry to return */
	__u64 latency_slots[HP_LATENCY_SLOTS];
};

/* One call in flight of a :latency probe. */
struct hp_probe_inflight_key {
	__u64 pid_tgid;
	__u32 probe;
	__u32 pad;
};

/* The programs' own failures, indexes into the uprobe_self_stats array. */
enum hp_uprobe_self_stat {
	HP_UP_STAT_INFLIGHT_FAILED = 0, /* entry time not stored: that call has no latency */
	HP_UP_STAT_BAD_COOKIE,          /* a cookie outside 0..HP_MAX_PROBES-1 (a loader bug) */
	HP_UP_STAT__COUNT,
};

#endif /* HOSTPROBE_BPF_UPROBES_H */
