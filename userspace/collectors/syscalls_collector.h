// Loads bpf/syscalls.bpf.c, attaches it, and reads its maps into snapshots.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "collectors/bpf_features.h"
#include "collectors/mapped_map.h"
#include "core/collector.h"
#include "core/http_snapshot.h"
#include "core/options.h"
#include "core/result.h"
#include "core/syscall_snapshot.h"

struct syscalls_bpf;  // generated skeleton

namespace hostprobe {

class SyscallsCollector final : public Collector, public SyscallSource, public HttpSource {
 public:
  struct Config {
    HookMode mode = HookMode::kAuto;
    // tp_btf: time calls during windows covering 1/this of the time, each
    // timing counting as this many calls (1: every call, no windows).
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

  // HTTP/1.x maps of hp_sys_exit (tp_btf on x86_64 only; otherwise a
  // snapshot with available = false).
  Result<HttpSnapshot> ReadHttp() override;
  void ForgetHttpCgroups(const std::vector<uint64_t>& ids) override;

  // "tp_btf" or "raw_tp": the hook family actually in use.
  const std::string& hook_family() const { return family_; }

  // tp_btf with latency_sample_every > 1: opens the first latency sampling
  // window and starts the thread that opens and closes the others (attaches
  // and detaches hp_sys_enter). Call it once the process has dropped the
  // capabilities it does not keep: the thread inherits the caller's. A
  // no-op otherwise.
  void StartLatencyWindows();

 private:
  using Clock = std::chrono::steady_clock;

  SyscallsCollector() = default;
  // mmapable: map syscall_hot for reading (BpfFeatures::mmapable_arrays).
  static Result<std::unique_ptr<SyscallsCollector>> StartWith(const Config& config, bool use_tp_btf,
                                                              bool mmapable, const BpfFeatures& features);
  // Between load and attach: maps the counters and histograms for reading
  // in place, or says that they are read entry by entry.
  Status MapCounters(syscalls_bpf* s, bool mmapable);
  // Attaches hp_sys_enter for a window; updates its status and logs when
  // that changes. Returns whether it is attached.
  bool OpenWindow();
  void RunLatencyWindows(Clock::time_point attach_begin, Clock::time_point attach_end, bool open);
  // Sleeps `d`; true when the collector is stopping.
  bool SleepOrStop(std::chrono::nanoseconds d);

  struct SkelDeleter {
    void operator()(syscalls_bpf* s) const;
  };
  std::unique_ptr<syscalls_bpf, SkelDeleter> skel_;  // defined where the skeleton is visible
  std::string family_;
  mutable std::mutex hooks_mu_;  // the window thread updates hp_sys_enter's status
  std::vector<HookStatus> hooks_;

  uint32_t ncpus_ = 0;  // rows of syscall_hot and syscall_latency
  // Both arrays mapped read-only where the kernel allows (nullptr: read by lookups).
  MappedMap hot_map_, latency_map_;
  const hp_syscall_hot* hot_ = nullptr;
  const hp_syscall_latency* latency_ = nullptr;
  uint32_t latency_every_ = 1;
  bool windowed_ = false;   // tp_btf and latency_every_ > 1
  LatencyWindows windows_;  // guarded by hooks_mu_
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by stop_mu_
  std::thread windows_thread_;

  std::mutex merge_mu_;  // ReadSyscalls runs for scrapes and health checks at once
  CgroupCountMerger merger_;

  StallWatch stall_;
};

}  // namespace hostprobe
