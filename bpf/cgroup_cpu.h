/* SPDX-License-Identifier: Apache-2.0 */
/* Types and sizes shared by cgroup_cpu.bpf.c and the C++ collector. */
#ifndef HOSTPROBE_BPF_CGROUP_CPU_H
#define HOSTPROBE_BPF_CGROUP_CPU_H

#define HP_MAX_CPU_CGROUPS 16384

enum hp_cgroup_cpu_self_stat {
	HP_CPU_STAT_CGROUP_MAP_FULL = 0,  /* cgroup_cpu_ns update failed */
	HP_CPU_STAT__COUNT,
};

#endif /* HOSTPROBE_BPF_CGROUP_CPU_H */
