#include "collectors/uprobe_collector.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "collectors/bpf_util.h"
#include "collectors/libbpf_log.h"
#include "uprobes.skel.h"

namespace hostprobe {

static_assert(sizeof(hp_probe_stats) == 8 * (2 + HP_LATENCY_SLOTS));
static_assert(sizeof(hp_probe_inflight_key) == 16);
static_assert(kMaxProbes == HP_MAX_PROBES, "the parser's limit is the kernel array's size");

namespace {

constexpr const char* kName = "uprobes";
constexpr const char* kUsdtProgram = "hp_probe_usdt";

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

// Why attaching `spec` failed, in terms an operator can act on, with the
// errno main uses to tell a bad --probe from a kernel that refused us (see
// IsProbeConfigError). libbpf says ENOENT both for a missing binary and for a
// missing symbol; tell them apart.
Error AttachFailure(const ProbeSpec& spec, int err) {
  std::string what = spec.kind == ProbeKind::kUsdt
                         ? "USDT probe " + Quote(spec.usdt_provider + ":" + spec.usdt_name)
                         : "symbol " + Quote(spec.symbol);
  std::string head =
      "probe " + Quote(spec.name) + ": cannot attach to " + what + " in " + Quote(spec.binary) + ": ";
  // A bare name is looked up in PATH by libbpf, so only a path can be checked here.
  const bool is_path = spec.binary.find('/') != std::string::npos;
  if (err == ENOENT && is_path && access(spec.binary.c_str(), F_OK) != 0)
    return {head + "no such file", ENOENT};
  if (err == ENOENT) {
    return {
        head + (spec.kind == ProbeKind::kUsdt ? "the binary has no such USDT probe (see readelf -n)"
                                              : "the binary has no such function symbol (see nm / nm -D)"),
        ENOENT};
  }
  // libbpf's "BPF object format invalid" is about the target here.
  if (err == LIBBPF_ERRNO__FORMAT) return {head + "not an ELF executable or shared library", ENOEXEC};
  std::string reason = LastLibbpfWarning();
  return {head + LibbpfError(-err) + (reason.empty() ? "" : " [" + reason + "]"), err};
}

}  // namespace

void UprobeCollector::SkelDeleter::operator()(uprobes_bpf* s) const { uprobes_bpf__destroy(s); }
void UprobeCollector::LinkDeleter::operator()(bpf_link* l) const { bpf_link__destroy(l); }

bool UprobeCollector::IsProbeConfigError(const Error& e) {
  return e.err == ENOENT || e.err == ENOEXEC || e.err == ENOTSUP;
}

bool UprobeCollector::UsdtSupported() {
  uprobes_bpf* s = uprobes_bpf__open_opts(SkeletonOpenOpts());
  if (s == nullptr) return false;
  bool found = bpf_object__find_program_by_name(s->obj, kUsdtProgram) != nullptr;
  uprobes_bpf__destroy(s);
  return found;
}

Result<std::unique_ptr<UprobeCollector>> UprobeCollector::Start(const std::vector<ProbeSpec>& probes) {
  if (probes.empty()) return Error{"no probes to attach", EINVAL};
  if (probes.size() > HP_MAX_PROBES)
    return Error{
        "too many probes: " + std::to_string(probes.size()) + ", at most " + std::to_string(HP_MAX_PROBES),
        EINVAL};

  std::unique_ptr<UprobeCollector> c(new UprobeCollector());
  c->probes_ = probes;
  BeginLibbpfOperation();
  c->skel_.reset(uprobes_bpf__open_opts(SkeletonOpenOpts()));
  if (!c->skel_) return Error::FromErrno("open uprobes BPF object");
  uprobes_bpf* s = c->skel_.get();

  // Load only the programs some probe needs.
  size_t n_uprobe = 0, n_latency = 0, n_usdt = 0;
  for (const ProbeSpec& p : probes) {
    if (p.kind == ProbeKind::kUsdt)
      ++n_usdt;
    else
      ++n_uprobe;
    if (p.kind == ProbeKind::kUprobe && p.latency) ++n_latency;
  }
  bpf_program* usdt = bpf_object__find_program_by_name(s->obj, kUsdtProgram);
  if (n_usdt > 0 && usdt == nullptr) {
    for (const ProbeSpec& p : probes) {
      if (p.kind == ProbeKind::kUsdt)
        return Error{"probe " + Quote(p.name) +
                         ": this build has no USDT support: its BPF object was compiled without "
                         "<asm/errno.h>; build with the multiarch include directory (see bpf/uprobes.bpf.c)",
                     ENOTSUP};
    }
  }
  bpf_program__set_autoload(s->progs.hp_probe_entry, n_uprobe > 0);
  bpf_program__set_autoload(s->progs.hp_probe_return, n_latency > 0);
  if (usdt != nullptr) bpf_program__set_autoload(usdt, n_usdt > 0);

  if (int err = uprobes_bpf__load(s); err != 0) {
    return LibbpfFailure("load uprobes BPF programs", err);
  }

  for (size_t i = 0; i < probes.size(); ++i) {
    const ProbeSpec& p = probes[i];
    const uint64_t slot = i;
    int err = 0;
    BeginLibbpfOperation();  // AttachFailure quotes this probe's warning, never an earlier one's
    // libbpf reports why an attach failed through errno; read it at once.
    auto keep = [&](bpf_link* link) {
      if (link == nullptr) {
        err = errno != 0 ? errno : EINVAL;
        return false;
      }
      c->links_.emplace_back(link);
      return true;
    };
    bool ok;
    if (p.kind == ProbeKind::kUsdt) {
      bpf_usdt_opts opts{};
      opts.sz = sizeof(opts);
      opts.usdt_cookie = slot;
      ok = keep(bpf_program__attach_usdt(usdt, -1, p.binary.c_str(), p.usdt_provider.c_str(),
                                         p.usdt_name.c_str(), &opts));
    } else {
      bpf_uprobe_opts opts{};
      opts.sz = sizeof(opts);
      opts.func_name = p.symbol.c_str();
      opts.retprobe = false;
      opts.bpf_cookie = slot | (p.latency ? HP_PROBE_COOKIE_LATENCY : 0);
      ok = keep(bpf_program__attach_uprobe_opts(s->progs.hp_probe_entry, -1, p.binary.c_str(), 0, &opts));
      if (ok && p.latency) {
        opts.retprobe = true;
        opts.bpf_cookie = slot;
        ok = keep(bpf_program__attach_uprobe_opts(s->progs.hp_probe_return, -1, p.binary.c_str(), 0, &opts));
      }
    }
    if (!ok) {
      Error e = AttachFailure(p, err);
      spdlog::error("{}: {}", kName, e.message);
      return e;
    }
    spdlog::info("{}: attached probe {}", kName, p.ToString());
  }

  if (n_uprobe > 0)
    c->hooks_.push_back({"hp_probe_entry", "uprobe (" + std::to_string(n_uprobe) + " probes)", true, "",
                         bpf_program__fd(s->progs.hp_probe_entry)});
  if (n_latency > 0)
    c->hooks_.push_back({"hp_probe_return", "uretprobe (" + std::to_string(n_latency) + " probes)", true, "",
                         bpf_program__fd(s->progs.hp_probe_return)});
  if (n_usdt > 0)
    c->hooks_.push_back(
        {kUsdtProgram, "usdt (" + std::to_string(n_usdt) + " probes)", true, "", bpf_program__fd(usdt)});
  return c;
}

UprobeCollector::~UprobeCollector() = default;

CollectorHealth UprobeCollector::health() {
  // A probed function may not run for hours; readable maps are what can be checked.
  return AttachedAndReadable(hooks_, bpf_map__fd(skel_->maps.uprobe_self_stats), HP_UP_STAT__COUNT);
}

Result<ProbeSnapshot> UprobeCollector::ReadProbes() {
  ProbeSnapshot snap;
  const int fd = bpf_map__fd(skel_->maps.probe_stats);
  std::vector<hp_probe_stats> per_cpu(static_cast<size_t>(libbpf_num_possible_cpus()));
  for (uint32_t i = 0; i < probes_.size(); ++i) {
    if (bpf_map_lookup_elem(fd, &i, per_cpu.data()) != 0) return Error::FromErrno("read probe_stats");
    ProbeCounts p;
    p.name = probes_[i].name;
    p.latency = probes_[i].kind == ProbeKind::kUprobe && probes_[i].latency;
    for (const hp_probe_stats& v : per_cpu) {
      p.calls += v.calls;
      p.latency_sum_ns += v.latency_sum_ns;
      for (size_t k = 0; k < HP_LATENCY_SLOTS; ++k) p.latency_slots[k] += v.latency_slots[k];
    }
    snap.probes.push_back(std::move(p));
  }
  if (Status st = ReadSelfStats(bpf_map__fd(skel_->maps.uprobe_self_stats), snap.self_stats); !st.ok())
    return st.error();
  return snap;
}

}  // namespace hostprobe
