/* SPDX-License-Identifier: Apache-2.0 */
/* Types and sizes shared by syscalls.bpf.c and the C++ collector.
 * Only __u32/__u64 here: the layout must be identical on both sides. */
#ifndef HOSTPROBE_BPF_SYSCALLS_H
#define HOSTPROBE_BPF_SYSCALLS_H

#include "histogram.h"

/* Syscall numbers at or above this are folded into the last slot
 * (x86_64 tops out near 470, arm64 near 460). */
#define HP_MAX_SYSCALLS 1024
/* Errors keyed by (syscall, errno); the kernel's errno range is < 4096. */
#define HP_MAX_ERRNO_KEYS 8192
/* Distinct cgroups with per-cgroup counts. */
#define HP_MAX_CGROUPS 16384
/* Threads with a syscall in flight, used only when task storage is missing. */
#define HP_MAX_INFLIGHT 65536
#define HP_MAX_ERRNO 4095
/* Per-cgroup counts are added in per-thread batches (tp_btf variant). */
#define HP_CGROUP_BATCH_CALLS 64
#define HP_CGROUP_BATCH_NS 100000000ULL /* 100 ms */

/* Per syscall id, per CPU. */
struct hp_syscall_stats {
	__u64 calls;
	__u64 errors;
	__u64 latency_sum_ns;
	__u64 latency_slots[HP_LATENCY_SLOTS];
};

struct hp_errno_key {
	__u32 syscall_id;
	__u32 errno_value;
};

/* Per cgroup v2 id, per CPU. */
struct hp_cgroup_stats {
	__u64 calls;
	__u64 errors;
};

/* The program's own failures, indexes into the syscall_self_stats array. */
enum hp_syscall_self_stat {
	HP_STAT_ERRNO_MAP_FULL = 0,   /* errno_counts update failed */
	HP_STAT_CGROUP_MAP_FULL,      /* cgroup_counts update failed */
	HP_STAT_INFLIGHT_FAILED,      /* could not record the enter timestamp */
	HP_STAT_ID_OUT_OF_RANGE,      /* syscall id >= HP_MAX_SYSCALLS */
	HP_STAT__COUNT,
};

#endif /* HOSTPROBE_BPF_SYSCALLS_H */
