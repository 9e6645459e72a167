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
#include "core/result.h"

struct process_memory_bpf;  // generated skeleton

namespace hostprobe {

// One live process at the latest sample.
struct ProcessMemory {
  int32_t pid = 0;
  std::string comm;    // raw, as the kernel has it: may hold any byte
  std::string cgroup;  // cgroup v2 path from /proc/<pid>/cgroup; empty without one
  uint64_t rss_bytes = 0;
  uint64_t anon_bytes = 0;
  // With types_known (both sources), file and shmem apart; without (a
  // source that cannot tell them apart, as statm), file_bytes is file +
  // shmem and shmem_bytes is 0.
  uint64_t file_bytes = 0;
  uint64_t shmem_bytes = 0;
  uint64_t swap_bytes = 0;  // swapped-out anonymous memory
  bool types_known = false;
  // What the leak detector judges: anon + shmem + swap, memory only the
  // process's own growth adds (file-backed pages come and go with the page
  // cache; leaked pages that go to swap still count).
  uint64_t judged_bytes = 0;
  uint64_t data_bytes = 0;                 // statm "data", VmData + VmStk: data_vm + stack_vm
  std::optional<uint64_t> brk_heap_bytes;  // brk - start_brk; task iterator only
  bool leak_suspected = false;
  double growth_bytes_per_second = 0;  // the detector's floor slope, when suspected
  // Suspects only: the nearest limit that would kill it, and the seconds
  // until its growth fills what is left of it (nullopt: not growing).
  std::optional<MemoryHeadroom> headroom;
  std::optional<double> exhaustion_seconds;
};

// The processes of one cgroup (the unit Kubernetes kills) judged together.
struct CgroupMemory {
  std::string cgroup;  // v2 path
  // Its own anonymous memory (anon + shmem + swap charged to it) where the
  // v2 memory controller is on for it, else the sum of its processes'
  // judged memory (see from_cgroup).
  uint64_t judged_bytes = 0;
  bool from_cgroup = false;
  bool leak_suspected = false;
  double growth_bytes_per_second = 0;
  std::optional<MemoryHeadroom> headroom;  // suspects only
  std::optional<double> exhaustion_seconds;
};

struct ProcessMemorySnapshot {
  bool sampled = false;                  // false until the first sample completes
  std::vector<ProcessMemory> processes;  // every process with memory (no kernel threads), by pid
  std::vector<CgroupMemory> cgroups;     // every cgroup with a process, by path
  bool rss_from_ebpf = false;            // resident figures from the task iterator, else /proc/<pid>/status
  bool data_from_ebpf = false;           // data and brk figures from the task iterator, else status
  uint64_t samples = 0;                  // completed samples
  uint64_t vanished = 0;                 // processes gone between listing and reading (ENOENT/ESRCH)
  uint64_t read_errors = 0;              // other failed reads of a process's files, or of the iterator
  double last_sample_seconds = 0;        // wall time of the latest sample
  size_t tracked = 0;                    // processes with a leak history
  size_t tracker_bytes = 0;              // memory held for them (histories and bookkeeping)
  bool state_kept = false;               // --state-dir is in use
  size_t state_restored = 0;             // processes whose history came back from --state-dir at start
  size_t state_restored_cgroups = 0;     // cgroups whose history came back (when seen again)
  uint64_t state_saves = 0, state_save_failures = 0;
  std::array<uint64_t, HP_PM_STAT__COUNT> self_stats{};  // indexed by hp_process_memory_self_stat
};

// The records a read of the task iterator returned (hp_mem_iter in
// bpf/process_memory.bpf.c), by pid. When a group's leader has exited, each
// of its other threads writes the group's record: the first is kept. Fails on
// a trailing partial record or a pid that cannot be one.
Result<std::unordered_map<uint32_t, hp_proc_mem>> ParseMemoryRecords(std::string_view bytes);

// Implemented by ProcessMemoryCollector, faked in tests of the exporter.
class ProcessMemorySource {
 public:
  virtual ~ProcessMemorySource() = default;
  // The latest sample; never walks /proc. Cheap: a shared pointer copy.
  virtual std::shared_ptr<const ProcessMemorySnapshot> ProcessMemorySample() = 0;
};

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
  // What the sampler remembers of a process between samples.
  struct ProcInfo {
    uint64_t start_ticks = 0;  // /proc/<pid>/stat field 22: with the pid, the process's identity
    std::string comm;
    std::string cgroup;
    uint64_t exec_ns = 0;          // the kernel's stamp of the latest exec seen (boot clock), 0 if none
    int64_t exec_ms = 0;           // latest exec on the boot clock, 0: none seen (the start time counts)
    bool kernel_thread = false;    // PF_KTHREAD: no memory of its own, never sampled
    bool suspected = false;        // the detector's verdict at the previous sample
    uint64_t seen_generation = 0;  // generation_ of the latest sample that listed it
  };
  explicit ProcessMemoryCollector(const Config& config);
  // Opens, loads and attaches the iterator and the exec stamp programs of
  // one hook family.
  Status LoadBpf(bool use_tp_btf, const BpfFeatures& features);
  void Run();
  void SampleOnce();
  // A cgroup's processes at one sample.
  struct CgroupSum {
    uint64_t judged = 0;
    int32_t pid = 0;  // one of its processes (for its v1 memory cgroup)
    int64_t oldest_start_ms = 0;
  };
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
  uint64_t page_size_ = 4096;
  uint64_t ticks_per_second_ = 100;
  int64_t started_ms_ = 0;  // CLOCK_BOOTTIME at start

  // Sampler state: touched only by the sampler thread (and by StartSampling
  // and the destructor, before and after it runs).
  LeakTracker tracker_;
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
  std::unordered_map<int32_t, ProcInfo> procs_;
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
