#include "collectors/process_memory_collector.h"

#include <bpf/btf.h>
#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "collectors/bpf_loader.h"
#include "collectors/bpf_util.h"
#include "collectors/libbpf_log.h"
#include "core/duration.h"
#include "core/process_sample.h"
#include "core/procfs.h"
#include "process_memory.skel.h"

namespace hostprobe {

static_assert(sizeof(hp_proc_mem) == 72);  // no padding: the same bytes on both sides

namespace {

constexpr const char* kName = "process_memory";

// What the kernel's BTF offers this collector.
struct MemoryKernel {
  bool btf = false;        // vmlinux BTF could be read
  bool tp_btf = false;     // btf_trace_{sched_process_exec,sched_process_exit} exist
  bool task_iter = false;  // the BPF task iterator (bpf_iter_task, Linux 5.8)
};

MemoryKernel ProbeMemoryKernel() {
  MemoryKernel k;
  btf* vmlinux = btf__load_vmlinux_btf();
  if (vmlinux == nullptr) return k;
  k.btf = true;
  k.tp_btf = true;
  for (const char* tp : {"btf_trace_sched_process_exec", "btf_trace_sched_process_exit"})
    k.tp_btf = k.tp_btf && btf__find_by_name_kind(vmlinux, tp, BTF_KIND_TYPEDEF) >= 0;
  k.task_iter = btf__find_by_name_kind(vmlinux, "bpf_iter_task", BTF_KIND_FUNC) >= 0;
  btf__free(vmlinux);
  return k;
}

// Every program of the object, none attached, for a collector that loaded none.
std::vector<HookStatus> NotLoaded(const std::string& why) {
  return {{"hp_mem_iter", "iter/task", false, why},
          {"hp_mem_exec", "sched_process_exec", false, why},
          {"hp_mem_exit", "sched_process_exit", false, why}};
}

int64_t BootMs() {
  timespec ts{};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

// A whole small /proc file. The error keeps errno so a process that exited
// between listing and reading (ENOENT, or ESRCH from a file of a dying task)
// can be told from a real failure.
Result<std::string> ReadSmallFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::FromErrno("open " + path);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      return Error::FromErrno("read " + path, e);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

uint64_t SysconfOr(int name, uint64_t fallback) {
  const long v = sysconf(name);
  return v > 0 ? static_cast<uint64_t>(v) : fallback;
}

bool Vanished(const Error& e) { return e.err == ENOENT || e.err == ESRCH; }

// For log lines: a comm may hold control bytes.
std::string Printable(std::string s) {
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return s;
}

std::string HumanBytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  size_t u = 0;
  while (bytes >= 1024 && u + 1 < std::size(units)) {
    bytes /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f %s", bytes, units[u]);
  return buf;
}

// Everything a new iterator of `link_fd` writes, appended to `out`. A read
// returns whole records (the kernel runs the program for the next task only
// while its buffer has room, and never splits one program run's output), up
// to a few pages at a time.
Status ReadIterator(int link_fd, std::string& out) {
  int fd = bpf_iter_create(link_fd);
  if (fd < 0) return Error::FromErrno("bpf_iter_create");
  char buf[32 * 1024];
  int again = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      // EAGAIN: a million tasks walked in one read without a record.
      if (errno == EINTR || (errno == EAGAIN && ++again < 100)) continue;
      int e = errno;
      close(fd);
      return Error::FromErrno("read task iterator", e);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return Ok{};
}

}  // namespace

Result<std::unordered_map<uint32_t, hp_proc_mem>> ParseMemoryRecords(std::string_view bytes) {
  if (bytes.size() % sizeof(hp_proc_mem) != 0)
    return Error{"task iterator: " + std::to_string(bytes.size()) + " bytes is not a whole number of " +
                     std::to_string(sizeof(hp_proc_mem)) + "-byte records",
                 EINVAL};
  std::unordered_map<uint32_t, hp_proc_mem> out;
  out.reserve(bytes.size() / sizeof(hp_proc_mem));
  for (size_t at = 0; at < bytes.size(); at += sizeof(hp_proc_mem)) {
    hp_proc_mem r;
    std::memcpy(&r, bytes.data() + at, sizeof(r));
    if (r.tgid == 0 || r.tgid > static_cast<uint32_t>(INT32_MAX))
      return Error{"task iterator: record with pid " + std::to_string(r.tgid), EINVAL};
    out.emplace(r.tgid, r);  // threads of a group whose leader exited write one each: the first stays
  }
  return out;
}

void ProcessMemoryCollector::SkelDeleter::operator()(process_memory_bpf* s) const {
  process_memory_bpf__destroy(s);
}

ProcessMemoryCollector::ProcessMemoryCollector(const Config& config)
    : config_(config),
      params_(LeakParams::For(config.sample_interval, config.leak_window)),
      tracker_(LeakScalesFor(config.sample_interval, config.leak_window)),
      book_(SysconfOr(_SC_CLK_TCK, 100), SysconfOr(_SC_PAGESIZE, 4096)),
      limits_(config.procfs, config.cgroup2_root),
      cgroup_tracker_(LeakScalesFor(config.sample_interval, config.leak_window)) {}

Result<std::unique_ptr<ProcessMemoryCollector>> ProcessMemoryCollector::Start(const Config& config,
                                                                              const BpfFeatures& features) {
  LeakParams params = LeakParams::For(config.sample_interval, config.leak_window);
  if (auto st = params.Validate(); !st.ok())
    return Error{"leak detector: " + st.error().message + " (see --sample-interval and --leak-window)",
                 EINVAL};
  std::unique_ptr<ProcessMemoryCollector> c(new ProcessMemoryCollector(config));

  // With procfs nothing is loaded, by choice: no program to report.
  if (config.source == MemorySource::kProcfs) c->family_ = "no eBPF";
  if (config.source != MemorySource::kProcfs) {
    const MemoryKernel kernel = ProbeMemoryKernel();
    auto* raw = c.get();
    Result<bool> loaded =
        Error{kernel.btf ? "the kernel has no BPF task iterator (bpf_iter_task in its BTF: Linux 5.8+)"
                         : "the kernel's BTF (/sys/kernel/btf/vmlinux) cannot be read, and the task "
                           "iterator needs it",
              ENOTSUP};
    if (kernel.task_iter)
      loaded = StartWithHookMode<bool>(kName, config.hook_mode, kernel.tp_btf, features,
                                       [raw, &features](bool use_tp_btf) -> Result<bool> {
                                         if (auto st = raw->LoadBpf(use_tp_btf, features); !st.ok())
                                           return st.error();
                                         return true;
                                       });
    if (!loaded) {
      if (config.source == MemorySource::kEbpf) return loaded.error();
      spdlog::warn("{}: eBPF programs not loaded ({}); reading /proc/<pid>/status every sample instead",
                   kName, loaded.error().message);
      c->skel_.reset();
      c->family_ = "none";
      c->hooks_ = NotLoaded("not loaded: " + loaded.error().message);
    }
  }
  auto attached = [&c](const char* program) {
    for (const auto& h : c->hooks_)
      if (h.name == program) return h.attached;
    return false;
  };
  // With --process-memory-source auto, /proc/<pid>/status stands in for any
  // program that did not attach: the sensor is degraded, not unready.
  if (config.source == MemorySource::kAuto)
    for (HookStatus& h : c->hooks_) h.optional = true;
  // The exec stamp tells an exec apart from a process that merely renamed
  // itself, without reading stat of every process every sample.
  c->rss_from_ebpf_ =
      c->skel_ && attached("hp_mem_iter") && (attached("hp_mem_exec") || attached("hp_mem_exec_raw"));
  if (c->rss_from_ebpf_) {
    // One read now, with every capability still held: a program the
    // verifier took can still fail to run, and then the sensor says so here.
    std::string bytes;
    Status st = ReadIterator(bpf_link__fd(c->skel_->links.hp_mem_iter), bytes);
    if (st.ok())
      if (auto records = ParseMemoryRecords(bytes); !records) st = records.error();
    if (!st.ok()) {
      c->rss_from_ebpf_ = false;
      for (HookStatus& h : c->hooks_)
        if (h.name == "hp_mem_iter") {
          h.attached = false;
          h.error = "attached, but reading it failed: " + st.error().message;
        }
      spdlog::error("{}: the task iterator cannot be read: {}", kName, st.error().message);
    }
  }
  c->data_from_ebpf_ = c->rss_from_ebpf_;
  if (config.source == MemorySource::kEbpf && !c->rss_from_ebpf_)
    return Error{
        "--process-memory-source ebpf: the task iterator or the exec program did not attach or cannot be "
        "read (see the log above)",
        ENOTSUP};
  if (!c->rss_from_ebpf_)
    spdlog::warn("{}: memory read from /proc/<pid>/status for every process every {} ms", kName,
                 config.sample_interval.count());
  else
    spdlog::info("{}: memory read at each sample by a BPF task iterator (exec stamps from {} hooks)", kName,
                 c->family_);

  return c;
}

void ProcessMemoryCollector::StartSampling() {
  if (thread_.joinable()) return;
  started_ms_ = BootMs();
  // Histories saved by the previous run: the first sample keeps those whose
  // pid and start time still match and forgets the others.
  const std::string boot_id = ReadBootId(config_.procfs + "/sys/kernel/random/boot_id");
  state_ = std::make_unique<LeakStateStore>(config_.state_dir, boot_id, params_);
  if (state_->enabled()) {
    size_t suspected = 0;
    for (const LeakStateEntry& e : state_->Load()) {
      tracker_.Restore(e);
      suspected += e.suspected ? 1 : 0;
    }
    if (state_->restored() > 0)
      spdlog::info("{}: took back the leak histories of {} processes ({} suspected) from {}", kName,
                   state_->restored(), suspected, state_->path());
  }
  // The cgroups' histories: taken back when a cgroup with the same
  // directory inode is seen again (JudgeCgroups), dropped after the first
  // sample otherwise.
  cgroup_state_ =
      std::make_unique<LeakStateStore>(config_.state_dir, boot_id, params_, LeakStateStore::kCgroupFileName);
  if (cgroup_state_->enabled() && !config_.cgroup2_root.empty())
    for (LeakStateEntry& e : cgroup_state_->Load())
      if (e.key.start_time != 0) cgroup_restore_.emplace(e.key.start_time, std::move(e));
  thread_ = std::thread([this] { Run(); });
}

Status ProcessMemoryCollector::LoadBpf(bool use_tp_btf, const BpfFeatures& features) {
  hooks_.clear();
  family_ = use_tp_btf ? "tp_btf" : "raw_tp";
  if (Status st = OpenSkeleton(kName, skel_, process_memory_bpf__open_opts); !st.ok()) return st.error();
  process_memory_bpf* s = skel_.get();
  const LoadPlan plan{
      kName,
      s->skeleton,
      {
          BpfHook::Always("iter/task", {s->progs.hp_mem_iter, &s->links.hp_mem_iter}),
          BpfHook::Tracepoint("sched_process_exec", {s->progs.hp_mem_exec, &s->links.hp_mem_exec},
                              {s->progs.hp_mem_exec_raw, &s->links.hp_mem_exec_raw}),
          BpfHook::Tracepoint("sched_process_exit", {s->progs.hp_mem_exit, &s->links.hp_mem_exit},
                              {s->progs.hp_mem_exit_raw, &s->links.hp_mem_exit_raw}),
      }};
  Status st = TakeHooks(LoadAndAttach(plan, use_tp_btf, features), family_, hooks_);
  if (!st.ok()) skel_.reset();
  return st;
}

ProcessMemoryCollector::~ProcessMemoryCollector() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    if (state_) state_->MaybeSave(tracker_, BootMs(), /*force=*/true);
    if (cgroup_state_) cgroup_state_->MaybeSave(cgroup_tracker_, BootMs(), /*force=*/true);
  }
}

void ProcessMemoryCollector::Run() {
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    SampleOnce();
    if (state_) state_->MaybeSave(tracker_, BootMs(), /*force=*/false);
    if (cgroup_state_) cgroup_state_->MaybeSave(cgroup_tracker_, BootMs(), /*force=*/false);
    next += config_.sample_interval;
    // A sample that overran its interval does not queue up more: the next
    // one starts now and the schedule moves on from it.
    if (auto now = std::chrono::steady_clock::now(); next < now) next = now;
    std::unique_lock<std::mutex> lock(mu_);
    if (wake_.wait_until(lock, next, [this] { return stop_; })) return;
  }
}

std::shared_ptr<const ProcessMemorySnapshot> ProcessMemoryCollector::ProcessMemorySample() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!latest_) return std::make_shared<const ProcessMemorySnapshot>();
  return latest_;
}

CollectorHealth ProcessMemoryCollector::health() {
  const int64_t last = last_sample_ms_.load();
  const int64_t interval_ms = config_.sample_interval.count();
  // The first sample starts with the collector; allow it the same slack.
  const int64_t since = BootMs() - (last != 0 ? last : started_ms_);
  if (since > 3 * interval_ms + 1000)
    return {false, "no memory sample for " + std::to_string(since / 1000) + " s (interval " +
                       std::to_string(interval_ms) + " ms)"};
  if (skel_) {
    auto self = ReadPerCpuCounters(bpf_map__fd(skel_->maps.process_memory_self_stats), HP_PM_STAT__COUNT);
    if (!self) return {false, "reading maps failed: " + self.error().message};
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!iter_error_.empty())
    return {false, "the task iterator could not be read at the latest sample (" + iter_error_ +
                       "): memory read from /proc/<pid>/status instead"};
  return {true, ""};
}

// comm and cgroup path, read when a process is first seen and after an exec.
// A failure keeps what was known (comm from stat at least): the figures
// matter more than the labels.
void ProcessMemoryCollector::ReadNames(const std::string& dir, ProcInfo& info) {
  if (auto text = ReadSmallFile(dir + "/comm"))
    if (auto comm = ParsePidComm(*text)) info.comm = std::move(*comm);
  if (auto cg = ReadSmallFile(dir + "/cgroup"))
    if (auto path = ParsePidCgroupV2(*cg); path && path->has_value()) info.cgroup = **path;
}

void ProcessMemoryCollector::JudgeCgroups(const std::map<std::string, CgroupSum>& sums, int64_t now_ms,
                                          ProcessMemorySnapshot& snap) {
  const uint64_t generation = generation_;
  for (const auto& [path, sum] : sums) {
    auto [it, fresh] = cgroups_.try_emplace(path);
    CgroupTrack& t = it->second;
    if (fresh) {
      t.id = next_cgroup_id_++;
      t.birth_ms = sum.oldest_start_ms;
      cgroup_paths_[t.id] = path;
      struct stat st {};
      if (!config_.cgroup2_root.empty() && stat((config_.cgroup2_root + path).c_str(), &st) == 0)
        t.inode = st.st_ino;
      if (auto saved = cgroup_restore_.find(t.inode); t.inode != 0 && saved != cgroup_restore_.end()) {
        LeakStateEntry e = std::move(saved->second);
        cgroup_restore_.erase(saved);
        e.key.pid = t.id;
        t.birth_ms = e.exec_ms;
        t.suspected = e.suspected != 0;
        cgroup_tracker_.Restore(e);
        ++cgroups_restored_;
      }
    }
    t.seen_generation = generation;
    CgroupMemory c;
    c.cgroup = path;
    if (auto own = limits_.CgroupAnonymous(path)) {
      c.judged_bytes = *own;
      c.from_cgroup = true;
    } else {
      c.judged_bytes = sum.judged;
    }
    cgroup_tracker_.Observe({t.id, t.inode}, t.birth_ms, now_ms, c.judged_bytes);
    snap.cgroups.push_back(std::move(c));
  }
  cgroup_tracker_.ForgetNotSeenSince(now_ms);
  cgroup_restore_.clear();  // what the first sample did not find is gone
  for (auto it = cgroups_.begin(); it != cgroups_.end();) {
    if (it->second.seen_generation == generation) {
      ++it;
      continue;
    }
    if (it->second.suspected)
      spdlog::info("{}: cgroup {} is gone while suspected of leaking memory", kName, Printable(it->first));
    cgroup_paths_.erase(it->second.id);
    it = cgroups_.erase(it);
  }
  for (auto& [key, verdict] : cgroup_tracker_.JudgeAll(now_ms)) {
    auto pit = cgroup_paths_.find(key.pid);
    if (pit == cgroup_paths_.end()) continue;
    auto cit = std::lower_bound(snap.cgroups.begin(), snap.cgroups.end(), pit->second,
                                [](const CgroupMemory& c, const std::string& p) { return c.cgroup < p; });
    if (cit == snap.cgroups.end() || cit->cgroup != pit->second) continue;
    CgroupTrack& t = cgroups_[pit->second];
    cit->leak_suspected = verdict.suspected;
    if (verdict.suspected) {
      cit->growth_bytes_per_second = verdict.growth_bytes_per_second;
      cit->headroom = limits_.For(sums.at(cit->cgroup).pid, cit->cgroup);
      cit->exhaustion_seconds = ExhaustionSeconds(*cit->headroom, verdict.growth_bytes_per_second);
    }
    const LeakTransition transition = LeakTransitionOf(t.suspected, verdict.suspected);
    if (transition == LeakTransition::kSuspected)
      spdlog::warn(
          "{}: cgroup {} suspected of leaking memory: anonymous memory floor growing {}/s over {} (now {}, "
          "{})",
          kName, Printable(cit->cgroup), HumanBytes(verdict.growth_bytes_per_second),
          FormatDuration(std::chrono::milliseconds(verdict.window_ms)),
          HumanBytes(static_cast<double>(cit->judged_bytes)),
          cit->from_cgroup ? "its memory.stat" : "the sum of its processes");
    else if (transition == LeakTransition::kCleared)
      spdlog::info("{}: cgroup {} no longer suspected of leaking memory ({})", kName, Printable(cit->cgroup),
                   verdict.reason);
    t.suspected = verdict.suspected;
  }
}

// Every process's memory, read now by the task iterator, before /proc is
// listed: a record of a pid the listing then lacks belongs to a process that
// has exited. False when the iterator is not in use or failed: then this
// sample reads /proc/<pid>/status of every process.
bool ProcessMemoryCollector::ReadKernelRecords(std::unordered_map<uint32_t, hp_proc_mem>& kernel) {
  if (!rss_from_ebpf_) return false;
  bool from_kernel = false;
  iter_bytes_.clear();
  Status st = ReadIterator(bpf_link__fd(skel_->links.hp_mem_iter), iter_bytes_);
  if (st.ok()) {
    if (auto records = ParseMemoryRecords(iter_bytes_)) {
      kernel = std::move(*records);
      from_kernel = true;
    } else {
      st = records.error();
    }
  }
  std::string error = st.ok() ? "" : st.error().message;
  if (!st.ok()) ++read_errors_;
  std::lock_guard<std::mutex> lock(mu_);
  if (error != iter_error_) {  // logged when it starts, changes or ends, not every sample
    if (!error.empty())
      spdlog::warn("{}: the task iterator could not be read ({}): memory from /proc/<pid>/status", kName,
                   error);
    else
      spdlog::info("{}: the task iterator is read again", kName);
  }
  iter_error_ = std::move(error);
  return from_kernel;
}

std::vector<int32_t> ProcessMemoryCollector::ListPids() {
  std::vector<int32_t> pids;
  if (DIR* dir = opendir(config_.procfs.c_str())) {
    while (dirent* e = readdir(dir)) {
      char* end = nullptr;
      long pid = std::strtol(e->d_name, &end, 10);
      if (end != e->d_name && *end == '\0' && pid > 0 && pid <= INT32_MAX)
        pids.push_back(static_cast<int32_t>(pid));
    }
    closedir(dir);
  } else {
    ++read_errors_;
    spdlog::error("{}: cannot list {}: {}", kName, config_.procfs, std::strerror(errno));
  }
  std::sort(pids.begin(), pids.end());
  return pids;
}

// A process gone (or going) for good: its bookkeeping goes, and a suspect says so.
void ProcessMemoryCollector::Forget(int32_t pid) {
  if (auto suspect = book_.Forget(pid)) LogExitedSuspect(*suspect);
}

void ProcessMemoryCollector::LogExitedSuspect(const ForgottenSuspect& s) {
  spdlog::info("{}: pid {} ({}) exited while suspected of leaking memory", kName, s.pid, Printable(s.comm));
}

void ProcessMemoryCollector::SampleProcess(int32_t pid, const hp_proc_mem* k, bool from_kernel,
                                           int64_t now_ms, std::map<std::string, CgroupSum>& sums,
                                           ProcessMemorySnapshot& snap) {
  const std::string dir = config_.procfs + "/" + std::to_string(pid);
  auto failed = [&](const Error& e) {
    if (Vanished(e)) {
      ++vanished_;
    } else {
      ++read_errors_;
      spdlog::debug("{}: {}", kName, e.message);
    }
    Forget(pid);
  };
  // A pid can be reused between samples: a kernel record with the known
  // start time confirms the process, stat tells otherwise.
  ProcessBook::Identity identity = book_.Identify(pid, k, from_kernel);
  bool exec_without_kernel = false;
  if (identity == ProcessBook::Identity::kRecheck) {
    auto stat = ReadSmallFile(dir + "/stat");
    if (!stat) return failed(stat.error());
    auto parsed = ParsePidStat(*stat);
    const auto check = book_.CheckStat(pid, parsed ? std::optional<PidStat>(*parsed) : std::nullopt);
    if (check.reused) identity = ProcessBook::Identity::kNew;
    exec_without_kernel = check.exec_without_kernel;
  }
  if (identity == ProcessBook::Identity::kNew) {
    auto stat = ReadSmallFile(dir + "/stat");
    if (!stat) return failed(stat.error());
    auto parsed = ParsePidStat(*stat);
    if (!parsed) return failed(parsed.error());
    ProcInfo& seeded = book_.Seed(pid, *parsed, k);
    if (!seeded.kernel_thread) ReadNames(dir, seeded);
  }
  ProcInfo& info = *book_.MarkSeen(pid);
  if (info.kernel_thread) return;

  const hp_proc_mem* own = from_kernel && book_.OwnRecord(info, k) ? k : nullptr;
  // exec: a new program under the same pid, possibly in another cgroup.
  if (book_.ApplyExec(info, own, exec_without_kernel, now_ms)) ReadNames(dir, info);

  std::optional<PidStatusMemory> status;
  if (own == nullptr) {
    auto text = ReadSmallFile(dir + "/status");
    if (!text) return failed(text.error());
    auto parsed = ParsePidStatusMemory(*text);
    if (!parsed) return failed(parsed.error());
    if (!parsed->has_mm)
      return Forget(pid);  // a zombie, or exiting: its mm is gone, and so is the process for us
    status = *parsed;
  }
  ProcessMemory m = book_.Row(pid, info, own, status ? &*status : nullptr);
  tracker_.Observe({pid, info.start_ticks}, book_.HistoryStartMs(info), now_ms, m.judged_bytes);
  book_.AddToCgroup(sums, m, info);
  snap.processes.push_back(std::move(m));
}

// Verdicts; processes are in pid order, as JudgeAll returns them.
void ProcessMemoryCollector::JudgeProcesses(int64_t now_ms, ProcessMemorySnapshot& snap) {
  for (auto& [key, verdict] : tracker_.JudgeAll(now_ms)) {
    auto mit = std::lower_bound(snap.processes.begin(), snap.processes.end(), key.pid,
                                [](const ProcessMemory& p, int32_t pid) { return p.pid < pid; });
    if (mit == snap.processes.end() || mit->pid != key.pid) continue;
    ProcInfo* info = book_.Find(key.pid);
    if (info == nullptr) continue;
    mit->leak_suspected = verdict.suspected;
    if (verdict.suspected) {
      mit->growth_bytes_per_second = verdict.growth_bytes_per_second;
      // Suspects only: a few small reads of cgroup files each.
      mit->headroom = limits_.For(key.pid, mit->cgroup);
      mit->exhaustion_seconds = ExhaustionSeconds(*mit->headroom, verdict.growth_bytes_per_second);
    }
    switch (book_.Judge(*info, verdict.suspected)) {
      case LeakTransition::kSuspected:
        spdlog::warn(
            "{}: pid {} ({}) in cgroup {} suspected of leaking memory: anonymous memory floor growing {}/s "
            "over {} (anonymous {}, Mann-Kendall z {:.1f}); {} left before its {} limit of {}, at this rate "
            "{}",
            kName, key.pid, Printable(mit->comm), mit->cgroup.empty() ? "?" : Printable(mit->cgroup),
            HumanBytes(verdict.growth_bytes_per_second),
            FormatDuration(std::chrono::milliseconds(verdict.window_ms)),
            HumanBytes(static_cast<double>(mit->judged_bytes)), verdict.mk_z,
            HumanBytes(static_cast<double>(mit->headroom->headroom())),
            LimitSourceName(mit->headroom->source),
            HumanBytes(static_cast<double>(mit->headroom->limit_bytes)),
            mit->exhaustion_seconds ? std::to_string(static_cast<int64_t>(*mit->exhaustion_seconds)) + " s"
                                    : std::string("never"));
        break;
      case LeakTransition::kCleared:
        spdlog::info("{}: pid {} ({}) no longer suspected of leaking memory ({})", kName, key.pid,
                     Printable(mit->comm), verdict.reason);
        break;
      case LeakTransition::kNone:
        break;
    }
  }
}

void ProcessMemoryCollector::SampleOnce() {
  const auto started = std::chrono::steady_clock::now();
  const int64_t now_ms = BootMs();
  ++generation_;
  book_.BeginSample();
  auto snap = std::make_shared<ProcessMemorySnapshot>();

  std::unordered_map<uint32_t, hp_proc_mem> kernel;
  const bool from_kernel = ReadKernelRecords(kernel);
  snap->rss_from_ebpf = from_kernel;
  snap->data_from_ebpf = from_kernel && data_from_ebpf_;
  if (skel_) {
    if (!ReadSelfStats(bpf_map__fd(skel_->maps.process_memory_self_stats), snap->self_stats).ok())
      ++read_errors_;
  }

  std::map<std::string, CgroupSum> cgroup_sums;
  for (int32_t pid : ListPids()) {
    auto kit = kernel.find(static_cast<uint32_t>(pid));
    SampleProcess(pid, kit != kernel.end() ? &kit->second : nullptr, from_kernel, now_ms, cgroup_sums, *snap);
  }
  // Exited processes: their bookkeeping and history go.
  for (const ForgottenSuspect& s : book_.ForgetUnseen()) LogExitedSuspect(s);
  tracker_.ForgetNotSeenSince(now_ms);

  JudgeProcesses(now_ms, *snap);
  JudgeCgroups(cgroup_sums, now_ms, *snap);

  ++samples_;
  snap->sampled = true;
  snap->samples = samples_;
  snap->vanished = vanished_;
  snap->read_errors = read_errors_;
  snap->tracked = tracker_.size();
  snap->tracker_bytes = tracker_.MemoryBytes() + book_.MemoryBytes();
  if (state_) {
    snap->state_kept = state_->enabled();
    snap->state_restored = state_->restored();
    snap->state_restored_cgroups = cgroups_restored_;
    snap->state_saves = state_->saves();
    snap->state_save_failures = state_->save_failures();
  }
  snap->last_sample_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  last_sample_ms_.store(now_ms);
  std::lock_guard<std::mutex> lock(mu_);
  latest_ = std::move(snap);
}

}  // namespace hostprobe
