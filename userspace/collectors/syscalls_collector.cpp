#include "collectors/syscalls_collector.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "collectors/bpf_util.h"
#include "collectors/libbpf_log.h"
#include "syscalls.skel.h"

namespace hostprobe {

static_assert(sizeof(hp_syscall_stats) == 8 * (9 + HP_LATENCY_SLOTS));
static_assert(sizeof(hp_errno_key) == 8);
static_assert(sizeof(hp_cgroup_stats) == 16);

void SyscallsCollector::SkelDeleter::operator()(syscalls_bpf* s) const {
  syscalls_bpf__destroy(s);  // detaches every link, closes every program and map fd
}

Result<std::unique_ptr<SyscallsCollector>> SyscallsCollector::Start(const Config& config,
                                                                    const BpfFeatures& features) {
  // tp_btf keeps the entry timestamp in task storage; without it, raw_tp.
  const bool tp_btf =
      features.HasTpBtf({"sys_enter", "sys_exit", "sched_migrate_task"}) && features.task_storage;
  return StartWithHookMode<std::unique_ptr<SyscallsCollector>>(
      "syscalls", config.mode, tp_btf, features,
      [&](bool use_tp_btf) { return StartWith(config, use_tp_btf); });
}

Result<std::unique_ptr<SyscallsCollector>> SyscallsCollector::StartWith(const Config& config,
                                                                        bool use_tp_btf) {
  std::unique_ptr<SyscallsCollector> c(new SyscallsCollector());
  c->family_ = use_tp_btf ? "tp_btf" : "raw_tp";

  // Phase 1: open.
  c->skel_.reset(syscalls_bpf__open());
  if (!c->skel_) return Error::FromErrno("open syscalls BPF object");
  syscalls_bpf* s = c->skel_.get();

  // Phase 2: configure before load.
  s->rodata->latency_sample_every = std::max<uint32_t>(config.latency_sample_every, 1);
  bpf_program__set_autoload(s->progs.hp_sys_enter, use_tp_btf);
  bpf_program__set_autoload(s->progs.hp_sys_exit, use_tp_btf);
  bpf_program__set_autoload(s->progs.hp_migrate, use_tp_btf);
  bpf_program__set_autoload(s->progs.hp_sys_enter_raw, !use_tp_btf);
  bpf_program__set_autoload(s->progs.hp_sys_exit_raw, !use_tp_btf);
  bpf_map__set_autocreate(s->maps.inflight_task, use_tp_btf);
  bpf_map__set_autocreate(s->maps.inflight_lru, !use_tp_btf);

  // Phase 3: load (verifier).
  if (int err = syscalls_bpf__load(s); err != 0) {
    return LibbpfFailure("load syscalls BPF programs (" + c->family_ + ")", err);
  }

  // Phase 4: attach.
  if (use_tp_btf) {
    c->hooks_ = AttachPrograms("syscalls",
                               {{s->progs.hp_sys_enter, &s->links.hp_sys_enter, "tp_btf/sys_enter"},
                                {s->progs.hp_sys_exit, &s->links.hp_sys_exit, "tp_btf/sys_exit"},
                                {s->progs.hp_migrate, &s->links.hp_migrate, "tp_btf/sched_migrate_task"}});
  } else {
    c->hooks_ = AttachPrograms("syscalls",
                               {{s->progs.hp_sys_enter_raw, &s->links.hp_sys_enter_raw, "raw_tp/sys_enter"},
                                {s->progs.hp_sys_exit_raw, &s->links.hp_sys_exit_raw, "raw_tp/sys_exit"}});
  }
  if (CountAttached(c->hooks_) == 0)
    return Error{"attach syscalls programs (" + c->family_ + "): " + c->hooks_.front().error, EPERM};
  return c;
}

SyscallsCollector::~SyscallsCollector() = default;

std::vector<HookStatus> SyscallsCollector::hooks() const { return hooks_; }

CollectorHealth SyscallsCollector::health() {
  if (auto detached = DetachedHook(hooks_)) return *detached;
  auto snap = ReadSyscalls();
  if (!snap) return {false, "reading maps failed: " + snap.error().message};
  uint64_t total = 0;
  for (const auto& sc : snap->syscalls) total += sc.calls;
  std::lock_guard lock(health_mu_);
  // This process makes syscalls between two health checks (at the very least
  // to answer them), so a counter that stopped moving means events are lost.
  bool stalled = last_total_calls_ != 0 && total == last_total_calls_;
  last_total_calls_ = total;
  if (stalled) return {false, "no syscall events since the previous check"};
  return {true, ""};
}

Result<SyscallSnapshot> SyscallsCollector::ReadSyscalls() {
  SyscallSnapshot snap;

  // Per-cgroup hash first, the per-CPU batches (in the per-syscall array)
  // second: see CgroupCountMerger for why this order.
  std::vector<CgroupSyscallCounts> flushed;
  ForEachPerCpuEntry<uint64_t, hp_cgroup_stats>(bpf_map__fd(skel_->maps.cgroup_syscalls),
                                                [&](uint64_t id, std::span<const hp_cgroup_stats> v) {
                                                  CgroupSyscallCounts cc{id, 0, 0};
                                                  for (const auto& x : v) {
                                                    cc.calls += x.calls;
                                                    cc.errors += x.errors;
                                                  }
                                                  flushed.push_back(cc);
                                                });

  // Per-syscall array, in batches like the hashes.
  std::vector<CgroupSyscallCounts> pending;
  ForEachPerCpuEntry<uint32_t, hp_syscall_stats>(
      bpf_map__fd(skel_->maps.syscall_stats), [&](uint32_t id, std::span<const hp_syscall_stats> v) {
        SyscallCounts sc;
        sc.id = id;
        for (const auto& x : v) {
          sc.calls += x.calls;
          sc.errors += x.errors;
          sc.latency_sum_ns += x.latency_sum_ns;
          for (size_t i = 0; i < HP_LATENCY_SLOTS; ++i) sc.latency_slots[i] += x.latency_slots[i];
          if (x.batch_calls != 0) pending.push_back({x.batch_cgroup_id, x.batch_calls, x.batch_errors});
        }
        if (sc.calls != 0) snap.syscalls.push_back(sc);
      });
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
  auto self = ReadPerCpuCounters(bpf_map__fd(skel_->maps.syscall_self_stats), HP_STAT__COUNT);
  if (!self) return self.error();
  std::copy(self->begin(), self->end(), snap.self_stats.begin());
  return snap;
}

void SyscallsCollector::ForgetCgroups(const std::vector<uint64_t>& ids) {
  DeleteKeys(bpf_map__fd(skel_->maps.cgroup_syscalls), ids);
  std::lock_guard lock(merge_mu_);
  merger_.Forget(ids);
}

}  // namespace hostprobe
