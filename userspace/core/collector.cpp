#include "core/collector.h"

namespace hostprobe {

bool StallWatch::Stalled(uint64_t total, std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mu_);
  if (!seen_ || total != total_) {
    seen_ = true;
    total_ = total;
    changed_ = now;
    return false;
  }
  return now - changed_ > grace_;
}

std::optional<CollectorHealth> DetachedHook(const std::vector<HookStatus>& hooks) {
  for (const HookStatus& h : hooks) {
    if (!h.attached && !h.optional)
      return CollectorHealth{false, "program " + h.name + " not attached to " + h.attach + ": " + h.error};
  }
  return std::nullopt;
}

std::optional<std::string> OptionalHookMissing(const std::vector<HookStatus>& hooks) {
  for (const HookStatus& h : hooks) {
    if (!h.attached && h.optional)
      return "program " + h.name + " not attached to " + h.attach + ": " + h.error;
  }
  return std::nullopt;
}

CollectorStatus StatusOf(const CollectorSlot& slot) {
  const CollectorState failing = slot.optional ? CollectorState::kDegraded : CollectorState::kFailing;
  if (slot.live == nullptr) return {failing, "not running: " + slot.failure, false};
  CollectorHealth h = slot.live->health();
  if (!h.healthy) return {failing, h.reason, false};
  if (auto missing = OptionalHookMissing(slot.live->hooks()))
    return {CollectorState::kDegraded, *missing, true};
  return {};
}

HealthReport CheckHealth(const std::vector<CollectorSlot>& slots) {
  HealthReport report{true, false, ""};
  std::string failing, degraded;
  for (const CollectorSlot& slot : slots) {
    CollectorStatus st = StatusOf(slot);
    if (st.state == CollectorState::kFailing) {
      report.healthy = false;
      failing += slot.name + ": " + st.reason + "\n";
    } else if (st.state == CollectorState::kDegraded) {
      report.degraded = true;
      degraded += slot.name + ": " + st.reason + " (degraded)\n";
    }
  }
  if (!report.healthy)
    report.text = failing + degraded;
  else if (report.degraded)
    report.text = "degraded\n" + degraded;
  else
    report.text = "ok\n";
  return report;
}

}  // namespace hostprobe
