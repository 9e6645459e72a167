// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Per-process memory, kept current in the kernel, one entry per thread group.
 *
 *   rss_stat            an mm's resident page counters changed. The whole
 *                       value is read again from the mm, so the entry always
 *                       holds the latest resident anon/file/shmem pages.
 *   fexit brk, mmap,    the process mapped, unmapped, moved or re-protected
 *   munmap, mremap,     memory: data_vm/stack_vm and brk change here without
 *   mprotect            any page being touched, so rss_stat alone would see
 *                       a reservation only once it is faulted in.
 *   sched_process_exec  a new image: the entry starts again, stamped.
 *   sched_process_exit  the last thread of a group: the entry goes.
 *
 * tp_btf and raw_tp variants of the tracepoints are in this object; the loader
 * switches one family off before loading (see syscalls.bpf.c). The fexit
 * programs are loaded only for the functions the kernel's BTF has.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "core_fixes.bpf.h"
#include "maps.bpf.h"
#include "process_memory.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HP_MAX_MEM_PROCS);
	__type(key, __u32);
	__type(value, struct hp_proc_mem);
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

/* mm->owner exists only with CONFIG_MEMCG. */
struct mm_struct___memcg {
	struct task_struct *owner;
} __attribute__((preserve_access_index));

/* Value of resident counter `member` (MM_FILEPAGES, ...), in pages. The
 * percpu_counter's central count, as the rss_stat tracepoint itself reports
 * it: per-CPU deltas not yet folded in are left out (at most the counter's
 * batch per CPU), which keeps this hot path free of a loop over CPUs. */
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

/* The thread group an mm belongs to, or NULL to skip the event. rss_stat fires
 * for the mm being changed, which is not always current's (reclaim, another
 * process reading it, an exiting process's teardown after its mm was cut
 * loose). mm->owner names the owner whenever it exists; without it only
 * events on current's own mm can be attributed. */
static __always_inline struct task_struct *mm_owner(struct mm_struct *mm)
{
	struct mm_struct___memcg *with_owner = (void *)mm;
	struct task_struct *current = (struct task_struct *)bpf_get_current_task();

	if (bpf_core_field_exists(with_owner->owner)) {
		struct task_struct *owner = BPF_CORE_READ(with_owner, owner);

		if (owner)
			return owner;
	}
	if (BPF_CORE_READ(current, mm) != mm)
		return NULL;
	return current;
}

static __always_inline void read_mm(struct mm_struct *mm, struct task_struct *task, struct hp_proc_mem *v)
{
	v->anon_pages = rss_pages(mm, MM_ANONPAGES);
	v->file_pages = rss_pages(mm, MM_FILEPAGES);
	v->shmem_pages = rss_pages(mm, MM_SHMEMPAGES);
	v->swap_pages = (__u32)rss_pages(mm, MM_SWAPENTS);
	v->data_pages = BPF_CORE_READ(mm, data_vm) + BPF_CORE_READ(mm, stack_vm);
	v->brk_bytes = BPF_CORE_READ(mm, brk) - BPF_CORE_READ(mm, start_brk);
	v->start_boottime = BPF_CORE_READ(task, group_leader, start_boottime);
	v->flags = 0;
}

/* Rewrites the entry of `task`'s thread group from `mm`. */
static __always_inline void record(struct mm_struct *mm, struct task_struct *task, bool exec)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct hp_proc_mem *v = bpf_map_lookup_elem(&process_memory, &tgid);
	struct hp_proc_mem fresh = {};

	if (v && !exec) {
		read_mm(mm, task, v);
		return;
	}
	read_mm(mm, task, &fresh);
	if (exec)
		fresh.exec_ns = bpf_ktime_get_boot_ns();
	if (bpf_map_update_elem(&process_memory, &tgid, &fresh, BPF_ANY))
		hp_percpu_inc(&process_memory_self_stats, HP_PM_STAT_UPDATE_FAILED);
}

static __always_inline void on_rss_stat(struct mm_struct *mm)
{
	struct task_struct *owner;

	if (!mm)
		return;
	owner = mm_owner(mm);
	if (owner)
		record(mm, owner, false);
}

/* After a mapping call returns, current's mm says what it did. Kernel threads
 * (no mm) and calls that failed are read the same way: a reading of an
 * unchanged mm rewrites the same figures. */
static __always_inline void on_vm_change(void)
{
	struct task_struct *current = (struct task_struct *)bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ(current, mm);

	if (mm)
		record(mm, current, false);
}

static __always_inline void on_exec(void)
{
	struct task_struct *current = (struct task_struct *)bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ(current, mm);

	if (mm)
		record(mm, current, true);
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

SEC("tp_btf/rss_stat")
int BPF_PROG(hp_rss_stat, struct mm_struct *mm)
{
	on_rss_stat(mm);
	return 0;
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

SEC("raw_tp/rss_stat")
int BPF_PROG(hp_rss_stat_raw, struct mm_struct *mm)
{
	on_rss_stat(mm);
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

/* The arch-neutral bodies behind the syscalls (the __x64_sys_ and
 * __arm64_sys_ wrappers differ per architecture). No arguments are read. */
SEC("fexit/__do_sys_brk")
int BPF_PROG(hp_brk_exit)
{
	on_vm_change();
	return 0;
}

SEC("fexit/ksys_mmap_pgoff")
int BPF_PROG(hp_mmap_exit)
{
	on_vm_change();
	return 0;
}

SEC("fexit/__vm_munmap")
int BPF_PROG(hp_munmap_exit)
{
	on_vm_change();
	return 0;
}

SEC("fexit/__do_sys_mremap")
int BPF_PROG(hp_mremap_exit)
{
	on_vm_change();
	return 0;
}

SEC("fexit/do_mprotect_pkey")
int BPF_PROG(hp_mprotect_exit)
{
	on_vm_change();
	return 0;
}
