/* SPDX-License-Identifier: Apache-2.0 */
/* Types and sizes shared by process_memory.bpf.c and the C++ collector.
 * Only __u32/__u64 here: the layout must be identical on both sides. */
#ifndef HOSTPROBE_BPF_PROCESS_MEMORY_H
#define HOSTPROBE_BPF_PROCESS_MEMORY_H

/* Processes (thread groups) tracked at once. LRU: when the host runs more,
 * the ones whose memory changed least recently go first, and userspace seeds
 * them again from /proc/<pid>/statm when it next sees them missing. */
#define HP_MAX_MEM_PROCS 32768

/* hp_proc_mem.flags */
/* Written by userspace from /proc/<pid>/statm: resident file and shmem pages
 * are not told apart (file_pages holds both, shmem_pages is 0) and brk_bytes
 * is unknown. The kernel clears it with its first full reading. */
#define HP_PM_FROM_STATM 0x1

/* One process's memory as of its last change, keyed by tgid (__u32). Every
 * event rewrites the whole value from the mm, so a missed or reordered event
 * costs freshness, never accuracy. */
struct hp_proc_mem {
	__u64 anon_pages;     /* resident anonymous memory (MM_ANONPAGES) */
	__u64 file_pages;     /* resident file-backed memory (MM_FILEPAGES) */
	__u64 shmem_pages;    /* resident shared memory (MM_SHMEMPAGES) */
	__u64 data_pages;     /* data_vm + stack_vm: statm's "data" field */
	__u64 brk_bytes;      /* brk - start_brk: the brk heap */
	__u64 start_boottime; /* group leader's start_boottime, ns: tells a reused pid apart */
	__u64 exec_ns;        /* bpf_ktime_get_boot_ns() at the exec that started this image; 0: none seen */
	__u32 flags;          /* HP_PM_* */
	__u32 swap_pages;     /* swapped-out anonymous pages (MM_SWAPENTS) */
};

/* The program's own failures, indexes into the process_memory_self_stats array. */
enum hp_process_memory_self_stat {
	HP_PM_STAT_UPDATE_FAILED = 0, /* process_memory update failed: a change was not recorded */
	HP_PM_STAT__COUNT,
};

#endif /* HOSTPROBE_BPF_PROCESS_MEMORY_H */
