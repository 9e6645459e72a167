// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Per-process memory, read from every process's mm when userspace samples.
 *
 *   iter/task           run by userspace at every sample (a new iterator on
 *                       the link, read to its end): one hp_proc_mem record
 *                       per thread group with an mm, its resident counters
 *                       by type, swap, data and brk heap as they are at that
 *                       moment. Nothing runs on a page fault or a mapping
 *                       call.
 *   sched_process_exec  a new image: its time is stamped, so userspace knows
 *                       the process exec'd and its leak warm-up starts there.
 *   sched_process_exit  the last thread of a group: its stamp goes.
 *
 * tp_btf and raw_tp variants of the tracepoints are in this object; the loader
 * switches one family off before loading (see syscalls.bpf.c).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "maps.bpf.h"
#include "process_memory.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* include/linux/sched.h */
#define HP_PF_EXITING 0x00000004
#define HP_PF_KTHREAD 0x00200000

/* Exec stamps by global tgid. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HP_MAX_MEM_PROCS);
	__type(key, __u32);
	__type(value, struct hp_proc_exec);
} process_memory SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HP_PM_STAT__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} process_memory_self_stats SEC(".maps");

/* Up to Linux 6.1 the mm's counters are atomics in a struct; 6.2 (commit
 * f1a7941243c1, "mm: convert mm's rss stats into percpu_counter") made them
 * an array of percpu_counter and dropped struct mm_rss_stat. */
struct mm_rss_stat___atomic {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___atomic {
	struct mm_rss_stat___atomic rss_stat;
} __attribute__((preserve_access_index));

struct mm_struct___percpu {
	struct percpu_counter rss_stat[4];
} __attribute__((preserve_access_index));

/* Value of resident counter `member` (MM_FILEPAGES, ...), in pages. The
 * percpu_counter's central count, as /proc/<pid>/status and statm read it
 * (get_mm_counter): per-CPU deltas not yet folded in are left out (at most
 * the counter's batch per CPU). */
static __always_inline __u64 rss_pages(struct mm_struct *mm, __u32 member)
{
	long count = 0;
	void *slot;

	if (bpf_core_type_exists(struct mm_rss_stat___atomic)) {
		struct mm_struct___atomic *old = (void *)mm;

		slot = (void *)mm + bpf_core_field_offset(old->rss_stat) + member * sizeof(atomic_long_t);
	} else {
		struct mm_struct___percpu *cur = (void *)mm;

		slot = (void *)mm + bpf_core_field_offset(cur->rss_stat) +
		       member * bpf_core_type_size(struct percpu_counter) +
		       bpf_core_field_offset(struct percpu_counter, count);
	}
	bpf_probe_read_kernel(&count, sizeof(count), slot);
	return count > 0 ? count : 0;
}

/* The pid of `task`'s thread group as the namespace at `level` numbers it,
 * 0 when that namespace does not see it. */
static __always_inline __u32 tgid_at_level(struct task_struct *task, __u32 level)
{
	struct pid *pid = BPF_CORE_READ(task, signal, pids[PIDTYPE_TGID]);
	int nr = 0;

	if (!pid || level > BPF_CORE_READ(pid, level))
		return 0;
	bpf_probe_read_kernel(&nr, sizeof(nr),
			      (void *)pid + bpf_core_field_offset(struct pid, numbers) +
				      level * bpf_core_type_size(struct upid) +
				      bpf_core_field_offset(struct upid, nr));
	return nr > 0 ? nr : 0;
}

/* One record per thread group with memory: the group leader writes it, or,
 * when the leader has exited on its own (its mm is gone while other threads
 * run on), each of the other threads writes the same group's record and
 * userspace keeps one. Kernel threads, which may borrow an mm, and exiting
 * tasks, whose mm may be going, are left out. */
SEC("iter/task")
int hp_mem_iter(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct task_struct *current, *leader;
	struct hp_proc_exec *stamp;
	struct hp_proc_mem rec = {};
	struct mm_struct *mm;
	__u32 tgid;

	if (!task)
		return 0;
	if (BPF_CORE_READ(task, flags) & (HP_PF_KTHREAD | HP_PF_EXITING))
		return 0;
	mm = BPF_CORE_READ(task, mm);
	if (!mm)
		return 0;
	leader = BPF_CORE_READ(task, group_leader);
	if (leader != task && BPF_CORE_READ(leader, mm) &&
	    !(BPF_CORE_READ(leader, flags) & HP_PF_EXITING))
		return 0;

	/* The reader's pid namespace is the one the iterator walks, and the
	 * one its /proc numbers processes in. */
	current = (struct task_struct *)bpf_get_current_task();
	rec.tgid = tgid_at_level(task, BPF_CORE_READ(current, thread_pid, level));
	if (!rec.tgid)
		return 0;
	rec.start_boottime = BPF_CORE_READ(leader, start_boottime);
	tgid = BPF_CORE_READ(task, tgid);
	stamp = bpf_map_lookup_elem(&process_memory, &tgid);
	if (stamp && stamp->start_boottime == rec.start_boottime)
		rec.exec_ns = stamp->exec_ns;
	rec.anon_pages = rss_pages(mm, MM_ANONPAGES);
	rec.file_pages = rss_pages(mm, MM_FILEPAGES);
	rec.shmem_pages = rss_pages(mm, MM_SHMEMPAGES);
	rec.swap_pages = rss_pages(mm, MM_SWAPENTS);
	rec.data_pages = BPF_CORE_READ(mm, data_vm) + BPF_CORE_READ(mm, stack_vm);
	rec.brk_bytes = BPF_CORE_READ(mm, brk) - BPF_CORE_READ(mm, start_brk);
	bpf_seq_write(seq, &rec, sizeof(rec));
	return 0;
}

/* After de_thread(), so current leads its group whichever thread exec'd. */
static __always_inline void on_exec(void)
{
	struct task_struct *current = (struct task_struct *)bpf_get_current_task();
	struct hp_proc_exec v = {};
	__u32 tgid = BPF_CORE_READ(current, tgid);

	v.start_boottime = BPF_CORE_READ(current, group_leader, start_boottime);
	v.exec_ns = bpf_ktime_get_boot_ns();
	if (bpf_map_update_elem(&process_memory, &tgid, &v, BPF_ANY))
		hp_percpu_inc(&process_memory_self_stats, HP_PM_STAT_UPDATE_FAILED);
}

static __always_inline void on_exit(struct task_struct *task)
{
	__u32 tgid;

	/* do_exit() decrements signal->live before this tracepoint fires; zero
	 * means the last thread of the group (see process_events.bpf.c). */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return;
	tgid = BPF_CORE_READ(task, tgid);
	bpf_map_delete_elem(&process_memory, &tgid);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(hp_mem_exec)
{
	on_exec();
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(hp_mem_exit, struct task_struct *task)
{
	on_exit(task);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(hp_mem_exec_raw)
{
	on_exec();
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(hp_mem_exit_raw, struct task_struct *task)
{
	on_exit(task);
	return 0;
}
