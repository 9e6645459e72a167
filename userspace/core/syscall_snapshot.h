// Plain snapshot of the syscall collector's kernel maps, summed over CPUs.
// Produced by the BPF side, turned into metrics by pure functions.
#pragma once

#include <linux/types.h>  // __u32/__u64 for the shared BPF header

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

#include "../../bpf/syscalls.h"
#include "result.h"

namespace hostprobe {

struct SyscallCounts {
  uint32_t id = 0;
  uint64_t calls = 0;
  uint64_t errors = 0;
  uint64_t latency_sum_ns = 0;
  std::array<uint64_t, HP_LATENCY_SLOTS> latency_slots{};
};

struct SyscallErrnoCount {
  uint32_t syscall_id = 0;
  uint32_t errno_value = 0;
  uint64_t count = 0;
};

struct CgroupSyscallCounts {
  uint64_t cgroup_id = 0;
  uint64_t calls = 0;
  uint64_t errors = 0;
};

// Latency sampling windows (tp_btf, --syscall-latency-sample N > 1): the
// sys_enter program is attached only during short windows, 1/N of the time.
struct LatencyWindows {
  bool enabled = false;          // false: sys_enter always attached (or raw_tp)
  double attached_seconds = 0;   // total time sys_enter was attached so far
  uint64_t windows = 0;          // windows completed
  uint64_t attach_failures = 0;  // windows that could not open
};

struct SyscallSnapshot {
  std::vector<SyscallCounts> syscalls;  // only ids that were called
  std::vector<SyscallErrnoCount> errnos;
  std::vector<CgroupSyscallCounts> cgroups;
  std::array<uint64_t, HP_STAT__COUNT> self_stats{};  // indexed by hp_syscall_self_stat
  LatencyWindows latency_windows;
};

// Id of the slot that collects syscall numbers with no slot of their own.
inline constexpr uint32_t kSyscallOutOfRangeSlot = HP_MAX_SYSCALLS - 1;
// Slots from this one up to kSyscallOutOfRangeSlot hold 32-bit compat calls
// (x86_64's ia32 entry), at this plus their i386 number.
inline constexpr uint32_t kSyscallCompatSlotBase = HP_COMPAT_SLOT_BASE;

// One reading of a (CPU, syscall) entry's pending batch, between two
// readings of its batch_seq.
struct PendingBatchRead {
  uint32_t seq_before = 0;
  CgroupSyscallCounts batch;
  uint32_t seq_after = 0;
};

// How often a pending batch is read again when a flush overlapped the reading.
inline constexpr int kPendingBatchTries = 4;

// The kernel flushes a batch (into the per-cgroup map) and starts the next
// one, of another cgroup, while userspace reads it in place; a reading that
// overlaps a flush may pair one batch's count with the next one's cgroup.
// Returns the batch of the first of up to `tries` readings that no flush
// overlapped (batch_seq even and unchanged); nullopt when every one did: the
// caller leaves that batch out, which keeps the read at most the truth (its
// calls reach the per-cgroup map and a later read).
std::optional<CgroupSyscallCounts> ReadPendingBatch(const std::function<PendingBatchRead()>& read,
                                                    int tries = kPendingBatchTries);

// Per-cgroup syscall counts are what the kernel flushed into its per-cgroup
// map plus calls still pending in per-CPU batches. Reading the map first and
// the batches second (each batch whole: ReadPendingBatch), a batch flushed in
// between is seen in neither read, so each read is at most the truth, never
// more. The merger sums the two parts
// and keeps, per cgroup, the largest figure seen: a counter that never goes
// down and is at most one read behind.
class CgroupCountMerger {
 public:
  // Every cgroup seen since it was last forgotten, by id, with its counts.
  std::vector<CgroupSyscallCounts> Merge(const std::vector<CgroupSyscallCounts>& flushed,
                                         const std::vector<CgroupSyscallCounts>& pending);
  // Cgroups removed from the host: forget them, counts and all.
  void Forget(const std::vector<uint64_t>& ids);
  size_t size() const { return floor_.size(); }

 private:
  std::unordered_map<uint64_t, CgroupSyscallCounts> floor_;
};

// Length of a latency sampling window: long enough that attaching and
// detaching (a fraction of a millisecond each) are small beside it, short
// enough that a window is a brief sample of the host's calls.
inline constexpr std::chrono::milliseconds kLatencyWindow{20};

// How long to leave the sys_enter program detached after a window that was
// attached for `open`, with `every` = --syscall-latency-sample and `u`
// uniform in [0, 1): uniform in [0, 2 (every - 1) open). Windows then cover
// 1/every of the time on average, and start at random moments, so that a
// workload with a period of its own is not always inside or always outside
// them. every <= 1: 0 (always attached).
std::chrono::nanoseconds LatencyWindowGap(uint32_t every, std::chrono::nanoseconds open, double u);

// Implemented by the eBPF collector, faked in tests.
class SyscallSource {
 public:
  virtual ~SyscallSource() = default;
  virtual Result<SyscallSnapshot> ReadSyscalls() = 0;
  // Drops the kernel's per-cgroup counts of cgroups that no longer exist.
  virtual void ForgetCgroups(const std::vector<uint64_t>& ids) = 0;
};

}  // namespace hostprobe
