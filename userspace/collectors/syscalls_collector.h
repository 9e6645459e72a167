// Loads bpf/syscalls.bpf.c, attaches it, and reads its maps into snapshots.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "collectors/bpf_features.h"
#include "core/collector.h"
#include "core/options.h"
#include "core/result.h"
#include "core/syscall_snapshot.h"

struct syscalls_bpf;  // generated skeleton

namespace hostprobe {

class SyscallsCollector final : public Collector, public SyscallSource {
 public:
  struct Config {
    HookMode mode = HookMode::kAuto;
    // tp_btf: time one call in this many of a hot syscall (1: every call).
    uint32_t latency_sample_every = 1;
  };

  // Opens, configures, loads and attaches. Fails when the object cannot be
  // loaded at all; a program that loads but does not attach is reported by
  // hooks() and health() instead, and the rest keeps running.
  static Result<std::unique_ptr<SyscallsCollector>> Start(const Config& config, const BpfFeatures& features);
  ~SyscallsCollector() override;
  SyscallsCollector(const SyscallsCollector&) = delete;
  SyscallsCollector& operator=(const SyscallsCollector&) = delete;

  std::string name() const override { return "syscalls"; }
  std::vector<HookStatus> hooks() const override;
  CollectorHealth health() override;

  Result<SyscallSnapshot> ReadSyscalls() override;
  void ForgetCgroups(const std::vector<uint64_t>& ids) override;

  // "tp_btf" or "raw_tp": the hook family actually in use.
  const std::string& hook_family() const { return family_; }

 private:
  SyscallsCollector() = default;
  static Result<std::unique_ptr<SyscallsCollector>> StartWith(const Config& config, bool use_tp_btf);

  struct SkelDeleter {
    void operator()(syscalls_bpf* s) const;
  };
  std::unique_ptr<syscalls_bpf, SkelDeleter> skel_;  // defined where the skeleton is visible
  std::string family_;
  std::vector<HookStatus> hooks_;

  std::mutex merge_mu_;  // ReadSyscalls runs for scrapes and health checks at once
  CgroupCountMerger merger_;

  std::mutex health_mu_;
  uint64_t last_total_calls_ = 0;
};

}  // namespace hostprobe
