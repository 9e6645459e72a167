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

#include "collectors/bpf_util.h"
#include "collectors/libbpf_log.h"
#include "core/duration.h"
#include "core/procfs.h"
#include "process_memory.skel.h"

namespace hostprobe {

static_assert(sizeof(hp_proc_mem) == 64);

namespace {

constexpr const char* kName = "process_memory";

// The kernel functions behind the mapping syscalls, each with its fexit
// program (see process_memory.bpf.c). Indexes match FexitPrograms().
constexpr const char* kFexitFunctions[] = {"__do_sys_brk", "ksys_mmap_pgoff", "__vm_munmap",
                                           "__do_sys_mremap", "do_mprotect_pkey"};
constexpr size_t kFexitCount = std::size(kFexitFunctions);

// What the kernel's BTF offers this collector.
struct MemoryKernel {
  bool tp_btf = false;  // btf_trace_{rss_stat,sched_process_exec,sched_process_exit} exist
  std::array<bool, kFexitCount> functions{};
};

MemoryKernel ProbeMemoryKernel() {
  MemoryKernel k;
  btf* vmlinux = btf__load_vmlinux_btf();
  if (vmlinux == nullptr) return k;
  k.tp_btf = true;
  for (const char* tp :
       {"btf_trace_rss_stat", "btf_trace_sched_process_exec", "btf_trace_sched_process_exit"})
    k.tp_btf = k.tp_btf && btf__find_by_name_kind(vmlinux, tp, BTF_KIND_TYPEDEF) >= 0;
  for (size_t i = 0; i < kFexitCount; ++i)
    k.functions[i] = btf__find_by_name_kind(vmlinux, kFexitFunctions[i], BTF_KIND_FUNC) >= 0;
  btf__free(vmlinux);
  return k;
}

std::array<bpf_program*, kFexitCount> FexitPrograms(process_memory_bpf* s) {
  return {s->progs.hp_brk_exit, s->progs.hp_mmap_exit, s->progs.hp_munmap_exit, s->progs.hp_mremap_exit,
          s->progs.hp_mprotect_exit};
}

std::array<bpf_link**, kFexitCount> FexitLinks(process_memory_bpf* s) {
  return {&s->links.hp_brk_exit, &s->links.hp_mmap_exit, &s->links.hp_munmap_exit, &s->links.hp_mremap_exit,
          &s->links.hp_mprotect_exit};
}

// Every program of the object, none attached, for a collector that loaded none.
std::vector<HookStatus> NotLoaded(const std::string& why) {
  std::vector<HookStatus> hooks = {{"hp_rss_stat", "rss_stat", false, why},
                                   {"hp_mem_exec", "sched_process_exec", false, why},
                                   {"hp_mem_exit", "sched_process_exit", false, why}};
  const char* programs[] = {"hp_brk_exit", "hp_mmap_exit", "hp_munmap_exit", "hp_mremap_exit",
                            "hp_mprotect_exit"};
  for (size_t i = 0; i < kFexitCount; ++i)
    hooks.push_back({programs[i], std::string("fexit/") + kFexitFunctions[i], false, why});
  return hooks;
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

// Every entry of the (not per-CPU) process_memory hash, batched where the
// kernel can (5.6+).
std::unordered_map<uint32_t, hp_proc_mem> DumpMap(int fd) {
  std::unordered_map<uint32_t, hp_proc_mem> out;
  constexpr uint32_t kBatch = 1024;
  std::vector<uint32_t> keys(kBatch);
  std::vector<hp_proc_mem> values(kBatch);
  uint32_t token = 0;
  bool first = true;
  for (;;) {
    uint32_t count = kBatch;
    int err = bpf_map_lookup_batch(fd, first ? nullptr : &token, &token, keys.data(), values.data(), &count,
                                   nullptr);
    if (err == 0 || err == -ENOENT) {
      for (uint32_t i = 0; i < count; ++i) out[keys[i]] = values[i];
      if (err == -ENOENT) return out;
      first = false;
      continue;
    }
    if (!first) return out;
    break;
  }
  uint32_t key = 0, next = 0;
  uint32_t* prev = nullptr;
  hp_proc_mem value{};
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    if (bpf_map_lookup_elem(fd, &key, &value) == 0) out[key] = value;
  }
  return out;
}

}  // namespace

void ProcessMemoryCollector::SkelDeleter::operator()(process_memory_bpf* s) const {
  process_memory_bpf__destroy(s);
}

ProcessMemoryCollector::ProcessMemoryCollector(const Config& config)
    : config_(config),
      params_(LeakParams::For(config.sample_interval, config.leak_window)),
      tracker_(LeakScalesFor(config.sample_interval, config.leak_window)),
      limits_(config.procfs, config.cgroup2_root),
      cgroup_tracker_(LeakScalesFor(config.sample_interval, config.leak_window)) {
  if (long p = sysconf(_SC_PAGESIZE); p > 0) page_size_ = static_cast<uint64_t>(p);
  if (long t = sysconf(_SC_CLK_TCK); t > 0) ticks_per_second_ = static_cast<uint64_t>(t);
}

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
    c->fexit_in_btf_.assign(kernel.functions.begin(), kernel.functions.end());
    auto* raw = c.get();
    auto loaded = StartWithHookMode<bool>(kName, config.hook_mode, kernel.tp_btf, features,
                                          [raw](bool use_tp_btf) -> Result<bool> {
                                            // fexit needs BPF trampolines, which some kernels and
                                            // architectures lack: without them the rest still works.
                                            auto st = raw->LoadBpf(use_tp_btf, true);
                                            if (!st.ok()) {
                                              spdlog::warn(
                                                  "{}: load with fexit programs failed ({}); "
                                                  "retrying without them",
                                                  kName, st.error().message);
                                              st = raw->LoadBpf(use_tp_btf, false);
                                            }
                                            if (!st.ok()) return st.error();
                                            return true;
                                          });
    if (!loaded) {
      if (config.source == MemorySource::kEbpf) return loaded.error();
      spdlog::warn("{}: eBPF programs not loaded ({}); reading /proc/<pid>/statm every sample instead", kName,
                   loaded.error().message);
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
  // With --process-memory-source auto, /proc/<pid>/statm stands in for any
  // program that did not attach: the sensor is degraded, not unready.
  if (config.source == MemorySource::kAuto)
    for (HookStatus& h : c->hooks_) h.optional = true;
  c->rss_from_ebpf_ = c->skel_ && (attached("hp_rss_stat") || attached("hp_rss_stat_raw"));
  c->data_from_ebpf_ = c->rss_from_ebpf_;
  for (const char* p :
       {"hp_brk_exit", "hp_mmap_exit", "hp_munmap_exit", "hp_mremap_exit", "hp_mprotect_exit"})
    c->data_from_ebpf_ = c->data_from_ebpf_ && attached(p);
  if (config.source == MemorySource::kEbpf && !c->rss_from_ebpf_)
    return Error{"--process-memory-source ebpf: the rss_stat program did not attach (see the log above)",
                 ENOTSUP};
  if (!c->rss_from_ebpf_)
    spdlog::warn("{}: resident memory from /proc/<pid>/statm, read for every process every {} ms", kName,
                 config.sample_interval.count());
  else if (!c->data_from_ebpf_)
    spdlog::warn(
        "{}: a mapping hook is missing (see above): data figure from /proc/<pid>/statm, brk heap read "
        "only when resident memory changes",
        kName);
  else
    spdlog::info("{}: resident, data and heap figures from eBPF ({} hooks)", kName, c->family_);

  return c;
}

void ProcessMemoryCollector::StartSampling() {
  if (thread_.joinable()) return;
  started_ms_ = BootMs();
  // Histories saved by the previous run: the first sample keeps those whose
  // pid and start time still match and forgets the others.
  state_ = std::make_unique<LeakStateStore>(
      config_.state_dir, ReadBootId(config_.procfs + "/sys/kernel/random/boot_id"), params_);
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
  cgroup_state_ = std::make_unique<LeakStateStore>(config_.state_dir,
                                                   ReadBootId(config_.procfs + "/sys/kernel/random/boot_id"),
                                                   params_, LeakStateStore::kCgroupFileName);
  if (cgroup_state_->enabled() && !config_.cgroup2_root.empty())
    for (LeakStateEntry& e : cgroup_state_->Load())
      if (e.key.start_time != 0) cgroup_restore_.emplace(e.key.start_time, std::move(e));
  thread_ = std::thread([this] { Run(); });
}

Status ProcessMemoryCollector::LoadBpf(bool use_tp_btf, bool with_fexit) {
  hooks_.clear();
  family_ = use_tp_btf ? "tp_btf" : "raw_tp";
  skel_.reset(process_memory_bpf__open_opts(SkeletonOpenOpts()));
  if (!skel_) return Error::FromErrno("open process_memory BPF object");
  process_memory_bpf* s = skel_.get();
  bpf_program__set_autoload(s->progs.hp_rss_stat, use_tp_btf);
  bpf_program__set_autoload(s->progs.hp_mem_exec, use_tp_btf);
  bpf_program__set_autoload(s->progs.hp_mem_exit, use_tp_btf);
  bpf_program__set_autoload(s->progs.hp_rss_stat_raw, !use_tp_btf);
  bpf_program__set_autoload(s->progs.hp_mem_exec_raw, !use_tp_btf);
  bpf_program__set_autoload(s->progs.hp_mem_exit_raw, !use_tp_btf);
  // An fexit program is bound to its function at load time: one the kernel's
  // BTF lacks would fail the whole object, so it is left out and reported.
  const auto progs = FexitPrograms(s);
  const auto links = FexitLinks(s);
  std::vector<bool> load_fexit(kFexitCount);
  for (size_t i = 0; i < kFexitCount; ++i) {
    load_fexit[i] = with_fexit && i < fexit_in_btf_.size() && fexit_in_btf_[i];
    bpf_program__set_autoload(progs[i], load_fexit[i]);
  }
  if (int err = process_memory_bpf__load(s); err != 0) {
    skel_.reset();
    return LibbpfFailure("load process_memory BPF programs (" + family_ + ")", err);
  }

  std::vector<AttachSpec> specs;
  if (use_tp_btf) {
    specs = {{s->progs.hp_rss_stat, &s->links.hp_rss_stat, "tp_btf/rss_stat"},
             {s->progs.hp_mem_exec, &s->links.hp_mem_exec, "tp_btf/sched_process_exec"},
             {s->progs.hp_mem_exit, &s->links.hp_mem_exit, "tp_btf/sched_process_exit"}};
  } else {
    specs = {{s->progs.hp_rss_stat_raw, &s->links.hp_rss_stat_raw, "raw_tp/rss_stat"},
             {s->progs.hp_mem_exec_raw, &s->links.hp_mem_exec_raw, "raw_tp/sched_process_exec"},
             {s->progs.hp_mem_exit_raw, &s->links.hp_mem_exit_raw, "raw_tp/sched_process_exit"}};
  }
  for (size_t i = 0; i < kFexitCount; ++i)
    if (load_fexit[i]) specs.push_back({progs[i], links[i], std::string("fexit/") + kFexitFunctions[i]});
  hooks_ = AttachPrograms(kName, specs);
  for (size_t i = 0; i < kFexitCount; ++i) {
    if (load_fexit[i]) continue;
    std::string why = with_fexit ? std::string("the kernel's BTF has no function ") + kFexitFunctions[i]
                                 : "fexit programs failed to load (see the log)";
    spdlog::warn("{}: {} not attached: {}", kName, bpf_program__name(progs[i]), why);
    hooks_.push_back({bpf_program__name(progs[i]), std::string("fexit/") + kFexitFunctions[i], false, why});
  }
  if (CountAttached(hooks_) == 0) {
    std::string why = hooks_.front().error;
    skel_.reset();
    return Error{"attach process_memory programs (" + family_ + "): " + why, EPERM};
  }
  return Ok{};
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
    if (verdict.suspected && !t.suspected)
      spdlog::warn(
          "{}: cgroup {} suspected of leaking memory: anonymous memory floor growing {}/s over {} (now {}, "
          "{})",
          kName, Printable(cit->cgroup), HumanBytes(verdict.growth_bytes_per_second),
          FormatDuration(std::chrono::milliseconds(verdict.window_ms)),
          HumanBytes(static_cast<double>(cit->judged_bytes)),
          cit->from_cgroup ? "its memory.stat" : "the sum of its processes");
    else if (!verdict.suspected && t.suspected)
      spdlog::info("{}: cgroup {} no longer suspected of leaking memory ({})", kName, Printable(cit->cgroup),
                   verdict.reason);
    t.suspected = verdict.suspected;
  }
}

void ProcessMemoryCollector::SampleOnce() {
  const auto started = std::chrono::steady_clock::now();
  const int64_t now_ms = BootMs();
  const uint64_t generation = ++generation_;
  auto snap = std::make_shared<ProcessMemorySnapshot>();
  snap->rss_from_ebpf = rss_from_ebpf_;
  snap->data_from_ebpf = data_from_ebpf_;

  // The map is read before /proc is listed: an entry of a pid the listing
  // then lacks belongs to a process that has exited.
  std::unordered_map<uint32_t, hp_proc_mem> kernel;
  const int map_fd = skel_ ? bpf_map__fd(skel_->maps.process_memory) : -1;
  if (skel_) {
    kernel = DumpMap(map_fd);
    if (auto self = ReadPerCpuCounters(bpf_map__fd(skel_->maps.process_memory_self_stats), HP_PM_STAT__COUNT))
      std::copy(self->begin(), self->end(), snap->self_stats.begin());
    else
      ++read_errors_;
  }

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

  const uint64_t ns_per_tick = 1'000'000'000ull / ticks_per_second_;
  // A process gone (or going) for good: its bookkeeping goes, and a suspect says so.
  auto forget = [this](int32_t pid) {
    auto it = procs_.find(pid);
    if (it == procs_.end()) return;
    if (it->second.suspected)
      spdlog::info("{}: pid {} ({}) exited while suspected of leaking memory", kName, pid,
                   Printable(it->second.comm));
    procs_.erase(it);
  };
  std::map<std::string, CgroupSum> cgroup_sums;
  for (int32_t pid : pids) {
    const std::string dir = config_.procfs + "/" + std::to_string(pid);
    auto failed = [&](const Error& e) {
      if (Vanished(e)) {
        ++vanished_;
      } else {
        ++read_errors_;
        spdlog::debug("{}: {}", kName, e.message);
      }
      forget(pid);
    };
    auto kit = kernel.find(static_cast<uint32_t>(pid));
    const hp_proc_mem* k = kit != kernel.end() ? &kit->second : nullptr;

    auto pit = procs_.find(pid);
    // A pid can be reused between samples. A kernel entry carries the
    // process's start time; without one (statm only) stat is read again.
    bool fresh = pit == procs_.end();
    bool exec_without_kernel = false;
    if (!fresh) {
      if (k != nullptr) {
        fresh = k->start_boottime / ns_per_tick != pit->second.start_ticks;
      } else if (!rss_from_ebpf_) {
        auto stat = ReadSmallFile(dir + "/stat");
        if (!stat) {
          failed(stat.error());
          continue;
        }
        auto parsed = ParsePidStat(*stat);
        fresh = !parsed || parsed->start_ticks != pit->second.start_ticks;
        // Without the exec tracepoint a new comm is the sign of an exec (or
        // of a process renaming itself, which restarts its history too).
        exec_without_kernel = !fresh && !pit->second.kernel_thread && parsed->comm != pit->second.comm;
      }
    }
    if (fresh) {
      ProcInfo info;
      auto stat = ReadSmallFile(dir + "/stat");
      if (!stat) {
        failed(stat.error());
        continue;
      }
      auto parsed = ParsePidStat(*stat);
      if (!parsed) {
        failed(parsed.error());
        continue;
      }
      info.start_ticks = parsed->start_ticks;
      info.comm = parsed->comm;
      info.kernel_thread = (parsed->flags & kPfKthread) != 0;
      if (!info.kernel_thread) ReadNames(dir, info);
      if (k != nullptr && k->start_boottime / ns_per_tick == info.start_ticks && k->exec_ns != 0) {
        info.exec_ns = k->exec_ns;
        info.exec_ms = static_cast<int64_t>(k->exec_ns / 1'000'000);
      }
      pit = procs_.insert_or_assign(pid, std::move(info)).first;
    }
    ProcInfo& info = pit->second;
    info.seen_generation = generation;
    if (info.kernel_thread) continue;

    const bool have_kernel =
        rss_from_ebpf_ && k != nullptr && k->start_boottime / ns_per_tick == info.start_ticks;
    // exec: a new program under the same pid, possibly in another cgroup.
    if (have_kernel && k->exec_ns != info.exec_ns) {
      info.exec_ns = k->exec_ns;
      info.exec_ms = static_cast<int64_t>(k->exec_ns / 1'000'000);
      ReadNames(dir, info);
    } else if (exec_without_kernel) {
      info.exec_ms = now_ms;
      ReadNames(dir, info);
    }

    std::optional<Statm> statm;
    if (!have_kernel || !data_from_ebpf_) {
      auto text = ReadSmallFile(dir + "/statm");
      if (!text) {
        failed(text.error());
        continue;
      }
      auto parsed = ParseStatm(*text);
      if (!parsed) {
        failed(parsed.error());
        continue;
      }
      if (parsed->size == 0) {  // a zombie, or exiting: its mm is gone, and so is the process for us
        forget(pid);
        continue;
      }
      statm = *parsed;
    }

    ProcessMemory m;
    m.pid = pid;
    m.comm = info.comm;
    m.cgroup = info.cgroup;
    if (have_kernel) {
      m.anon_bytes = k->anon_pages * page_size_;
      m.file_bytes = k->file_pages * page_size_;
      m.shmem_bytes = k->shmem_pages * page_size_;
      m.types_known = (k->flags & HP_PM_FROM_STATM) == 0;
      if (m.types_known) m.swap_bytes = static_cast<uint64_t>(k->swap_pages) * page_size_;
      if (data_from_ebpf_) m.data_bytes = k->data_pages * page_size_;
      // Read at every resident change too, so without the mapping hooks it
      // still follows a heap whose growth is touched.
      if (m.types_known) m.brk_heap_bytes = k->brk_bytes;
    } else {
      const uint64_t shared = std::min(statm->shared, statm->resident);
      m.anon_bytes = (statm->resident - shared) * page_size_;
      m.file_bytes = shared * page_size_;
      if (rss_from_ebpf_) {
        // Not in the map yet (idle since the sensor started, or evicted):
        // seed it, and the kernel keeps it from the next change on.
        hp_proc_mem seed{};
        seed.anon_pages = statm->resident - shared;
        seed.file_pages = shared;
        seed.data_pages = statm->data;
        seed.start_boottime = info.start_ticks * ns_per_tick;
        seed.exec_ns = info.exec_ns;
        seed.flags = HP_PM_FROM_STATM;
        // BPF_NOEXIST: a reading the kernel made meanwhile is newer than ours.
        // A stale entry of a reused pid is replaced.
        if (bpf_map_update_elem(map_fd, &pid, &seed, k == nullptr ? BPF_NOEXIST : BPF_ANY) != 0 &&
            errno != EEXIST)
          ++read_errors_;
      }
    }
    if (statm && !(have_kernel && data_from_ebpf_)) m.data_bytes = statm->data * page_size_;
    m.rss_bytes = m.anon_bytes + m.file_bytes + m.shmem_bytes;
    m.judged_bytes = m.anon_bytes + m.shmem_bytes + m.swap_bytes;

    const int64_t exec_ms =
        info.exec_ms != 0 ? info.exec_ms : static_cast<int64_t>(info.start_ticks * 1000 / ticks_per_second_);
    tracker_.Observe({pid, info.start_ticks}, exec_ms, now_ms, m.judged_bytes);
    if (!m.cgroup.empty()) {
      CgroupSum& sum = cgroup_sums[m.cgroup];
      sum.judged += m.judged_bytes;
      sum.pid = pid;
      const auto start_ms = static_cast<int64_t>(info.start_ticks * 1000 / ticks_per_second_);
      sum.oldest_start_ms = sum.oldest_start_ms == 0 ? start_ms : std::min(sum.oldest_start_ms, start_ms);
    }
    snap->processes.push_back(std::move(m));
  }

  // Exited processes: their bookkeeping, history and kernel entries go.
  for (auto it = procs_.begin(); it != procs_.end();) {
    if (it->second.seen_generation == generation) {
      ++it;
      continue;
    }
    if (it->second.suspected)
      spdlog::info("{}: pid {} ({}) exited while suspected of leaking memory", kName, it->first,
                   Printable(it->second.comm));
    it = procs_.erase(it);
  }
  tracker_.ForgetNotSeenSince(now_ms);
  if (skel_) {
    std::vector<uint32_t> gone;
    for (const auto& [pid, v] : kernel)
      if (!std::binary_search(pids.begin(), pids.end(), static_cast<int32_t>(pid))) gone.push_back(pid);
    DeleteKeys(map_fd, gone);
  }

  // Verdicts; processes are in pid order, as JudgeAll returns them.
  for (auto& [key, verdict] : tracker_.JudgeAll(now_ms)) {
    auto mit = std::lower_bound(snap->processes.begin(), snap->processes.end(), key.pid,
                                [](const ProcessMemory& p, int32_t pid) { return p.pid < pid; });
    if (mit == snap->processes.end() || mit->pid != key.pid) continue;
    auto pit = procs_.find(key.pid);
    if (pit == procs_.end()) continue;
    mit->leak_suspected = verdict.suspected;
    if (verdict.suspected) {
      mit->growth_bytes_per_second = verdict.growth_bytes_per_second;
      // Suspects only: a few small reads of cgroup files each.
      mit->headroom = limits_.For(key.pid, mit->cgroup);
      mit->exhaustion_seconds = ExhaustionSeconds(*mit->headroom, verdict.growth_bytes_per_second);
    }
    if (verdict.suspected && !pit->second.suspected) {
      spdlog::warn(
          "{}: pid {} ({}) in cgroup {} suspected of leaking memory: anonymous memory floor growing {}/s "
          "over {} (anonymous {}, Mann-Kendall z {:.1f}); {} left before its {} limit of {}, at this rate {}",
          kName, key.pid, Printable(mit->comm), mit->cgroup.empty() ? "?" : Printable(mit->cgroup),
          HumanBytes(verdict.growth_bytes_per_second),
          FormatDuration(std::chrono::milliseconds(verdict.window_ms)),
          HumanBytes(static_cast<double>(mit->judged_bytes)), verdict.mk_z,
          HumanBytes(static_cast<double>(mit->headroom->headroom())), LimitSourceName(mit->headroom->source),
          HumanBytes(static_cast<double>(mit->headroom->limit_bytes)),
          mit->exhaustion_seconds ? std::to_string(static_cast<int64_t>(*mit->exhaustion_seconds)) + " s"
                                  : std::string("never"));
    } else if (!verdict.suspected && pit->second.suspected) {
      spdlog::info("{}: pid {} ({}) no longer suspected of leaking memory ({})", kName, key.pid,
                   Printable(mit->comm), verdict.reason);
    }
    pit->second.suspected = verdict.suspected;
  }

  JudgeCgroups(cgroup_sums, now_ms, *snap);

  ++samples_;
  snap->sampled = true;
  snap->samples = samples_;
  snap->vanished = vanished_;
  snap->read_errors = read_errors_;
  snap->tracked = tracker_.size();
  size_t bookkeeping = 0;
  for (const auto& [pid, info] : procs_)
    bookkeeping += sizeof(std::pair<const int32_t, ProcInfo>) + 2 * sizeof(void*) + info.comm.capacity() +
                   (info.cgroup.capacity() > 15 ? info.cgroup.capacity() : 0);
  snap->tracker_bytes = tracker_.MemoryBytes() + bookkeeping;
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
