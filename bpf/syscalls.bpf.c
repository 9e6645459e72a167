// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Syscall counts, errors by errno, latency histograms and per-cgroup counts,
 * aggregated in the kernel. Nothing is sent to userspace per event: the
 * collector reads the maps when it is scraped.
 *
 * Two variants of each hook live in this object:
 *   tp_btf/sys_{enter,exit}  typed arguments, task-local storage for the
 *                            enter timestamp (needs kernel BTF, 5.11+);
 *   raw_tp/sys_{enter,exit}  no BTF needed, enter timestamp in an LRU hash.
 * The loader probes the kernel and disables the variant it does not use
 * (bpf_program__set_autoload / bpf_map__set_autocreate) before loading.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bits.bpf.h"
#include "maps.bpf.h"
#include "syscalls.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Syscalls that never return to sys_exit; counted at sys_enter instead.
 * Set by the loader from the running architecture's table. */
const volatile __s64 exit_syscall_nr = -1;
const volatile __s64 exit_group_syscall_nr = -1;

/* A syscall in flight on one thread (raw_tp variant: the LRU hash). */
struct hp_inflight {
	__u64 start_ns;
	__u32 syscall_id;
	__u32 pad;
};

/* Per-thread state of the tp_btf variant, in task storage: the syscall in
 * flight, and calls of this thread not yet added to its cgroup's counters.
 * Batching them saves a hash lookup on almost every call, the most expensive
 * step of the exit path; see flush_cgroup() for when a batch is flushed. */
struct hp_task_state {
	__u64 start_ns;
	__u64 cgroup_id;      /* cgroup of the pending calls */
	__u64 last_flush_ns;
	__u32 syscall_id;
	__u32 pending_calls;
	__u32 pending_errors;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HP_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, struct hp_syscall_stats);
} syscall_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, HP_MAX_ERRNO_KEYS);
	__type(key, struct hp_errno_key);
	__type(value, __u64);
} syscall_errnos SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, HP_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, struct hp_cgroup_stats);
} cgroup_syscalls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct hp_task_state);
} inflight_task SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HP_MAX_INFLIGHT);
	__type(key, __u32);
	__type(value, struct hp_inflight);
} inflight_lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HP_STAT__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} syscall_self_stats SEC(".maps");

/* Adds `calls` and `errors` to cgroup `cgroup_id`'s per-CPU counters. */
static __always_inline void add_cgroup_calls(__u64 cgroup_id, __u32 calls, __u32 errors)
{
	static const struct hp_cgroup_stats zero_cgroup = {};
	struct hp_cgroup_stats *cg;

	cg = hp_lookup_or_init(&cgroup_syscalls, &cgroup_id, &zero_cgroup);
	if (cg) {
		cg->calls += calls;
		cg->errors += errors;
	} else {
		hp_percpu_inc(&syscall_self_stats, HP_STAT_CGROUP_MAP_FULL);
	}
}

/* Counts one call host-wide: per syscall, per (syscall, errno), latency.
 * Returns whether it failed. */
static __always_inline bool record_syscall(long id, long ret, __u64 latency_ns, bool timed)
{
	static const __u64 zero = 0;
	struct hp_syscall_stats *stats;
	__u32 slot;
	bool failed = ret < 0 && ret >= -HP_MAX_ERRNO;

	/* Negative or huge ids (x32 calls, garbage) share the last slot. */
	if (id < 0 || id >= HP_MAX_SYSCALLS) {
		hp_percpu_inc(&syscall_self_stats, HP_STAT_ID_OUT_OF_RANGE);
		id = HP_MAX_SYSCALLS - 1;
	}
	slot = (__u32)id;

	stats = bpf_map_lookup_elem(&syscall_stats, &slot);
	if (stats) {
		stats->calls++;
		if (failed)
			stats->errors++;
		if (timed) {
			stats->latency_sum_ns += latency_ns;
			stats->latency_slots[hp_latency_slot(latency_ns)]++;
		}
	}

	if (failed) {
		struct hp_errno_key key = { .syscall_id = slot, .errno_value = (__u32)-ret };
		__u64 *count = hp_lookup_or_init(&syscall_errnos, &key, &zero);

		if (count)
			(*count)++;
		else
			hp_percpu_inc(&syscall_self_stats, HP_STAT_ERRNO_MAP_FULL);
	}
	return failed;
}

/* Counts one call host-wide and for the current cgroup, unbatched. */
static __always_inline void record_call(long id, long ret, __u64 latency_ns, bool timed)
{
	bool failed = record_syscall(id, ret, latency_ns, timed);

	add_cgroup_calls(bpf_get_current_cgroup_id(), 1, failed ? 1 : 0);
}

/* A thread's pending cgroup calls are flushed when it changes cgroup, when
 * HP_CGROUP_BATCH_CALLS are pending, when HP_CGROUP_BATCH_NS passed since the
 * last flush (checked at each exit, so a busy thread's counts are never older
 * than that), and when the thread exits. A thread that stops making syscalls
 * holds at most HP_CGROUP_BATCH_CALLS - 1 calls until its next exit. */
static __always_inline void flush_cgroup(struct hp_task_state *st, __u64 now)
{
	if (st->pending_calls)
		add_cgroup_calls(st->cgroup_id, st->pending_calls, st->pending_errors);
	st->pending_calls = 0;
	st->pending_errors = 0;
	st->last_flush_ns = now;
}

static __always_inline bool never_returns(long id)
{
	return id == exit_syscall_nr || id == exit_group_syscall_nr;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(hp_sys_enter, struct pt_regs *regs, long id)
{
	struct hp_task_state *st;

	if (never_returns(id)) {
		record_call(id, 0, 0, false);
		return 0;
	}
	st = bpf_task_storage_get(&inflight_task, bpf_get_current_task_btf(), 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st) {
		hp_percpu_inc(&syscall_self_stats, HP_STAT_INFLIGHT_FAILED);
		return 0;
	}
	st->syscall_id = (__u32)id;
	st->start_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(hp_sys_exit, struct pt_regs *regs, long ret)
{
	struct hp_task_state *st;
	__u64 start, now, cgroup_id;
	bool failed;

	st = bpf_task_storage_get(&inflight_task, bpf_get_current_task_btf(), 0, 0);
	/* No record: a fork child's first return, or a call that began before
	 * we attached. The parent's call is counted on its own exit. */
	if (!st || !st->start_ns)
		return 0;
	now = bpf_ktime_get_ns();
	start = st->start_ns;
	st->start_ns = 0;
	failed = record_syscall((long)st->syscall_id, ret, now - start, true);

	cgroup_id = bpf_get_current_cgroup_id();
	if (cgroup_id != st->cgroup_id) {
		flush_cgroup(st, now);
		st->cgroup_id = cgroup_id;
	}
	st->pending_calls++;
	if (failed)
		st->pending_errors++;
	if (st->pending_calls >= HP_CGROUP_BATCH_CALLS || now - st->last_flush_ns >= HP_CGROUP_BATCH_NS)
		flush_cgroup(st, now);
	return 0;
}

/* A thread's last pending cgroup calls, before its task storage is freed. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(hp_task_exit, struct task_struct *task)
{
	struct hp_task_state *st = bpf_task_storage_get(&inflight_task, task, 0, 0);

	if (st)
		flush_cgroup(st, 0);
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(hp_sys_enter_raw, struct pt_regs *regs, long id)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct hp_inflight inflight = {};

	if (never_returns(id)) {
		record_call(id, 0, 0, false);
		return 0;
	}
	inflight.syscall_id = (__u32)id;
	inflight.start_ns = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&inflight_lru, &tid, &inflight, BPF_ANY))
		hp_percpu_inc(&syscall_self_stats, HP_STAT_INFLIGHT_FAILED);
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(hp_sys_exit_raw, struct pt_regs *regs, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct hp_inflight *inflight;
	__u64 start;
	__u32 id;

	inflight = bpf_map_lookup_elem(&inflight_lru, &tid);
	if (!inflight)
		return 0;
	start = inflight->start_ns;
	id = inflight->syscall_id;
	bpf_map_delete_elem(&inflight_lru, &tid);
	record_call((long)id, ret, bpf_ktime_get_ns() - start, true);
	return 0;
}
