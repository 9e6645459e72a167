// The process memory sampler's bookkeeping, without I/O: who each pid is
// between samples (a pid can be reused: its start time tells), what a new
// process is seeded with, when an exec restarts a history, which processes
// exited, the snapshot row of a process, and when a leak verdict is worth a
// log line. The collector (collectors/process_memory_collector.cpp) reads
// /proc and the task iterator and hands the results here.
#pragma once

#include <linux/types.h>  // __u32/__u64 for the shared BPF header

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "../../bpf/process_memory.h"
#include "core/process_memory_snapshot.h"
#include "core/procfs.h"

namespace hostprobe {

// What the sampler remembers of a process between samples.
struct ProcInfo {
  uint64_t start_ticks = 0;  // /proc/<pid>/stat field 22: with the pid, the process's identity
  std::string comm;
  std::string cgroup;
  uint64_t exec_ns = 0;          // the kernel's stamp of the latest exec seen (boot clock), 0 if none
  int64_t exec_ms = 0;           // latest exec on the boot clock, 0: none seen (the start time counts)
  bool kernel_thread = false;    // PF_KTHREAD: no memory of its own, never sampled
  bool suspected = false;        // the detector's verdict at the previous sample
  uint64_t seen_generation = 0;  // the latest sample that listed it
};

// A process whose bookkeeping was dropped while it was suspected of leaking:
// worth a log line.
struct ForgottenSuspect {
  int32_t pid = 0;
  std::string comm;
};

// What a change of leak verdict calls for: a log line on each transition,
// none while the verdict stands.
enum class LeakTransition { kNone, kSuspected, kCleared };
LeakTransition LeakTransitionOf(bool was_suspected, bool suspected);

// A cgroup's processes at one sample.
struct CgroupSum {
  uint64_t judged = 0;
  int32_t pid = 0;  // one of its processes (for its v1 memory cgroup)
  int64_t oldest_start_ms = 0;
};

// The processes known between samples, by pid. Not thread-safe: the
// sampler's own.
class ProcessBook {
 public:
  ProcessBook(uint64_t ticks_per_second, uint64_t page_size);

  // Starts a sample: every process it does not list (MarkSeen) is forgotten
  // by ForgetUnseen.
  void BeginSample() { ++generation_; }

  // What it takes to know who `pid` is now. `record` is the task iterator's
  // record of the pid (nullptr: none), `from_kernel` whether the iterator was
  // read at this sample at all.
  enum class Identity {
    kKnown,    // the process known: its record carries the same start time (or it is a known kernel thread)
    kRecheck,  // known pid, unconfirmed: read /proc/<pid>/stat and call Recheck
    kNew,      // unknown pid: read /proc/<pid>/stat and call Seed
  };
  Identity Identify(int32_t pid, const hp_proc_mem* record, bool from_kernel) const;

  // After kRecheck, with the parsed stat (nullopt: it could not be parsed).
  struct Recheck {
    bool reused = false;               // another process has the pid now: Seed it
    bool exec_without_kernel = false;  // same process, new comm: taken for an exec (no exec stamp)
  };
  Recheck CheckStat(int32_t pid, const std::optional<PidStat>& stat) const;

  // A process seen for the first time (or under a reused pid), from its
  // stat; the exec stamp of its record is taken when the record is its own.
  // Replaces what was known of the pid. The names are the caller's to fill
  // in (not for kernel threads).
  ProcInfo& Seed(int32_t pid, const PidStat& stat, const hp_proc_mem* record);

  // Marks `pid` listed by this sample; nullptr when it is not known.
  ProcInfo* MarkSeen(int32_t pid);
  ProcInfo* Find(int32_t pid);

  // Whether `record` is this process's own (its start time matches).
  bool OwnRecord(const ProcInfo& info, const hp_proc_mem* record) const;

  // An exec under the same pid: a new kernel stamp (a stamp gone, by an LRU
  // eviction, is not one), or else a new comm without the exec program
  // (`exec_without_kernel`, at `now_ms`). True when the history restarts and
  // the names must be read again.
  bool ApplyExec(ProcInfo& info, const hp_proc_mem* own_record, bool exec_without_kernel,
                 int64_t now_ms) const;

  // Where the process's leak history starts: its latest exec, else its start.
  int64_t HistoryStartMs(const ProcInfo& info) const;
  int64_t StartMs(const ProcInfo& info) const;

  // The snapshot row of a process, from its own record or, without one,
  // from /proc/<pid>/status.
  ProcessMemory Row(int32_t pid, const ProcInfo& info, const hp_proc_mem* own_record,
                    const PidStatusMemory* status) const;

  // Adds a row to its cgroup's sum (rows without a cgroup are not summed).
  void AddToCgroup(std::map<std::string, CgroupSum>& sums, const ProcessMemory& row,
                   const ProcInfo& info) const;

  // Drops one process (gone, or going); returns it when it was a suspect.
  std::optional<ForgottenSuspect> Forget(int32_t pid);
  // Drops every process this sample did not list; returns the suspects among them.
  std::vector<ForgottenSuspect> ForgetUnseen();

  // Records the verdict on a known process and says whether to log it.
  LeakTransition Judge(ProcInfo& info, bool suspected) const;

  size_t size() const { return procs_.size(); }
  // Memory the bookkeeping holds (entries and their strings), approximately.
  size_t MemoryBytes() const;

 private:
  uint64_t ticks_per_second_;
  uint64_t ns_per_tick_;
  uint64_t page_size_;
  uint64_t generation_ = 0;
  std::unordered_map<int32_t, ProcInfo> procs_;
};

}  // namespace hostprobe
