#include "collectors/bpf_features.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

namespace hostprobe {
namespace {

// Every tracepoint a hostprobe program attaches to.
constexpr const char* kTracepoints[] = {"sys_enter", "sys_exit", "block_rq_issue", "block_rq_complete",
                                        "sched_switch", "sched_process_exit"};

}  // namespace

bool BpfFeatures::HasTpBtf(std::initializer_list<std::string_view> tracepoints) const {
  for (auto tp : tracepoints) {
    if (btf_tracepoints.count(std::string(tp)) == 0) return false;
  }
  return true;
}

std::string BpfFeatures::Describe() const {
  std::string s = "vmlinux BTF: ";
  s += vmlinux_btf ? "yes" : "no (" + btf_error + ")";
  s += ", task storage: ";
  s += task_storage ? "yes" : "no";
  s += ", tp_btf tracepoints:";
  if (btf_tracepoints.empty()) s += " none";
  for (const auto& tp : btf_tracepoints) s += " " + tp;
  return s;
}

BpfFeatures ProbeBpfFeatures() {
  BpfFeatures f;
  struct btf* vmlinux = btf__load_vmlinux_btf();
  if (vmlinux == nullptr) {
    f.btf_error = std::strerror(errno);
  } else {
    f.vmlinux_btf = true;
    // tp_btf attaches through the tracepoint's typedef btf_trace_<name>.
    for (const char* tp : kTracepoints) {
      if (btf__find_by_name_kind(vmlinux, (std::string("btf_trace_") + tp).c_str(), BTF_KIND_TYPEDEF) >= 0)
        f.btf_tracepoints.insert(tp);
    }
    btf__free(vmlinux);
  }
  f.task_storage = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, nullptr) == 1;
  return f;
}

}  // namespace hostprobe
