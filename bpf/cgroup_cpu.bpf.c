// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* On-CPU time per cgroup (v2 id), measured at every context switch.
 *
 * Each CPU remembers when its current task was switched in; when that task is
 * switched out, the elapsed time is added to its cgroup. Because the id comes
 * from the task's default-hierarchy (v2) cgroup, this works the same on pure
 * cgroup v2, hybrid and v1 hosts, with no cpuacct controller needed. The idle
 * task is not charged. Each CPU also says which cgroup its slice in progress
 * belongs to (cpu_running), so that userspace can add it when it reads: a
 * CPU-bound task that is never switched out is current at every read, not
 * charged all at once when it finally leaves the CPU.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "cgroup_cpu.h"
#include "core_fixes.bpf.h"
#include "maps.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hp_cpu_running);
} cpu_running SEC(".maps");

/* cgroup -> ns on CPU. Shared by all CPUs, added to atomically: a context
 * switch adds to the cgroup of the task leaving, and two CPUs seldom switch
 * out tasks of one cgroup in the same instant, while per CPU it would cost
 * 8 bytes per cgroup and possible CPU (16 MiB for 16,384 cgroups at 128).
 * Allocated on insert (BPF_F_NO_PREALLOC): memory for the
 * cgroups seen. The loader drops the flag where the kernel cannot allocate
 * in any program context (ConfigureMapAllocation). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, HP_MAX_CPU_CGROUPS);
	__type(key, __u64);
	__type(value, __u64);
} cgroup_cpu_ns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HP_CPU_STAT__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} cgroup_cpu_self_stats SEC(".maps");

static __always_inline void on_switch(struct task_struct *prev, struct task_struct *next)
{
	static const __u64 zero = 0;
	__u32 index = 0;
	__u64 now = bpf_ktime_get_ns();
	struct hp_cpu_running *run = bpf_map_lookup_elem(&cpu_running, &index);
	__u64 *total, cgroup_id;
	__u64 started;

	if (!run)
		return;
	started = run->since_ns;
	/* The next slice: userspace reads cgroup_id and since_ns together
	 * without a lock, and keeps every cgroup's figure from going down, so
	 * a read that mixes two slices only delays what it over-counted. */
	run->cgroup_id = BPF_CORE_READ(next, pid) == 0 ? 0 : hp_task_cgroup_id(next);
	run->since_ns = now;
	/* First switch seen on this CPU, or the idle task going off-CPU. */
	if (!started || BPF_CORE_READ(prev, pid) == 0)
		return;

	cgroup_id = hp_task_cgroup_id(prev);
	total = hp_lookup_or_init(&cgroup_cpu_ns, &cgroup_id, &zero);
	if (total)
		__sync_fetch_and_add(total, now - started);
	else
		hp_percpu_inc(&cgroup_cpu_self_stats, HP_CPU_STAT_CGROUP_MAP_FULL);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(hp_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	on_switch(prev, next);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(hp_sched_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	on_switch(prev, next);
	return 0;
}
