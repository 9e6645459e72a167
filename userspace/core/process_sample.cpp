#include "core/process_sample.h"

#include <algorithm>
#include <utility>

namespace hostprobe {

LeakTransition LeakTransitionOf(bool was_suspected, bool suspected) {
  if (suspected && !was_suspected) return LeakTransition::kSuspected;
  if (!suspected && was_suspected) return LeakTransition::kCleared;
  return LeakTransition::kNone;
}

ProcessBook::ProcessBook(uint64_t ticks_per_second, uint64_t page_size)
    : ticks_per_second_(ticks_per_second > 0 ? ticks_per_second : 100),
      ns_per_tick_(1'000'000'000ull / ticks_per_second_),
      page_size_(page_size) {}

bool ProcessBook::OwnRecord(const ProcInfo& info, const hp_proc_mem* record) const {
  return record != nullptr && record->start_boottime / ns_per_tick_ == info.start_ticks;
}

ProcessBook::Identity ProcessBook::Identify(int32_t pid, const hp_proc_mem* record, bool from_kernel) const {
  auto it = procs_.find(pid);
  if (it == procs_.end()) return Identity::kNew;
  const ProcInfo& info = it->second;
  // A kernel record carries the process's start time: when it matches, the
  // process is the one known.
  if (OwnRecord(info, record)) return Identity::kKnown;
  // The iterator skips kernel threads: one it did not list is still the one known.
  if (from_kernel && record == nullptr && info.kernel_thread) return Identity::kKnown;
  // Otherwise (/proc/<pid>/status, a process the iterator did not see, a
  // reused pid, or a --procfs of another pid namespace) stat tells.
  return Identity::kRecheck;
}

ProcessBook::Recheck ProcessBook::CheckStat(int32_t pid, const std::optional<PidStat>& stat) const {
  Recheck r;
  auto it = procs_.find(pid);
  if (it == procs_.end()) return {true, false};
  const ProcInfo& info = it->second;
  r.reused = !stat || stat->start_ticks != info.start_ticks;
  // Without the exec tracepoint a new comm is the sign of an exec (or of a
  // process renaming itself, which restarts its history too).
  r.exec_without_kernel = !r.reused && !info.kernel_thread && stat->comm != info.comm;
  return r;
}

ProcInfo& ProcessBook::Seed(int32_t pid, const PidStat& stat, const hp_proc_mem* record) {
  ProcInfo info;
  info.start_ticks = stat.start_ticks;
  info.comm = stat.comm;
  info.kernel_thread = (stat.flags & kPfKthread) != 0;
  if (OwnRecord(info, record) && record->exec_ns != 0) {
    info.exec_ns = record->exec_ns;
    info.exec_ms = static_cast<int64_t>(record->exec_ns / 1'000'000);
  }
  return procs_.insert_or_assign(pid, std::move(info)).first->second;
}

ProcInfo* ProcessBook::Find(int32_t pid) {
  auto it = procs_.find(pid);
  return it == procs_.end() ? nullptr : &it->second;
}

ProcInfo* ProcessBook::MarkSeen(int32_t pid) {
  ProcInfo* info = Find(pid);
  if (info != nullptr) info->seen_generation = generation_;
  return info;
}

bool ProcessBook::ApplyExec(ProcInfo& info, const hp_proc_mem* own_record, bool exec_without_kernel,
                            int64_t now_ms) const {
  if (own_record != nullptr && own_record->exec_ns != info.exec_ns && own_record->exec_ns != 0) {
    info.exec_ns = own_record->exec_ns;
    info.exec_ms = static_cast<int64_t>(own_record->exec_ns / 1'000'000);
    return true;
  }
  if (exec_without_kernel) {
    info.exec_ms = now_ms;
    return true;
  }
  return false;
}

int64_t ProcessBook::StartMs(const ProcInfo& info) const {
  return static_cast<int64_t>(info.start_ticks * 1000 / ticks_per_second_);
}

int64_t ProcessBook::HistoryStartMs(const ProcInfo& info) const {
  return info.exec_ms != 0 ? info.exec_ms : StartMs(info);
}

ProcessMemory ProcessBook::Row(int32_t pid, const ProcInfo& info, const hp_proc_mem* own_record,
                               const PidStatusMemory* status) const {
  ProcessMemory m;
  m.pid = pid;
  m.comm = info.comm;
  m.cgroup = info.cgroup;
  m.types_known = true;
  if (own_record != nullptr) {
    m.anon_bytes = own_record->anon_pages * page_size_;
    m.file_bytes = own_record->file_pages * page_size_;
    m.shmem_bytes = own_record->shmem_pages * page_size_;
    m.swap_bytes = own_record->swap_pages * page_size_;
    m.data_bytes = own_record->data_pages * page_size_;
    m.brk_heap_bytes = own_record->brk_bytes;
  } else if (status != nullptr) {
    m.anon_bytes = status->anon_bytes;
    m.file_bytes = status->file_bytes;
    m.shmem_bytes = status->shmem_bytes;
    m.swap_bytes = status->swap_bytes;
    m.data_bytes = status->data_bytes;
  }
  m.rss_bytes = m.anon_bytes + m.file_bytes + m.shmem_bytes;
  m.judged_bytes = m.anon_bytes + m.shmem_bytes + m.swap_bytes;
  return m;
}

void ProcessBook::AddToCgroup(std::map<std::string, CgroupSum>& sums, const ProcessMemory& row,
                              const ProcInfo& info) const {
  if (row.cgroup.empty()) return;
  CgroupSum& sum = sums[row.cgroup];
  sum.judged += row.judged_bytes;
  sum.pid = row.pid;
  const int64_t start_ms = StartMs(info);
  sum.oldest_start_ms = sum.oldest_start_ms == 0 ? start_ms : std::min(sum.oldest_start_ms, start_ms);
}

std::optional<ForgottenSuspect> ProcessBook::Forget(int32_t pid) {
  auto it = procs_.find(pid);
  if (it == procs_.end()) return std::nullopt;
  std::optional<ForgottenSuspect> out;
  if (it->second.suspected) out = ForgottenSuspect{pid, it->second.comm};
  procs_.erase(it);
  return out;
}

std::vector<ForgottenSuspect> ProcessBook::ForgetUnseen() {
  std::vector<ForgottenSuspect> suspects;
  for (auto it = procs_.begin(); it != procs_.end();) {
    if (it->second.seen_generation == generation_) {
      ++it;
      continue;
    }
    if (it->second.suspected) suspects.push_back({it->first, it->second.comm});
    it = procs_.erase(it);
  }
  return suspects;
}

LeakTransition ProcessBook::Judge(ProcInfo& info, bool suspected) const {
  const LeakTransition t = LeakTransitionOf(info.suspected, suspected);
  info.suspected = suspected;
  return t;
}

size_t ProcessBook::MemoryBytes() const {
  size_t bytes = 0;
  for (const auto& [pid, info] : procs_)
    bytes += sizeof(std::pair<const int32_t, ProcInfo>) + 2 * sizeof(void*) + info.comm.capacity() +
             (info.cgroup.capacity() > 15 ? info.cgroup.capacity() : 0);
  return bytes;
}

}  // namespace hostprobe
