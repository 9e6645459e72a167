/* SPDX-License-Identifier: Apache-2.0 */
/* Types and sizes shared by syscalls.bpf.c and the C++ collector.
 * Only __u32/__u64 here: the layout must be identical on both sides. */
#ifndef HOSTPROBE_BPF_SYSCALLS_H
#define HOSTPROBE_BPF_SYSCALLS_H

#include "histogram.h"

/* Slots of the per-syscall maps. A native call is at its number (below
 * HP_COMPAT_SLOT_BASE); a 32-bit compat call (x86_64's ia32 entry: int $0x80,
 * sysenter, a 32-bit binary's syscall) at HP_COMPAT_SLOT_BASE plus its i386
 * number; any other number (x32 calls, garbage) in the last slot. x86_64 and
 * i386 top out near 470, arm64 near 460. */
#define HP_MAX_SYSCALLS 1024
#define HP_COMPAT_SLOT_BASE 512
/* Errors keyed by (syscall, errno); the kernel's errno range is < 4096. */
#define HP_MAX_ERRNO_KEYS 8192
/* Distinct cgroups with per-cgroup counts. */
#define HP_MAX_CGROUPS 16384
/* Threads with a syscall in flight, used only when task storage is missing. */
#define HP_MAX_INFLIGHT 65536
#define HP_MAX_ERRNO 4095
/* Per-cgroup counts are added in per-CPU, per-syscall batches of at most
 * this many calls (tp_btf variant). */
#define HP_CGROUP_BATCH_CALLS 64

/* Per (CPU, syscall id): everything hp_sys_exit touches for an untimed
 * call, in one cache line (see docs/design.md, "Syscall fast path"). Entry
 * cpu * HP_MAX_SYSCALLS + id of the syscall_hot array. */
struct hp_syscall_hot {
	__u64 calls;
	__u64 errors;
	/* Calls of this syscall on this CPU not yet added to their cgroup's
	 * counters (tp_btf variant). Userspace adds them when it reads. */
	__u64 batch_cgroup_id;
	__u64 batch_css;        /* kernel's css_set of the pending calls */
	__u32 batch_calls;
	__u32 batch_errors;
	/* Timed calls of this syscall in flight on threads now on this CPU. */
	__u32 timed_pending;
	/* Odd while a flush changes the batch, bumped before and after it: a
	 * reader that finds it even and unchanged around its reads of the
	 * batch fields read one batch, not parts of two (tp_btf variant). */
	__u32 batch_seq;
	__u64 reserved[2];      /* to 64 bytes: one entry, one cache line */
};

/* Per syscall id, per CPU: the latency histogram (coarse buckets, see
 * histogram.h), touched by timed calls only. */
struct hp_syscall_latency {
	__u64 sum_ns;
	__u64 buckets[HP_LATENCY_BUCKETS];
};

struct hp_errno_key {
	__u32 syscall_id;
	__u32 errno_value;
};

/* Per cgroup v2 id, one value for all CPUs (added to atomically). */
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
