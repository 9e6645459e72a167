#include "collectors/bpf_loader.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <utility>

#include "collectors/libbpf_log.h"

namespace hostprobe {

BpfHook BpfHook::Tracepoint(std::string tracepoint, BpfProgramSlot tp_btf, BpfProgramSlot raw_tp) {
  BpfHook h;
  h.tracepoint = std::move(tracepoint);
  h.tp_btf = tp_btf;
  h.raw_tp = raw_tp;
  return h;
}

BpfHook BpfHook::Always(std::string attach, BpfProgramSlot program) {
  BpfHook h;
  h.always_attach = std::move(attach);
  h.always = program;
  return h;
}

BpfHook& BpfHook::Wanted(bool w) {
  wanted = w;
  return *this;
}

BpfHook& BpfHook::TpBtfAvailable(bool available) {
  tp_btf_available = available;
  return *this;
}

BpfHook& BpfHook::WithoutFallback(std::string effect, std::string reason) {
  missing_effect = std::move(effect);
  missing_reason = std::move(reason);
  return *this;
}

namespace {

enum class Choice { kNone, kTpBtf, kRawTp, kAlways, kMissing };

Choice Choose(const BpfHook& h, bool use_tp_btf) {
  if (!h.wanted) return Choice::kNone;
  if (h.always.program != nullptr) return Choice::kAlways;
  if (use_tp_btf && h.tp_btf_available) return h.tp_btf.program != nullptr ? Choice::kTpBtf : Choice::kNone;
  if (use_tp_btf && !h.missing_reason.empty()) return Choice::kMissing;
  return h.raw_tp.program != nullptr ? Choice::kRawTp : Choice::kNone;
}

void SetAutoload(const BpfProgramSlot& slot, bool load) {
  if (slot.program != nullptr) bpf_program__set_autoload(slot.program, load);
}

}  // namespace

Result<LoadedHooks> LoadAndAttach(const LoadPlan& plan, bool use_tp_btf, const BpfFeatures& features,
                                  const std::function<Status()>& after_load) {
  LoadedHooks out;
  out.family = use_tp_btf ? "tp_btf" : "raw_tp";
  bpf_object* obj = *plan.skeleton->obj;

  // Configure: which programs load, how maps are allocated.
  std::vector<Choice> choices;
  choices.reserve(plan.hooks.size());
  for (const BpfHook& h : plan.hooks) {
    const Choice c = Choose(h, use_tp_btf);
    choices.push_back(c);
    SetAutoload(h.always, c == Choice::kAlways);
    SetAutoload(h.tp_btf, c == Choice::kTpBtf);
    SetAutoload(h.raw_tp, c == Choice::kRawTp);
  }
  ConfigureMapAllocation(plan.collector, obj, features);
  ApplyTestMaxEntries(plan.collector, obj);

  // Load (the verifier).
  if (int err = bpf_object__load_skeleton(plan.skeleton); err != 0)
    return LibbpfFailure("load " + plan.collector + " BPF programs (" + out.family + ")", err);
  if (after_load)
    if (Status st = after_load(); !st.ok()) return st.error();

  // Attach, each program on its own.
  std::vector<AttachSpec> specs;
  std::vector<const BpfHook*> missing;  // reported after the attached ones
  for (size_t i = 0; i < plan.hooks.size(); ++i) {
    const BpfHook& h = plan.hooks[i];
    switch (choices[i]) {
      case Choice::kNone:
        break;
      case Choice::kAlways:
        specs.push_back({h.always.program, h.always.link, h.always_attach});
        break;
      case Choice::kTpBtf:
        specs.push_back({h.tp_btf.program, h.tp_btf.link, "tp_btf/" + h.tracepoint});
        break;
      case Choice::kRawTp:
        specs.push_back({h.raw_tp.program, h.raw_tp.link, "raw_tp/" + h.tracepoint});
        break;
      case Choice::kMissing:
        missing.push_back(&h);
        break;
    }
  }
  out.hooks = AttachPrograms(plan.collector, specs);
  for (const BpfHook* h : missing) {
    out.hooks.push_back({bpf_program__name(h->tp_btf.program), "tp_btf/" + h->tracepoint, false,
                         h->missing_reason, -1, /*optional=*/true});
    spdlog::error("{}: {}: {}", plan.collector, h->missing_effect, h->missing_reason);
  }
  if (CountAttached(out.hooks) == 0) {
    const std::string why = out.hooks.empty() ? "no program to attach" : out.hooks.front().error;
    return Error{"attach " + plan.collector + " programs (" + out.family + "): " + why, EPERM};
  }
  return out;
}

Status TakeHooks(Result<LoadedHooks> loaded, std::string& family, std::vector<HookStatus>& hooks) {
  if (!loaded) return loaded.error();
  family = std::move(loaded->family);
  hooks = std::move(loaded->hooks);
  return Ok{};
}

}  // namespace hostprobe
