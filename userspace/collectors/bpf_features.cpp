#include "bpf_features.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

namespace hostprobe {

std::string BpfFeatures::Describe() const {
  std::string s = "vmlinux BTF: ";
  s += vmlinux_btf ? "yes" : "no (" + btf_error + ")";
  s += ", tp_btf sys_enter/sys_exit: ";
  s += tp_btf_sys_enter ? "yes" : "no";
  s += ", task storage: ";
  s += task_storage ? "yes" : "no";
  return s;
}

BpfFeatures ProbeBpfFeatures() {
  BpfFeatures f;
  struct btf* vmlinux = btf__load_vmlinux_btf();
  if (vmlinux == nullptr) {
    f.btf_error = std::strerror(errno);
  } else {
    f.vmlinux_btf = true;
    // tp_btf attaches by the tracepoint's typedef btf_trace_<name>.
    f.tp_btf_sys_enter = btf__find_by_name_kind(vmlinux, "btf_trace_sys_enter", BTF_KIND_TYPEDEF) >= 0 &&
                         btf__find_by_name_kind(vmlinux, "btf_trace_sys_exit", BTF_KIND_TYPEDEF) >= 0;
    btf__free(vmlinux);
  }
  f.task_storage = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, nullptr) == 1;
  return f;
}

}  // namespace hostprobe
