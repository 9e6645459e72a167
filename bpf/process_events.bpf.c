// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Process crashes (death by a signal), OOM kills and execs, per cgroup v2 id,
 * aggregated in the kernel. Nothing is sent to userspace per event.
 *
 *   sched_process_exit  a thread exits. Only the last thread of a thread group
 *                       counts, and only when the group's exit status says a
 *                       signal ended it, so a process is counted once however
 *                       many threads it had.
 *   mark_victim         the OOM killer chose a victim.
 *   signal_generate     only where mark_victim gives just a pid (before 6.8):
 *                       a SIGKILL's target and its cgroup, so that the
 *                       victim's cgroup is charged, not the allocating task's.
 *   sched_process_exec  an exec succeeded (restart loops show up here).
 *
 * At exec, crash and OOM kill the task's cgroup's name and parent id are
 * recorded (cgroup_names), so a short-lived cgroup can be named after it is
 * gone: a container that crashes at once is counted under its pod.
 *
 * tp_btf and raw_tp variants of each hook are in this object; the loader
 * switches one family off before loading (see syscalls.bpf.c).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "core_fixes.bpf.h"
#include "maps.bpf.h"
#include "process_events.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* include/linux/sched/signal.h; a flag value, unchanged since 2.6. */
#define HP_SIGNAL_GROUP_EXIT 0x00000004

/* The first argument of the mark_victim tracepoint: the victim's task_struct
 * on recent kernels ((struct task_struct *task, uid_t uid), 6.x), its pid on
 * older ones ((int pid)). The loader reads the prototype from the kernel's
 * BTF (btf_trace_mark_victim) and sets this before loading. */
const volatile bool mark_victim_has_task = true;

/* Maps.
 *
 * Everything counted here is rare (a crash, an OOM kill, an exec: thousands
 * a second at the very most, against millions of syscalls), so the counts
 * live in shared hashes, one value per key for all CPUs, added to with
 * atomic adds (hp_atomic_inc): a per-CPU value would cost its size once per
 * possible CPU (128 on some nodes) for no gain. Maps keyed by cgroup or
 * anything else open-ended are BPF_F_NO_PREALLOC: memory for the keys that
 * exist, not for max_entries of them. The loader keeps the flag only where
 * the kernel can allocate in any program context (6.1+, see
 * ConfigureMapAllocation), and preallocates elsewhere; either way an insert
 * that fails (map full, or no memory) is counted in
 * process_events_self_stats. A new map of this kind follows the same
 * pattern: a HASH with the flag, hp_lookup_or_init, a self-stat for the
 * failure.
 */

/* (cgroup, signal) -> crashes. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, HP_MAX_CRASH_KEYS);
	__type(key, struct hp_crash_key);
	__type(value, __u64);
} process_crashes SEC(".maps");

/* cgroup -> execs and OOM kills. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, HP_MAX_PROC_CGROUPS);
	__type(key, __u64);
	__type(value, struct hp_proc_cgroup_stats);
} process_cgroups SEC(".maps");

/* pid -> cgroup v2 id of a task sent SIGKILL (see on_sigkill). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HP_MAX_SIGKILL_TARGETS);
	__type(key, __u32);
	__type(value, __u64);
} sigkill_targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HP_MAX_EXITS_SEEN);
	__type(key, struct hp_exit_key);
	__type(value, __u32);
} exits_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HP_PE_STAT__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} process_events_self_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HP_MAX_CGROUP_NAMES);
	__type(key, __u64);
	__type(value, struct hp_cgroup_name);
} cgroup_names SEC(".maps");

/* Records the name and parent of `task`'s cgroup v2, once per cgroup. */
static __always_inline void remember_cgroup(struct task_struct *task)
{
	struct hp_cgroup_name entry = {};
	struct kernfs_node *kn = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn), *parent;
	__u64 id;

	if (!kn)
		return;
	id = BPF_CORE_READ(kn, id);
	if (bpf_map_lookup_elem(&cgroup_names, &id))
		return;
	parent = hp_kernfs_parent(kn);
	if (parent)
		entry.parent_id = BPF_CORE_READ(parent, id);
	if (bpf_probe_read_kernel_str(entry.name, sizeof(entry.name), BPF_CORE_READ(kn, name)) <= 0)
		return;
	bpf_map_update_elem(&cgroup_names, &id, &entry, BPF_NOEXIST);
}

static __always_inline void count_crash(__u64 cgroup_id, __u32 signal)
{
	static const __u64 zero = 0;
	struct hp_crash_key key = { .cgroup_id = cgroup_id, .signal = signal };
	__u64 *count = hp_lookup_or_init(&process_crashes, &key, &zero);

	if (count)
		hp_atomic_inc(count);
	else
		hp_percpu_inc(&process_events_self_stats, HP_PE_STAT_CRASH_MAP_FULL);
}

static __always_inline struct hp_proc_cgroup_stats *cgroup_stats(__u64 cgroup_id)
{
	static const struct hp_proc_cgroup_stats zero = {};
	struct hp_proc_cgroup_stats *stats = hp_lookup_or_init(&process_cgroups, &cgroup_id, &zero);

	if (!stats)
		hp_percpu_inc(&process_events_self_stats, HP_PE_STAT_CGROUP_MAP_FULL);
	return stats;
}

static __always_inline void on_exit(struct task_struct *task)
{
	struct signal_struct *sig = BPF_CORE_READ(task, signal);
	struct hp_exit_key key = {};
	__u32 one = 1, signal;
	int code;
	long err;

	if (!sig)
		return;
	/* do_exit() decrements signal->live before this tracepoint fires; the
	 * thread that takes it to zero is the last one of its group. Threads of
	 * a group dying together can all read zero here, hence exits_seen. */
	if (BPF_CORE_READ(sig, live.counter) != 0)
		return;
	/* The status the parent's wait() will see (wait_task_zombie): the
	 * group's code when the group was told to exit, else the thread's own. */
	if (BPF_CORE_READ(sig, flags) & HP_SIGNAL_GROUP_EXIT)
		code = BPF_CORE_READ(sig, group_exit_code);
	else
		code = BPF_CORE_READ(task, exit_code);
	signal = code & 0x7f; /* 0x80 is "core dumped", the rest exit() status */
	if (signal == 0)
		return;
	if (signal > HP_MAX_SIGNAL)
		signal = HP_MAX_SIGNAL;

	key.tgid = BPF_CORE_READ(task, tgid);
	key.start_ns = BPF_CORE_READ(task, group_leader, start_time);
	err = bpf_map_update_elem(&exits_seen, &key, &one, BPF_NOEXIST);
	if (err == -EEXIST)
		return; /* another thread of this group counted it */
	if (err) {
		hp_percpu_inc(&process_events_self_stats, HP_PE_STAT_EXIT_SEEN_FAILED);
		return;
	}
	count_crash(hp_task_cgroup_id(task), signal);
	remember_cgroup(task);
}

static __always_inline void on_exec(void)
{
	struct hp_proc_cgroup_stats *stats = cgroup_stats(bpf_get_current_cgroup_id());

	if (stats)
		hp_atomic_inc(&stats->execs);
	remember_cgroup((struct task_struct *)bpf_get_current_task());
}

/* A SIGKILL was generated for a task: remember its cgroup by pid. On kernels
 * whose mark_victim gives only a pid, __oom_kill_process sends the victim
 * SIGKILL right before it marks it (6.1: do_send_sig_info, then
 * mark_oom_victim), so the pid is found here. Only loaded on those kernels. */
static __always_inline void on_sigkill(int sig, struct task_struct *task)
{
	__u32 pid;
	__u64 cgroup_id;

	if (sig != 9 /* SIGKILL */)
		return;
	pid = BPF_CORE_READ(task, pid);
	cgroup_id = hp_task_cgroup_id(task);
	bpf_map_update_elem(&sigkill_targets, &pid, &cgroup_id, BPF_ANY);
}

static __always_inline void on_oom_victim(__u64 arg0)
{
	struct hp_proc_cgroup_stats *stats;
	__u64 cgroup_id;

	if (mark_victim_has_task) {
		cgroup_id = hp_task_cgroup_id((struct task_struct *)arg0);
	} else {
		/* Only a pid: the victim's cgroup as its SIGKILL found it, or the
		 * OOM-killing task's own when the victim is that task (it was
		 * already exiting: no signal is sent then). */
		__u32 pid = (__u32)arg0;
		__u64 *target = bpf_map_lookup_elem(&sigkill_targets, &pid);

		if (target) {
			cgroup_id = *target;
			bpf_map_delete_elem(&sigkill_targets, &pid);
		} else {
			cgroup_id = bpf_get_current_cgroup_id();
			if (pid != (__u32)bpf_get_current_pid_tgid())
				hp_percpu_inc(&process_events_self_stats, HP_PE_STAT_OOM_VICTIM_UNKNOWN);
		}
	}
	stats = cgroup_stats(cgroup_id);
	if (stats)
		hp_atomic_inc(&stats->oom_kills);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(hp_exit, struct task_struct *task)
{
	on_exit(task);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(hp_exec)
{
	on_exec();
	return 0;
}

/* No typed arguments: the first one is a task pointer or a pid depending on
 * the kernel (see mark_victim_has_task); ctx[0] is read either way. */
SEC("tp_btf/mark_victim")
int BPF_PROG(hp_oom_kill)
{
	on_oom_victim(ctx[0]);
	return 0;
}

SEC("tp_btf/signal_generate")
int BPF_PROG(hp_oom_signal, int sig, struct kernel_siginfo *info, struct task_struct *task)
{
	on_sigkill(sig, task);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(hp_exit_raw, struct task_struct *task)
{
	on_exit(task);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(hp_exec_raw)
{
	on_exec();
	return 0;
}

SEC("raw_tp/mark_victim")
int BPF_PROG(hp_oom_kill_raw)
{
	on_oom_victim(ctx[0]);
	return 0;
}

SEC("raw_tp/signal_generate")
int BPF_PROG(hp_oom_signal_raw, int sig, struct kernel_siginfo *info, struct task_struct *task)
{
	on_sigkill(sig, task);
	return 0;
}
