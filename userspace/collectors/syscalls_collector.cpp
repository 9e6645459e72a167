#include "collectors/syscalls_collector.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>
#include <unordered_set>

#include "collectors/bpf_loader.h"
#include "collectors/bpf_util.h"
#include "collectors/libbpf_log.h"
#include "core/histogram.h"
#include "core/test_hooks.h"
#include "syscalls.skel.h"

namespace hostprobe {

static_assert(sizeof(hp_syscall_hot) == 64);
static_assert(sizeof(hp_syscall_latency) == 8 * (1 + HP_LATENCY_BUCKETS));
static_assert(sizeof(hp_errno_key) == 8);
static_assert(sizeof(hp_cgroup_stats) == 16);

void SyscallsCollector::SkelDeleter::operator()(syscalls_bpf* s) const {
  syscalls_bpf__destroy(s);  // detaches every link, closes every program and map fd
}

Result<std::unique_ptr<SyscallsCollector>> SyscallsCollector::Start(const Config& config,
                                                                    const BpfFeatures& features) {
  // tp_btf keeps the entry timestamp in task storage; without it, raw_tp.
  const bool tp_btf =
      features.HasTpBtf({"sys_enter", "sys_exit", "sched_migrate_task", "sched_process_exit"}) &&
      features.task_storage;
  // HOSTPROBE_TEST_NO_MMAP takes the path of kernels before 5.5, for tests.
  const bool mmapable = features.mmapable_arrays && HOSTPROBE_TEST_HOOK("NO_MMAP").value == nullptr;
  return StartWithHookMode<std::unique_ptr<SyscallsCollector>>(
      "syscalls", config.mode, tp_btf, features,
      [&](bool use_tp_btf) { return StartWith(config, use_tp_btf, mmapable, features); });
}

Result<std::unique_ptr<SyscallsCollector>> SyscallsCollector::StartWith(const Config& config, bool use_tp_btf,
                                                                        bool mmapable,
                                                                        const BpfFeatures& features) {
  std::unique_ptr<SyscallsCollector> c(new SyscallsCollector());
  c->family_ = use_tp_btf ? "tp_btf" : "raw_tp";
  c->latency_every_ = std::max<uint32_t>(config.latency_sample_every, 1);
  c->windowed_ = use_tp_btf && c->latency_every_ > 1;

  // Open, then configure what the plan does not: sampling, map kinds and sizes.
  if (Status st = OpenSkeleton("syscalls", c->skel_, syscalls_bpf__open_opts); !st.ok()) return st.error();
  syscalls_bpf* s = c->skel_.get();
  s->rodata->latency_sample_every = c->latency_every_;
  bpf_map__set_autocreate(s->maps.inflight_task, use_tp_btf);
  bpf_map__set_autocreate(s->maps.inflight_lru, !use_tp_btf);
  // One row of syscalls per possible CPU (bpf_get_smp_processor_id() is
  // below that count).
  const int ncpus = libbpf_num_possible_cpus();
  if (ncpus <= 0) return Error{"count possible CPUs: " + LibbpfError(ncpus), -ncpus};
  c->ncpus_ = static_cast<uint32_t>(ncpus);
  for (bpf_map* m : {s->maps.syscall_hot, s->maps.syscall_latency}) {
    bpf_map__set_max_entries(m, c->ncpus_ * HP_MAX_SYSCALLS);
    if (mmapable) bpf_map__set_map_flags(m, bpf_map__map_flags(m) | BPF_F_MMAPABLE);
  }

  const LoadPlan plan{
      "syscalls",
      s->skeleton,
      {
          BpfHook::Tracepoint("sys_enter", {s->progs.hp_sys_enter, &s->links.hp_sys_enter},
                              {s->progs.hp_sys_enter_raw, &s->links.hp_sys_enter_raw}),
          BpfHook::Tracepoint("sys_exit", {s->progs.hp_sys_exit, &s->links.hp_sys_exit},
                              {s->progs.hp_sys_exit_raw, &s->links.hp_sys_exit_raw}),
          BpfHook::Tracepoint("sched_migrate_task", {s->progs.hp_migrate, &s->links.hp_migrate}, {}),
          BpfHook::Tracepoint("sched_process_exit", {s->progs.hp_sys_task_exit, &s->links.hp_sys_task_exit},
                              {}),
      }};
  // The per-(CPU, syscall) counters and histograms are read in place,
  // without a syscall (before 5.5, by lookups instead).
  auto loaded =
      LoadAndAttach(plan, use_tp_btf, features, [&c, s, mmapable] { return c->MapCounters(s, mmapable); });
  if (Status st = TakeHooks(std::move(loaded), c->family_, c->hooks_); !st.ok()) return st.error();
  // Sampling windows: attaching hp_sys_enter once proved that it can be;
  // it stays detached until StartLatencyWindows opens the first window.
  if (c->windowed_ && s->links.hp_sys_enter != nullptr) {
    bpf_link__destroy(s->links.hp_sys_enter);
    s->links.hp_sys_enter = nullptr;
  }
  return c;
}

Status SyscallsCollector::MapCounters(syscalls_bpf* s, bool mmapable) {
  if (!mmapable) {
    spdlog::info(
        "syscalls: this kernel cannot mmap array maps (before 5.5): reading counters entry by entry");
    return Ok{};
  }
  auto hot =
      hot_map_.Map(bpf_map__fd(s->maps.syscall_hot), sizeof(hp_syscall_hot) * ncpus_ * HP_MAX_SYSCALLS);
  if (!hot.ok()) return Error{"mmap the syscall_hot map: " + hot.error().message, hot.error().err};
  hot_ = static_cast<const hp_syscall_hot*>(*hot);
  auto latency = latency_map_.Map(bpf_map__fd(s->maps.syscall_latency),
                                  sizeof(hp_syscall_latency) * ncpus_ * HP_MAX_SYSCALLS);
  if (!latency.ok())
    return Error{"mmap the syscall_latency map: " + latency.error().message, latency.error().err};
  latency_ = static_cast<const hp_syscall_latency*>(*latency);
  return Ok{};
}

SyscallsCollector::~SyscallsCollector() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (windows_thread_.joinable()) windows_thread_.join();
}

std::vector<HookStatus> SyscallsCollector::hooks() const {
  std::lock_guard lock(hooks_mu_);
  return hooks_;
}

void SyscallsCollector::StartLatencyWindows() {
  if (!windowed_ || windows_thread_.joinable()) return;
  {
    std::lock_guard lock(hooks_mu_);
    windows_.enabled = true;
  }
  spdlog::info(
      "syscalls: timing the calls that start during {} ms windows, 1/{} of the time "
      "(--syscall-latency-sample {}); each timing counts as {} calls",
      kLatencyWindow.count(), latency_every_, latency_every_, latency_every_);
  auto begin = Clock::now();
  bool open = OpenWindow();
  auto end = Clock::now();
  windows_thread_ = std::thread([this, begin, end, open] {
    pthread_setname_np(pthread_self(), "hp-latency");
    RunLatencyWindows(begin, end, open);
  });
}

bool SyscallsCollector::OpenWindow() {
  const bool refused = RefusedForTesting("hp_sys_enter");
  bpf_link* link = refused ? nullptr : bpf_program__attach(skel_->progs.hp_sys_enter);
  int err = link == nullptr ? (refused ? -EPERM : -errno) : 0;
  std::lock_guard lock(hooks_mu_);
  auto hook = std::find_if(hooks_.begin(), hooks_.end(),
                           [](const HookStatus& h) { return h.name == "hp_sys_enter"; });
  if (link == nullptr) {
    ++windows_.attach_failures;
    if (hook != hooks_.end() && hook->attached) {
      hook->attached = false;
      hook->error = "latency window: " + LibbpfError(err);
      spdlog::error(
          "syscalls: cannot attach hp_sys_enter for a latency sampling window: {}; latency "
          "is not sampled until it can (retrying after each gap; "
          "--syscall-latency-sample 1 keeps it attached from the start instead)",
          LibbpfError(err));
    }
    return false;
  }
  skel_->links.hp_sys_enter = link;
  if (hook != hooks_.end() && !hook->attached) {
    hook->attached = true;
    hook->error.clear();
    spdlog::info("syscalls: hp_sys_enter attaches again; latency sampling resumed");
  }
  return true;
}

bool SyscallsCollector::SleepOrStop(std::chrono::nanoseconds d) {
  std::unique_lock lock(stop_mu_);
  return stop_cv_.wait_for(lock, d, [this] { return stopping_; });
}

// Each window is attached from about the middle of the attach call to about
// the middle of the detach call; that is the time counted, and the next gap
// is scaled to it, so that the windows cover 1/latency_every_ of the time
// however long attaching takes.
void SyscallsCollector::RunLatencyWindows(Clock::time_point attach_begin, Clock::time_point attach_end,
                                          bool open) {
  std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (;;) {
    std::chrono::nanoseconds opened = kLatencyWindow;
    if (open) {
      if (SleepOrStop(kLatencyWindow)) return;
      auto detach_begin = Clock::now();
      bpf_link__destroy(skel_->links.hp_sys_enter);
      skel_->links.hp_sys_enter = nullptr;
      auto detach_end = Clock::now();
      opened = ((detach_begin - attach_begin) + (detach_end - attach_end)) / 2;
      std::lock_guard lock(hooks_mu_);
      windows_.attached_seconds += std::chrono::duration<double>(opened).count();
      ++windows_.windows;
    }
    if (SleepOrStop(LatencyWindowGap(latency_every_, opened, uniform(rng)))) return;
    attach_begin = Clock::now();
    open = OpenWindow();
    attach_end = Clock::now();
  }
}

CollectorHealth SyscallsCollector::health() {
  // This process makes syscalls all the time (at the very least to answer
  // these checks), so a counter that stopped moving for seconds means events
  // are lost.
  const auto calls = [this]() -> Result<uint64_t> {
    auto snap = ReadSyscalls();
    if (!snap) return snap.error();
    uint64_t total = 0;
    for (const auto& sc : snap->syscalls) total += sc.calls;
    return total;
  };
  return LiveEventsHealth(hooks(), calls, stall_, "no syscall events for more than 2 s");
}

Result<SyscallSnapshot> SyscallsCollector::ReadSyscalls() {
  SyscallSnapshot snap;

  // Per-cgroup hash first, the per-CPU batches (in the per-syscall array)
  // second: see CgroupCountMerger for why this order.
  std::vector<CgroupSyscallCounts> flushed;
  // Shared by all CPUs: one value per cgroup (see syscalls.bpf.c).
  ForEachEntry<uint64_t, hp_cgroup_stats>(bpf_map__fd(skel_->maps.cgroup_syscalls),
                                          [&](uint64_t id, const hp_cgroup_stats& v) {
                                            flushed.push_back({id, v.calls, v.errors});
                                          });

  // Per-(CPU, syscall) counters, in place; the programs keep writing them,
  // so each field is loaded once, whole.
  std::vector<SyscallCounts> by_id(HP_MAX_SYSCALLS);
  std::vector<CgroupSyscallCounts> pending;
  auto load = [](const auto& field) { return __atomic_load_n(&field, __ATOMIC_RELAXED); };
  const int hot_fd = bpf_map__fd(skel_->maps.syscall_hot);
  hp_syscall_hot copy{}, again{};  // again: re-reads of a batch without mmap
  for (uint32_t cpu = 0; cpu < ncpus_; ++cpu) {
    for (uint32_t id = 0; id < HP_MAX_SYSCALLS; ++id) {
      const uint32_t key = cpu * HP_MAX_SYSCALLS + id;
      if (hot_ == nullptr && bpf_map_lookup_elem(hot_fd, &key, &copy) != 0)
        return Error::FromErrno("read syscall_hot");
      const hp_syscall_hot& h = hot_ != nullptr ? hot_[key] : copy;
      uint64_t calls = load(h.calls);
      if (calls == 0) continue;  // never called on this CPU: nothing else is set
      by_id[id].calls += calls;
      by_id[id].errors += load(h.errors);
      if (load(h.batch_calls) == 0) continue;
      // The batch's count and its cgroup must come from one batch: a
      // seqlock read against the program's flushes (batch_seq).
      auto batch = ReadPendingBatch([&]() -> PendingBatchRead {
        PendingBatchRead r;
        if (hot_ != nullptr) {
          r.seq_before = __atomic_load_n(&h.batch_seq, __ATOMIC_ACQUIRE);
          r.batch = {load(h.batch_cgroup_id), load(h.batch_calls), load(h.batch_errors)};
          __atomic_thread_fence(__ATOMIC_ACQUIRE);
          r.seq_after = load(h.batch_seq);
          return r;
        }
        // Without mmap, each lookup copies the entry in no set order: the
        // batch of the second copy lies between the sequence numbers of the
        // first and the third.
        hp_syscall_hot first{}, third{};
        if (bpf_map_lookup_elem(hot_fd, &key, &first) != 0 ||
            bpf_map_lookup_elem(hot_fd, &key, &again) != 0 || bpf_map_lookup_elem(hot_fd, &key, &third) != 0)
          return {1, {}, 1};  // odd: not a reading
        r.seq_before = first.batch_seq;
        r.batch = {again.batch_cgroup_id, again.batch_calls, again.batch_errors};
        r.seq_after = third.batch_seq;
        return r;
      });
      if (batch && batch->calls != 0) pending.push_back(*batch);
    }
  }
  // Latency rows of the same layout: only those of syscalls that were
  // called hold anything (a timed call is a call, counted first).
  auto add_latency = [&](uint32_t id, const hp_syscall_latency& x) {
    by_id[id].latency_sum_ns += load(x.sum_ns);
    for (size_t b = 0; b < HP_LATENCY_BUCKETS; ++b)
      by_id[id].latency_slots[LatencyBucketSlot(b)] += load(x.buckets[b]);
  };
  if (latency_ != nullptr) {
    for (uint32_t id = 0; id < HP_MAX_SYSCALLS; ++id) {
      if (by_id[id].calls == 0) continue;
      for (uint32_t cpu = 0; cpu < ncpus_; ++cpu) add_latency(id, latency_[cpu * HP_MAX_SYSCALLS + id]);
    }
  } else {
    ForEachEntry<uint32_t, hp_syscall_latency>(bpf_map__fd(skel_->maps.syscall_latency),
                                               [&](uint32_t key, const hp_syscall_latency& x) {
                                                 const uint32_t id = key % HP_MAX_SYSCALLS;
                                                 if (by_id[id].calls != 0) add_latency(id, x);
                                               });
  }
  for (uint32_t id = 0; id < HP_MAX_SYSCALLS; ++id) {
    if (by_id[id].calls == 0) continue;
    by_id[id].id = id;
    snap.syscalls.push_back(by_id[id]);
  }
  {
    std::lock_guard lock(merge_mu_);
    snap.cgroups = merger_.Merge(flushed, pending);
  }

  // Per-(syscall, errno) hash.
  ForEachPerCpuEntry<hp_errno_key, uint64_t>(bpf_map__fd(skel_->maps.syscall_errnos),
                                             [&](const hp_errno_key& key, std::span<const uint64_t> v) {
                                               SyscallErrnoCount ec{key.syscall_id, key.errno_value, 0};
                                               for (uint64_t x : v) ec.count += x;
                                               snap.errnos.push_back(ec);
                                             });

  // The program's own failure counters.
  if (Status st = ReadSelfStats(bpf_map__fd(skel_->maps.syscall_self_stats), snap.self_stats); !st.ok())
    return st.error();
  std::lock_guard lock(hooks_mu_);
  snap.latency_windows = windows_;
  return snap;
}

void SyscallsCollector::ForgetCgroups(const std::vector<uint64_t>& ids) {
  DeleteKeys(bpf_map__fd(skel_->maps.cgroup_syscalls), ids);
  std::lock_guard lock(merge_mu_);
  merger_.Forget(ids);
}

namespace {

// One shared value: the maps are not per CPU.
void AddHttpStats(HttpStats& to, const hp_http_stats& x) {
  to.count += x.count;
  to.sum_ns += x.sum_ns;
  for (size_t i = 0; i < HP_LATENCY_SLOTS; ++i) to.slots[i] += x.slots[i];
}

}  // namespace

Result<HttpSnapshot> SyscallsCollector::ReadHttp() {
  HttpSnapshot snap;
#if defined(__x86_64__)
  // Only hp_sys_exit (tp_btf) fills these maps.
  snap.available = family_ == "tp_btf";
#endif
  if (!snap.available) return snap;
  ForEachEntry<hp_http_server_key, hp_http_stats>(bpf_map__fd(skel_->maps.http_server),
                                                  [&](const hp_http_server_key& k, const hp_http_stats& v) {
                                                    HttpServerCounts c;
                                                    c.cgroup_id = k.cgroup_id;
                                                    c.port = k.port;
                                                    c.status_class = k.status_class;
                                                    AddHttpStats(c.stats, v);
                                                    snap.server.push_back(std::move(c));
                                                  });
  ForEachEntry<hp_http_client_key, hp_http_stats>(bpf_map__fd(skel_->maps.http_client),
                                                  [&](const hp_http_client_key& k, const hp_http_stats& v) {
                                                    HttpClientCounts c;
                                                    c.cgroup_id = k.cgroup_id;
                                                    c.comm.assign(k.comm, strnlen(k.comm, sizeof(k.comm)));
                                                    c.status_class = k.status_class;
                                                    AddHttpStats(c.stats, v);
                                                    snap.client.push_back(std::move(c));
                                                  });
  if (Status st = ReadSelfStats(bpf_map__fd(skel_->maps.http_self_stats), snap.self_stats); !st.ok())
    return st.error();
  return snap;
}

void SyscallsCollector::ForgetHttpCgroups(const std::vector<uint64_t>& ids) {
  const std::unordered_set<uint64_t> gone(ids.begin(), ids.end());
  std::vector<hp_http_server_key> server;
  ForEachEntry<hp_http_server_key, hp_http_stats>(bpf_map__fd(skel_->maps.http_server),
                                                  [&](const hp_http_server_key& k, const hp_http_stats&) {
                                                    if (gone.count(k.cgroup_id)) server.push_back(k);
                                                  });
  DeleteKeys(bpf_map__fd(skel_->maps.http_server), server);
  std::vector<hp_http_client_key> client;
  ForEachEntry<hp_http_client_key, hp_http_stats>(bpf_map__fd(skel_->maps.http_client),
                                                  [&](const hp_http_client_key& k, const hp_http_stats&) {
                                                    if (gone.count(k.cgroup_id)) client.push_back(k);
                                                  });
  DeleteKeys(bpf_map__fd(skel_->maps.http_client), client);
}

}  // namespace hostprobe
