// Per-process memory for every process on the host, sampled in the
// background, and the leak detector's verdict on each. Loads
// bpf/process_memory.bpf.c, whose task iterator reads every process's memory
// by type from its mm at each sample (nothing runs on a page fault), and
// falls back to /proc/<pid>/status, one file per process per sample, where the
// kernel cannot run the iterator, or with --process-memory-source procfs.
#pragma once

#include <linux/types.h>  // __u32/__u64 for the shared BPF header

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "../../bpf/process_memory.h"
#include "collectors/bpf_features.h"
#include "collectors/leak_state_store.h"
#include "collectors/memory_limit_reader.h"
#include "core/collector.h"
#include "core/leak_detector.h"
#include "core/options.h"
#include "core/process_memory_snapshot.h"
#include "core/process_sample.h"
#include "core/result.h"

struct process_memory_bpf;  // generated skeleton

namespace hostprobe {

// The records a read of the task iterator returned (hp_mem_iter in
// bpf/process_memory.bpf.c), by pid. When a group's leader has exited, each
// of its other threads writes the group's record: the first is kept. Fails on
// a trailing partial record or a pid that cannot be one.
Result<std::unordered_map<uint32_t, hp_proc_mem>> ParseMemoryRecords(std::string_view bytes);

// Thread-safe. Owns one background thread that samples every interval.
class ProcessMemoryCollector final : public Collector, public ProcessMemorySource {
 public:
  struct Config {
    std::string procfs = "/proc";
    std::chrono::milliseconds sample_interval{10'000};
    std::chrono::milliseconds leak_window{1'800'000};
    MemorySource source = MemorySource::kAuto;
    HookMode hook_mode = HookMode::kAuto;
    std::string state_dir;     // --state-dir: leak histories kept across restarts; empty: not kept
    std::string cgroup2_root;  // the v2 tree, to find a suspect's memory limit ("" if none)
  };

  // Loads the eBPF programs unless the source is procfs, and reads the
  // iterator once. Fails when the source is ebpf and they cannot be loaded
  // or read, or when the leak detector rejects the interval and window; with
  // auto a failure falls back to /proc/<pid>/status and says so in the log
  // and, as a hook not attached, in /healthz (degraded).
  static Result<std::unique_ptr<ProcessMemoryCollector>> Start(const Config& config,
                                                               const BpfFeatures& features);
  // Starts the sampling thread. Separate from Start() so the caller can drop
  // capabilities first: a thread keeps the sets it was started with.
  void StartSampling();
  ~ProcessMemoryCollector() override;
  ProcessMemoryCollector(const ProcessMemoryCollector&) = delete;
  ProcessMemoryCollector& operator=(const ProcessMemoryCollector&) = delete;

  std::string name() const override { return "process_memory"; }
  std::vector<HookStatus> hooks() const override { return hooks_; }
  // Samples are fresh (the latest within three intervals) and, with eBPF,
  // the maps and the latest sample's iterator could be read. A hook covered
  // by the status fallback does not make it unhealthy: the figure is still
  // right, only dearer.
  CollectorHealth health() override;

  std::shared_ptr<const ProcessMemorySnapshot> ProcessMemorySample() override;
  const std::string& hook_family() const { return family_; }

 private:
  explicit ProcessMemoryCollector(const Config& config);
  // Opens, loads and attaches the iterator and the exec stamp programs of
  // one hook family.
  Status LoadBpf(bool use_tp_btf, const BpfFeatures& features);
  void Run();
  void SampleOnce();
  // The parts of a sample that read the system; the bookkeeping is book_'s.
  bool ReadKernelRecords(std::unordered_map<uint32_t, hp_proc_mem>& kernel);
  std::vector<int32_t> ListPids();
  void SampleProcess(int32_t pid, const hp_proc_mem* record, bool from_kernel, int64_t now_ms,
                     std::map<std::string, CgroupSum>& sums, ProcessMemorySnapshot& snap);
  void Forget(int32_t pid);
  static void LogExitedSuspect(const ForgottenSuspect& s);
  // Judges every process sampled and logs each change of verdict.
  void JudgeProcesses(int64_t now_ms, ProcessMemorySnapshot& snap);
  // Judges every cgroup with a process as a unit and adds them to `snap`.
  void JudgeCgroups(const std::map<std::string, CgroupSum>& sums, int64_t now_ms,
                    ProcessMemorySnapshot& snap);
  static void ReadNames(const std::string& dir, ProcInfo& info);

  struct SkelDeleter {
    void operator()(process_memory_bpf* s) const;
  };
  const Config config_;
  const LeakParams params_;
  std::unique_ptr<process_memory_bpf, SkelDeleter> skel_;
  std::string family_ = "none";
  std::vector<HookStatus> hooks_;
  bool rss_from_ebpf_ = false;
  bool data_from_ebpf_ = false;
  int64_t started_ms_ = 0;  // CLOCK_BOOTTIME at start

  // Sampler state: touched only by the sampler thread (and by StartSampling
  // and the destructor, before and after it runs).
  LeakTracker tracker_;
  ProcessBook book_;  // the processes known between samples
  std::unique_ptr<LeakStateStore> state_;
  std::unique_ptr<LeakStateStore> cgroup_state_;  // the cgroups' histories, by directory inode
  // Saved cgroup histories not yet matched to a cgroup seen again, by inode.
  std::unordered_map<uint64_t, LeakStateEntry> cgroup_restore_;
  size_t cgroups_restored_ = 0;
  MemoryLimitReader limits_;
  // Cgroups judged as units: a small id per path for their own tracker.
  struct CgroupTrack {
    int32_t id = 0;
    uint64_t inode = 0;    // of its directory: with the boot id, its identity across restarts (0: unknown)
    int64_t birth_ms = 0;  // its oldest process's start when first seen (its warm-up starts there)
    bool suspected = false;
    uint64_t seen_generation = 0;
  };
  LeakTracker cgroup_tracker_;
  std::unordered_map<std::string, CgroupTrack> cgroups_;
  std::unordered_map<int32_t, std::string> cgroup_paths_;
  int32_t next_cgroup_id_ = 1;
  uint64_t samples_ = 0, vanished_ = 0, read_errors_ = 0;
  uint64_t generation_ = 0;
  std::string iter_bytes_;  // the latest read of the iterator (kept: its capacity is reused)

  std::mutex mu_;  // guards latest_, stop_, iter_error_
  std::condition_variable wake_;
  bool stop_ = false;
  std::shared_ptr<const ProcessMemorySnapshot> latest_;
  std::string iter_error_;  // why the latest sample could not read the iterator; empty when it could
  std::atomic<int64_t> last_sample_ms_{0};  // CLOCK_BOOTTIME of the latest sample, 0 before the first
  std::thread thread_;
};

}  // namespace hostprobe
