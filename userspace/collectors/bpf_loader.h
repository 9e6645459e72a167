// One path from an opened skeleton to attached programs, shared by every
// collector that loads a BPF object with tp_btf and raw_tp variants of its
// hooks: each collector declares what it loads (a LoadPlan) and LoadAndAttach
// runs the phases (autoload, map allocation, test map sizes, load, attach) in
// the same order, with the same log lines and errors, for all of them.
#pragma once

#include <bpf/libbpf.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "collectors/bpf_features.h"
#include "collectors/bpf_util.h"
#include "core/collector.h"
#include "core/result.h"

namespace hostprobe {

// A program of a skeleton and the skeleton slot that owns its link.
struct BpfProgramSlot {
  bpf_program* program = nullptr;
  bpf_link** link = nullptr;
};

// One hook of a collector: a tracepoint served by a tp_btf program, by its
// raw_tp twin, or by either (see Choose in bpf_loader.cpp), or one program
// that both families load (an iterator).
struct BpfHook {
  // A tracepoint, attached as "tp_btf/<tracepoint>" or "raw_tp/<tracepoint>".
  // Either slot may be empty: a hook that only one family serves.
  static BpfHook Tracepoint(std::string tracepoint, BpfProgramSlot tp_btf, BpfProgramSlot raw_tp);
  // A program loaded whichever family is in use, attached as `attach`.
  static BpfHook Always(std::string attach, BpfProgramSlot program);

  // Loads nothing for this hook when false (a hook only some kernels need).
  BpfHook& Wanted(bool wanted);
  // Whether the kernel has this hook's tp_btf target. When it does not, the
  // raw_tp program serves it even with tp_btf hooks: a tp_btf program is
  // bound to its tracepoint at load time, and one the kernel lacks would
  // fail the whole object.
  BpfHook& TpBtfAvailable(bool available);
  // Instead of falling back to raw_tp when the tp_btf target is missing,
  // load nothing, log "<collector>: <effect>: <reason>" and report the
  // tp_btf program as an optional hook not attached, for `reason`.
  BpfHook& WithoutFallback(std::string effect, std::string reason);

  std::string tracepoint;  // empty for Always
  std::string always_attach;
  BpfProgramSlot tp_btf, raw_tp, always;
  bool wanted = true;
  bool tp_btf_available = true;
  std::string missing_effect, missing_reason;  // WithoutFallback
};

// What one collector loads and attaches.
struct LoadPlan {
  std::string collector;                    // "syscalls": the prefix of every log line and error
  bpf_object_skeleton* skeleton = nullptr;  // opened, not loaded (`<name>_bpf::skeleton`)
  std::vector<BpfHook> hooks;               // in attach order
};

// The outcome of a plan: the family used and one status per hook attached
// or reported missing.
struct LoadedHooks {
  std::string family;  // "tp_btf" or "raw_tp"
  std::vector<HookStatus> hooks;
};

// Sets each hook's programs to load or not, clears BPF_F_NO_PREALLOC where
// the kernel needs preallocated hashes (ConfigureMapAllocation), applies
// HOSTPROBE_TEST_MAX_ENTRIES, loads the object ("load <collector> BPF
// programs (<family>)" on failure), runs `after_load` (e.g. mmap of maps;
// its failure stops there), then attaches each chosen program independently
// (AttachPrograms). Fails when none attached, with the first one's reason.
[[nodiscard]] Result<LoadedHooks> LoadAndAttach(const LoadPlan& plan, bool use_tp_btf,
                                                const BpfFeatures& features,
                                                const std::function<Status()>& after_load = {});

// Moves a successful load into a collector's hook family and statuses.
[[nodiscard]] Status TakeHooks(Result<LoadedHooks> loaded, std::string& family,
                               std::vector<HookStatus>& hooks);

// Opens a skeleton with SkeletonOpenOpts() into `skel`: `open` is the
// generated `<name>_bpf__open_opts`. Fails with "open <collector> BPF object".
template <typename Skel, typename Deleter>
[[nodiscard]] Status OpenSkeleton(const std::string& collector, std::unique_ptr<Skel, Deleter>& skel,
                                  Skel* (*open)(const bpf_object_open_opts*)) {
  skel.reset(open(SkeletonOpenOpts()));
  if (!skel) return Error::FromErrno("open " + collector + " BPF object");
  return Ok{};
}

}  // namespace hostprobe
