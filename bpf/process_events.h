/* SPDX-License-Identifier: Apache-2.0 */
/* Types and sizes shared by process_events.bpf.c and the C++ collector.
 * Only __u32/__u64 here: the layout must be identical on both sides. */
#ifndef HOSTPROBE_BPF_PROCESS_EVENTS_H
#define HOSTPROBE_BPF_PROCESS_EVENTS_H

/* (cgroup, signal) pairs with crash counts. 64 signals per cgroup at most,
 * in practice a handful. */
#define HP_MAX_CRASH_KEYS 8192
/* Cgroups with exec or OOM-kill counts. */
#define HP_MAX_PROC_CGROUPS 16384
/* Thread groups whose death was already counted, kept only long enough for
 * the group's other dying threads to see the entry (LRU: old ones go first). */
#define HP_MAX_EXITS_SEEN 4096
/* Tasks sent a SIGKILL recently, with their cgroup, for kernels whose
 * mark_victim tracepoint gives only the victim's pid (before 6.8): the OOM
 * killer sends the victim SIGKILL just before it marks it (LRU: old ones go first). */
#define HP_MAX_SIGKILL_TARGETS 1024
/* Cgroups whose name and parent were recorded when a task of theirs exec'd
 * or was killed, so a cgroup removed before any walk of the cgroup tree saw
 * it (a container that crashes within a second) can still be named from its
 * parent (LRU: old ones go first). */
#define HP_MAX_CGROUP_NAMES 4096
/* Bytes of a cgroup directory's name kept, with its NUL: container scopes
 * ("cri-containerd-<64 hex>.scope") take 86. Longer names are cut. */
#define HP_CGROUP_NAME_LEN 120
/* Signal numbers above this (none on Linux: _NSIG is 64) are folded into it. */
#define HP_MAX_SIGNAL 64

struct hp_crash_key {
	__u64 cgroup_id; /* cgroup v2 id of the exiting task */
	__u32 signal;    /* terminating signal, 1..HP_MAX_SIGNAL */
	__u32 pad;
};

/* Per cgroup v2 id, one value for all CPUs (added to atomically). */
struct hp_proc_cgroup_stats {
	__u64 execs;     /* successful execve/execveat */
	__u64 oom_kills; /* tasks chosen as OOM victims */
};

/* What the kernel knew of a cgroup v2 id when one of its tasks exec'd. */
struct hp_cgroup_name {
	__u64 parent_id;                 /* cgroup v2 id of its parent (0 for the root) */
	char name[HP_CGROUP_NAME_LEN];   /* its directory's name, NUL-terminated */
};

/* A thread group, unique over the life of the host (pid alone is reused). */
struct hp_exit_key {
	__u32 tgid;
	__u32 pad;
	__u64 start_ns; /* group leader's start_time */
};

/* The program's own failures, indexes into the process_events_self_stats array. */
enum hp_process_events_self_stat {
	HP_PE_STAT_CRASH_MAP_FULL = 0, /* process_crashes update failed: crash not counted */
	HP_PE_STAT_CGROUP_MAP_FULL,    /* process_cgroups update failed: exec/OOM kill not counted */
	HP_PE_STAT_EXIT_SEEN_FAILED,   /* exits_seen update failed: crash not counted */
	HP_PE_STAT_OOM_VICTIM_UNKNOWN, /* pid-only mark_victim with no SIGKILL seen for the pid:
	                                  the kill was charged to the allocating task's cgroup */
	HP_PE_STAT__COUNT,
};

#endif /* HOSTPROBE_BPF_PROCESS_EVENTS_H */
