// Loads bpf/process_events.bpf.c (crashes, OOM kills, execs per cgroup) and
// reads its maps into snapshots.
#pragma once

#include <linux/types.h>  // __u32/__u64 for the shared BPF header

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../../bpf/process_events.h"
#include "collectors/bpf_features.h"
#include "core/cgroup.h"
#include "core/collector.h"
#include "core/options.h"
#include "core/process_events_snapshot.h"
#include "core/result.h"

struct process_events_bpf;  // generated skeleton

namespace hostprobe {

// What the kernel's BTF says about the hooks this collector uses.
struct ProcessEventsKernel {
  bool exit_exec_tp_btf = false;        // btf_trace_sched_process_{exit,exec} exist
  bool mark_victim_tp_btf = false;      // btf_trace_mark_victim exists
  bool mark_victim_has_task = true;     // its first argument is a task_struct* (else a pid)
  bool signal_generate_tp_btf = false;  // btf_trace_signal_generate exists
  std::string Describe() const;
};

// Reads /sys/kernel/btf/vmlinux. Without BTF every field keeps its default
// except the tp_btf ones, which are false.
ProcessEventsKernel ProbeProcessEventsKernel();

// Thread-safe: the maps are read with syscalls; nothing else changes after Start.
class ProcessEventsCollector final : public Collector, public ProcessEventsSource, public CgroupNameSource {
 public:
  // Opens, configures, loads and attaches, probing the kernel's BTF first.
  // Fails when the object cannot be loaded or no program attached; a
  // program that did not attach is reported by hooks() and health().
  static Result<std::unique_ptr<ProcessEventsCollector>> Start(HookMode mode, const BpfFeatures& features);
  static Result<std::unique_ptr<ProcessEventsCollector>> Start(HookMode mode, const BpfFeatures& features,
                                                               const ProcessEventsKernel& kernel);
  ~ProcessEventsCollector() override;
  ProcessEventsCollector(const ProcessEventsCollector&) = delete;
  ProcessEventsCollector& operator=(const ProcessEventsCollector&) = delete;

  std::string name() const override { return "process_events"; }
  std::vector<HookStatus> hooks() const override { return hooks_; }
  // Attached and the maps can be read. Crashes and OOM kills are rare, so a
  // quiet collector is no evidence of a fault.
  CollectorHealth health() override;

  Result<ProcessEventsSnapshot> ReadProcessEvents() override;
  void ForgetCgroups(const std::vector<uint64_t>& ids) override;
  std::optional<LearnedCgroup> LookupCgroupName(uint64_t cgroup_id) override;
  const std::string& hook_family() const { return family_; }

 private:
  ProcessEventsCollector() = default;
  static Result<std::unique_ptr<ProcessEventsCollector>> StartWith(bool use_tp_btf,
                                                                   const ProcessEventsKernel& kernel,
                                                                   const BpfFeatures& features);

  struct SkelDeleter {
    void operator()(process_events_bpf* s) const;
  };
  std::unique_ptr<process_events_bpf, SkelDeleter> skel_;
  std::string family_;
  std::vector<HookStatus> hooks_;
};

}  // namespace hostprobe
