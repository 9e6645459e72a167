// Kernel eBPF features, probed once at start-up and passed to collectors so
// tests can hand them a fake.
#pragma once

#include <set>
#include <string>
#include <string_view>

struct btf;  // libbpf's

namespace hostprobe {

struct BpfFeatures {
  bool vmlinux_btf = false;      // /sys/kernel/btf/vmlinux loads
  bool task_storage = false;     // BPF_MAP_TYPE_TASK_STORAGE (5.11+)
  bool mmapable_arrays = false;  // array maps userspace can mmap (BPF_F_MMAPABLE, 5.5+)
  // Hash maps without preallocation (BPF_F_NO_PREALLOC) are safe to insert
  // into from any program context: the kernel has the BPF memory allocator
  // (struct bpf_mem_alloc in its BTF, 6.1+), whose per-CPU caches need no
  // lock an interrupted allocator may hold. Before it, such inserts called
  // kmalloc and the per-CPU allocator from inside tracepoints (sched_switch
  // holds the runqueue lock), which can deadlock.
  bool any_context_map_alloc = false;
  std::set<std::string> btf_tracepoints;  // tracepoints tp_btf can attach to (of those we use)
  std::string btf_error;                  // why vmlinux BTF did not load
  // Struct the first argument of block_rq_issue points to: "request" since
  // 5.11, "request_queue" before (the request came second). Empty without BTF.
  std::string block_rq_issue_first_arg;

  // True when tp_btf can attach to every named tracepoint.
  bool HasTpBtf(std::initializer_list<std::string_view> tracepoints) const;
  std::string Describe() const;
};

BpfFeatures ProbeBpfFeatures();

// Name of the struct the first argument of tracepoint `tp` points to, read from
// its btf_trace_<tp> typedef (a pointer to void (*)(void *, arg1, ...)); empty
// when the tracepoint is not in `vmlinux` or its first argument is no struct pointer.
std::string TracepointFirstArgStruct(const btf* vmlinux, const std::string& tp);

}  // namespace hostprobe
