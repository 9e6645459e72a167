// SPDX-License-Identifier: GPL-2.0
// Placeholder: replaced by the process memory programs.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
