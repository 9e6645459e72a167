#include "collectors/cgroup_cpu_collector.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <time.h>

#include <algorithm>

#include "cgroup_cpu.skel.h"
#include "collectors/bpf_loader.h"
#include "collectors/bpf_util.h"
#include "collectors/libbpf_log.h"

namespace hostprobe {

static_assert(sizeof(hp_cpu_running) == 16);

void CgroupCpuCollector::SkelDeleter::operator()(cgroup_cpu_bpf* s) const { cgroup_cpu_bpf__destroy(s); }

Result<std::unique_ptr<CgroupCpuCollector>> CgroupCpuCollector::Start(HookMode mode,
                                                                      const BpfFeatures& features) {
  return StartWithHookMode<std::unique_ptr<CgroupCpuCollector>>(
      "cgroup_cpu", mode, features.HasTpBtf({"sched_switch"}), features,
      [&features](bool use_tp_btf) { return StartWith(use_tp_btf, features); });
}

Result<std::unique_ptr<CgroupCpuCollector>> CgroupCpuCollector::StartWith(bool use_tp_btf,
                                                                          const BpfFeatures& features) {
  std::unique_ptr<CgroupCpuCollector> c(new CgroupCpuCollector());
  if (Status st = OpenSkeleton("cgroup_cpu", c->skel_, cgroup_cpu_bpf__open_opts); !st.ok())
    return st.error();
  cgroup_cpu_bpf* s = c->skel_.get();
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return Error::FromErrno("count possible CPUs", -cpus);
  c->possible_cpus_ = cpus;
  const LoadPlan plan{
      "cgroup_cpu",
      s->skeleton,
      {
          BpfHook::Tracepoint("sched_switch", {s->progs.hp_sched_switch, &s->links.hp_sched_switch},
                              {s->progs.hp_sched_switch_raw, &s->links.hp_sched_switch_raw}),
      }};
  if (Status st = TakeHooks(LoadAndAttach(plan, use_tp_btf, features), c->family_, c->hooks_); !st.ok())
    return st.error();
  return c;
}

CgroupCpuCollector::~CgroupCpuCollector() = default;

CollectorHealth CgroupCpuCollector::health() {
  // Context switches happen continuously on a live host (this process alone
  // sleeps and wakes between two checks), so a total that stopped for
  // seconds is a fault.
  const auto cpu_ns = [this]() -> Result<uint64_t> {
    auto snap = ReadCgroupCpu();
    if (!snap) return snap.error();
    uint64_t total = 0;
    for (const auto& c : snap->cgroups) total += c.ns;
    return total;
  };
  return LiveEventsHealth(hooks_, cpu_ns, stall_, "no context switches seen for more than 2 s");
}

Result<CgroupCpuSnapshot> CgroupCpuCollector::ReadCgroupCpu() {
  CgroupCpuSnapshot snap;
  // Ended slices first, the slices in progress second, the clock last: see
  // CurrentCgroupCpu.
  std::vector<CgroupCpuTime> ended;
  // Shared by all CPUs: one value per cgroup (see cgroup_cpu.bpf.c).
  ForEachEntry<uint64_t, uint64_t>(bpf_map__fd(skel_->maps.cgroup_cpu_ns), [&](uint64_t id, uint64_t ns) {
    ended.push_back({id, ns});
  });
  std::vector<hp_cpu_running> per_cpu(static_cast<size_t>(possible_cpus_));
  const uint32_t key = 0;
  if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.cpu_running), &key, per_cpu.data()) != 0)
    return Error::FromErrno("read cpu_running");
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  std::vector<RunningSlice> running;
  running.reserve(per_cpu.size());
  for (const hp_cpu_running& r : per_cpu) running.push_back({r.cgroup_id, r.since_ns});
  {
    std::lock_guard lock(current_mu_);
    snap.cgroups = current_.Update(
        std::move(ended), running,
        static_cast<uint64_t>(now.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(now.tv_nsec));
  }
  if (Status st = ReadSelfStats(bpf_map__fd(skel_->maps.cgroup_cpu_self_stats), snap.self_stats); !st.ok())
    return st.error();
  return snap;
}

void CgroupCpuCollector::ForgetCgroups(const std::vector<uint64_t>& ids) {
  DeleteKeys(bpf_map__fd(skel_->maps.cgroup_cpu_ns), ids);
  std::lock_guard lock(current_mu_);
  current_.Forget(ids);
}

}  // namespace hostprobe
