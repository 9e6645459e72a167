// Kernel eBPF features, probed once at start-up and passed to collectors so
// tests can hand them a fake.
#pragma once

#include <set>
#include <string>
#include <string_view>

namespace hostprobe {

struct BpfFeatures {
  bool vmlinux_btf = false;               // /sys/kernel/btf/vmlinux loads
  bool task_storage = false;              // BPF_MAP_TYPE_TASK_STORAGE (5.11+)
  std::set<std::string> btf_tracepoints;  // tracepoints tp_btf can attach to (of those we use)
  std::string btf_error;                  // why vmlinux BTF did not load

  // True when tp_btf can attach to every named tracepoint.
  bool HasTpBtf(std::initializer_list<std::string_view> tracepoints) const;
  std::string Describe() const;
};

BpfFeatures ProbeBpfFeatures();

}  // namespace hostprobe
