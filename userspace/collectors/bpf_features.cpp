#include "collectors/bpf_features.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hostprobe {
namespace {

// Every tracepoint a hostprobe program attaches to.
constexpr const char* kTracepoints[] = {"sys_enter",          "sys_exit",          "block_rq_issue",
                                        "block_rq_complete",  "block_bio_queue",   "sched_switch",
                                        "sched_process_exit", "sched_migrate_task"};

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
  s += ", mmapable arrays: ";
  s += mmapable_arrays ? "yes" : "no";
  s += ", maps allocated on insert: ";
  s += any_context_map_alloc ? "yes" : "no (preallocated)";
  s += ", tp_btf tracepoints:";
  if (btf_tracepoints.empty()) s += " none";
  for (const auto& tp : btf_tracepoints) s += " " + tp;
  if (!block_rq_issue_first_arg.empty())
    s += ", block_rq_issue(struct " + block_rq_issue_first_arg + " *, ...)";
  return s;
}

std::string TracepointFirstArgStruct(const btf* vmlinux, const std::string& tp) {
  int id = btf__find_by_name_kind(vmlinux, ("btf_trace_" + tp).c_str(), BTF_KIND_TYPEDEF);
  if (id < 0) return "";
  const btf_type* t = btf__type_by_id(vmlinux, btf__type_by_id(vmlinux, static_cast<__u32>(id))->type);
  if (t == nullptr || !btf_is_ptr(t)) return "";
  const btf_type* proto = btf__type_by_id(vmlinux, t->type);
  if (proto == nullptr || !btf_is_func_proto(proto) || btf_vlen(proto) < 2) return "";
  int arg = btf__resolve_type(vmlinux, btf_params(proto)[1].type);
  const btf_type* ptr = arg < 0 ? nullptr : btf__type_by_id(vmlinux, static_cast<__u32>(arg));
  if (ptr == nullptr || !btf_is_ptr(ptr)) return "";
  int pointee = btf__resolve_type(vmlinux, ptr->type);
  const btf_type* st = pointee < 0 ? nullptr : btf__type_by_id(vmlinux, static_cast<__u32>(pointee));
  if (st == nullptr || !btf_is_struct(st)) return "";
  const char* name = btf__name_by_offset(vmlinux, st->name_off);
  return name ? name : "";
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
    f.block_rq_issue_first_arg = TracepointFirstArgStruct(vmlinux, "block_rq_issue");
    f.any_context_map_alloc = btf__find_by_name_kind(vmlinux, "bpf_mem_alloc", BTF_KIND_STRUCT) >= 0;
    btf__free(vmlinux);
  }
  f.task_storage = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, nullptr) == 1;
  // libbpf's map-type probe takes no flags: create one.
  LIBBPF_OPTS(bpf_map_create_opts, mmapable, .map_flags = BPF_F_MMAPABLE);
  if (int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "hp_probe_mmap", 4, 8, 1, &mmapable); fd >= 0) {
    f.mmapable_arrays = true;
    close(fd);
  }
  return f;
}

}  // namespace hostprobe
