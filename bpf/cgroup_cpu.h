/* SPDX-License-Identifier: Apache-2.0 */
/* Types and sizes shared by cgroup_cpu.bpf.c and the C++ collector. */
#ifndef HOSTPROBE_BPF_CGROUP_CPU_H
#define HOSTPROBE_BPF_CGROUP_CPU_H

#define HP_MAX_CPU_CGROUPS 16384

/* What each CPU runs now: the slice that started at since_ns (bpf_ktime_get_ns,
 * CLOCK_MONOTONIC) for a task of cgroup_id (0: the idle task, or no switch
 * seen yet). Userspace adds the slice in progress when it reads, so a task
 * that is never switched out still shows its time. */
struct hp_cpu_running {
	__u64 since_ns;
	__u64 cgroup_id;
};

enum hp_cgroup_cpu_self_stat {
	HP_CPU_STAT_CGROUP_MAP_FULL = 0,  /* cgroup_cpu_ns update failed */
	HP_CPU_STAT__COUNT,
};

#endif /* HOSTPROBE_BPF_CGROUP_CPU_H */
