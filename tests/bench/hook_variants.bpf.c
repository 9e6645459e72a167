// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sys_exit programs that each do one map increment, so hook_cost can
 * measure what one costs a syscall: in a per-CPU array, or in a plain array
 * indexed by CPU and syscall. (The empty programs are empty_pair.bpf.c's.) */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define SLOTS 1024

#if defined(__TARGET_ARCH_arm64)
#define SYSCALL_NR(regs) ((regs)->syscallno)
#else
#define SYSCALL_NR(regs) ((regs)->orig_ax)
#endif

struct line {
	__u64 v[8];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLOTS);
	__type(key, __u32);
	__type(value, struct line);
} per_cpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLOTS);  /* times the possible CPUs: set by hook_cost */
	__type(key, __u32);
	__type(value, struct line);
} by_cpu SEC(".maps");

SEC("tp_btf/sys_exit")
int BPF_PROG(per_cpu_exit, struct pt_regs *regs, long ret)
{
	__u32 key = SYSCALL_NR(regs) & (SLOTS - 1);
	struct line *l = bpf_map_lookup_elem(&per_cpu, &key);

	if (l)
		l->v[0]++;
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(by_cpu_exit, struct pt_regs *regs, long ret)
{
	__u32 key = bpf_get_smp_processor_id() * SLOTS + (SYSCALL_NR(regs) & (SLOTS - 1));
	struct line *l = bpf_map_lookup_elem(&by_cpu, &key);

	if (l)
		l->v[0]++;
	return 0;
}
