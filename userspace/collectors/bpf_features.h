// Kernel eBPF features, probed once at start-up and passed to collectors so
// tests can hand them a fake.
#pragma once

#include <string>

namespace hostprobe {

struct BpfFeatures {
  bool vmlinux_btf = false;        // /sys/kernel/btf/vmlinux loads
  bool tp_btf_sys_enter = false;   // BTF knows the sys_enter/sys_exit tracepoints
  bool task_storage = false;       // BPF_MAP_TYPE_TASK_STORAGE (5.11+)
  std::string btf_error;           // why vmlinux BTF did not load

  std::string Describe() const;
};

BpfFeatures ProbeBpfFeatures();

}  // namespace hostprobe
