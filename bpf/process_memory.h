/* SPDX-License-Identifier: Apache-2.0 */
/* Types and sizes shared by process_memory.bpf.c and the C++ collector.
 * Only __u32/__u64 here: the layout must be identical on both sides. */
#ifndef HOSTPROBE_BPF_PROCESS_MEMORY_H
#define HOSTPROBE_BPF_PROCESS_MEMORY_H

/* Exec stamps kept at once (thread groups that exec'd since the sensor
 * started and still run). LRU: should a host run more, the least recently
 * read go first, and those processes' warm-up counts from their start. */
#define HP_MAX_MEM_PROCS 32768

/* One thread group's memory as its mm holds it when the task iterator runs
 * (a sample): a fixed-size record written with bpf_seq_write, read back by
 * userspace from the iterator's file. */
struct hp_proc_mem {
	__u32 tgid;           /* the process's pid in the pid namespace of the reader */
	__u32 reserved;       /* 0 */
	__u64 start_boottime; /* group leader's start_boottime, ns: tells a reused pid apart */
	__u64 exec_ns;        /* bpf_ktime_get_boot_ns() at the exec that started this image; 0: none seen */
	__u64 anon_pages;     /* resident anonymous memory (MM_ANONPAGES) */
	__u64 file_pages;     /* resident file-backed memory (MM_FILEPAGES) */
	__u64 shmem_pages;    /* resident shared memory (MM_SHMEMPAGES) */
	__u64 swap_pages;     /* swapped-out anonymous pages (MM_SWAPENTS) */
	__u64 data_pages;     /* data_vm + stack_vm: statm's "data" field, VmData + VmStk */
	__u64 brk_bytes;      /* brk - start_brk: the brk heap */
};

/* An exec stamp, keyed by the global tgid (__u32). */
struct hp_proc_exec {
	__u64 start_boottime; /* group leader's start_boottime, ns, at the exec */
	__u64 exec_ns;        /* bpf_ktime_get_boot_ns() at the exec */
};

/* The program's own failures, indexes into the process_memory_self_stats array. */
enum hp_process_memory_self_stat {
	HP_PM_STAT_UPDATE_FAILED = 0, /* process_memory update failed: an exec was not stamped */
	HP_PM_STAT__COUNT,
};

#endif /* HOSTPROBE_BPF_PROCESS_MEMORY_H */
