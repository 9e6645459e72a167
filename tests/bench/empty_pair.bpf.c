// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The cheapest possible tp_btf sys_enter + sys_exit pair: the baseline the
 * syscall-overhead benchmark compares the sensor against. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sys_enter")
int BPF_PROG(bench_enter, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(bench_exit, struct pt_regs *regs, long ret)
{
	return 0;
}
