#include "collectors/process_events_collector.h"

#include <bpf/btf.h>

#include <algorithm>
#include <unordered_set>

#include "collectors/bpf_loader.h"
#include "collectors/bpf_util.h"
#include "collectors/libbpf_log.h"
#include "process_events.skel.h"

namespace hostprobe {

static_assert(sizeof(hp_crash_key) == 16);
static_assert(sizeof(hp_proc_cgroup_stats) == 16);
static_assert(sizeof(hp_exit_key) == 16);
static_assert(sizeof(hp_cgroup_name) == 8 + HP_CGROUP_NAME_LEN);

namespace {

constexpr const char* kName = "process_events";

bool HasTracepoint(const btf* vmlinux, const char* tp) {
  // tp_btf attaches through the tracepoint's typedef btf_trace_<name>.
  return btf__find_by_name_kind(vmlinux, (std::string("btf_trace_") + tp).c_str(), BTF_KIND_TYPEDEF) >= 0;
}

// True when the first tracepoint argument of `typedef_id` (a btf_trace_<tp>
// typedef: pointer to void (*)(void *, arg1, ...)) is a pointer.
bool FirstArgIsPointer(const btf* vmlinux, int typedef_id) {
  const btf_type* t = btf__type_by_id(vmlinux, static_cast<__u32>(typedef_id));
  if (t == nullptr) return true;
  t = btf__type_by_id(vmlinux, t->type);
  if (t == nullptr || !btf_is_ptr(t)) return true;
  const btf_type* proto = btf__type_by_id(vmlinux, t->type);
  if (proto == nullptr || !btf_is_func_proto(proto) || btf_vlen(proto) < 2) return true;
  int arg = btf__resolve_type(vmlinux, btf_params(proto)[1].type);
  if (arg < 0) return true;
  const btf_type* arg_type = btf__type_by_id(vmlinux, static_cast<__u32>(arg));
  return arg_type != nullptr && btf_is_ptr(arg_type);
}

}  // namespace

std::string ProcessEventsKernel::Describe() const {
  std::string s = "tp_btf sched_process_exit/exec: ";
  s += exit_exec_tp_btf ? "yes" : "no";
  s += ", tp_btf mark_victim: ";
  s += mark_victim_tp_btf ? "yes" : "no";
  s += mark_victim_has_task ? " (task argument)" : " (pid argument; victims found by their SIGKILL)";
  return s;
}

ProcessEventsKernel ProbeProcessEventsKernel() {
  ProcessEventsKernel k;
  btf* vmlinux = btf__load_vmlinux_btf();
  if (vmlinux == nullptr) return k;
  k.exit_exec_tp_btf =
      HasTracepoint(vmlinux, "sched_process_exit") && HasTracepoint(vmlinux, "sched_process_exec");
  int mark_victim = btf__find_by_name_kind(vmlinux, "btf_trace_mark_victim", BTF_KIND_TYPEDEF);
  k.mark_victim_tp_btf = mark_victim >= 0;
  if (mark_victim >= 0) k.mark_victim_has_task = FirstArgIsPointer(vmlinux, mark_victim);
  k.signal_generate_tp_btf = HasTracepoint(vmlinux, "signal_generate");
  btf__free(vmlinux);
  return k;
}

void ProcessEventsCollector::SkelDeleter::operator()(process_events_bpf* s) const {
  process_events_bpf__destroy(s);
}

Result<std::unique_ptr<ProcessEventsCollector>> ProcessEventsCollector::Start(HookMode mode,
                                                                              const BpfFeatures& features) {
  return Start(mode, features, ProbeProcessEventsKernel());
}

Result<std::unique_ptr<ProcessEventsCollector>> ProcessEventsCollector::Start(
    HookMode mode, const BpfFeatures& features, const ProcessEventsKernel& kernel) {
  spdlog::info("{}: kernel: {}", kName, kernel.Describe());
  return StartWithHookMode<std::unique_ptr<ProcessEventsCollector>>(
      kName, mode, kernel.exit_exec_tp_btf, features,
      [&kernel, &features](bool use_tp_btf) { return StartWith(use_tp_btf, kernel, features); });
}

Result<std::unique_ptr<ProcessEventsCollector>> ProcessEventsCollector::StartWith(
    bool use_tp_btf, const ProcessEventsKernel& kernel, const BpfFeatures& features) {
  std::unique_ptr<ProcessEventsCollector> c(new ProcessEventsCollector());
  if (Status st = OpenSkeleton(kName, c->skel_, process_events_bpf__open_opts); !st.ok()) return st.error();
  process_events_bpf* s = c->skel_.get();
  s->rodata->mark_victim_has_task = kernel.mark_victim_has_task;
  const LoadPlan plan{
      kName,
      s->skeleton,
      {
          BpfHook::Tracepoint("sched_process_exit", {s->progs.hp_exit, &s->links.hp_exit},
                              {s->progs.hp_exit_raw, &s->links.hp_exit_raw}),
          BpfHook::Tracepoint("sched_process_exec", {s->progs.hp_exec, &s->links.hp_exec},
                              {s->progs.hp_exec_raw, &s->links.hp_exec_raw}),
          // Left out with tp_btf hooks where the kernel lacks mark_victim, and
          // reported.
          BpfHook::Tracepoint("mark_victim", {s->progs.hp_oom_kill, &s->links.hp_oom_kill},
                              {s->progs.hp_oom_kill_raw, &s->links.hp_oom_kill_raw})
              .TpBtfAvailable(kernel.mark_victim_tp_btf)
              .WithoutFallback("OOM kills are not counted", "the kernel has no mark_victim tracepoint"),
          // Where mark_victim gives only a pid, the victim's cgroup comes from
          // the SIGKILL the OOM killer sends it first.
          BpfHook::Tracepoint("signal_generate", {s->progs.hp_oom_signal, &s->links.hp_oom_signal},
                              {s->progs.hp_oom_signal_raw, &s->links.hp_oom_signal_raw})
              .Wanted(!kernel.mark_victim_has_task)
              .TpBtfAvailable(kernel.signal_generate_tp_btf),
      }};
  if (Status st = TakeHooks(LoadAndAttach(plan, use_tp_btf, features), c->family_, c->hooks_); !st.ok())
    return st.error();
  return c;
}

ProcessEventsCollector::~ProcessEventsCollector() = default;

CollectorHealth ProcessEventsCollector::health() {
  return AttachedAndReadable(hooks_, bpf_map__fd(skel_->maps.process_events_self_stats), HP_PE_STAT__COUNT);
}

Result<ProcessEventsSnapshot> ProcessEventsCollector::ReadProcessEvents() {
  ProcessEventsSnapshot snap;
  // Shared maps: one value per key for all CPUs (see process_events.bpf.c).
  ForEachEntry<hp_crash_key, uint64_t>(bpf_map__fd(skel_->maps.process_crashes),
                                       [&](const hp_crash_key& key, uint64_t count) {
                                         snap.crashes.push_back({key.cgroup_id, key.signal, count});
                                       });
  ForEachEntry<uint64_t, hp_proc_cgroup_stats>(bpf_map__fd(skel_->maps.process_cgroups),
                                               [&](uint64_t id, const hp_proc_cgroup_stats& v) {
                                                 snap.cgroups.push_back({id, v.execs, v.oom_kills});
                                               });
  if (Status st = ReadSelfStats(bpf_map__fd(skel_->maps.process_events_self_stats), snap.self_stats);
      !st.ok())
    return st.error();
  return snap;
}

void ProcessEventsCollector::ForgetCgroups(const std::vector<uint64_t>& ids) {
  DeleteKeys(bpf_map__fd(skel_->maps.process_cgroups), ids);
  // Crash keys carry the cgroup with the signal: find this cgroup's.
  const std::unordered_set<uint64_t> gone(ids.begin(), ids.end());
  std::vector<hp_crash_key> keys;
  ForEachEntry<hp_crash_key, uint64_t>(bpf_map__fd(skel_->maps.process_crashes),
                                       [&](const hp_crash_key& key, uint64_t) {
                                         if (gone.count(key.cgroup_id) != 0) keys.push_back(key);
                                       });
  DeleteKeys(bpf_map__fd(skel_->maps.process_crashes), keys);
}

std::optional<LearnedCgroup> ProcessEventsCollector::LookupCgroupName(uint64_t cgroup_id) {
  hp_cgroup_name entry{};
  if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.cgroup_names), &cgroup_id, &entry) != 0)
    return std::nullopt;
  entry.name[sizeof(entry.name) - 1] = '\0';
  return LearnedCgroup{entry.parent_id, std::string(entry.name)};
}

}  // namespace hostprobe
