#include "core/collector.h"

namespace hostprobe {

std::optional<CollectorHealth> DetachedHook(const std::vector<HookStatus>& hooks) {
  for (const HookStatus& h : hooks) {
    if (!h.attached)
      return CollectorHealth{false, "program " + h.name + " not attached to " + h.attach + ": " + h.error};
  }
  return std::nullopt;
}

HealthReport CheckHealth(const std::vector<CollectorSlot>& slots) {
  HealthReport report{true, ""};
  for (const CollectorSlot& slot : slots) {
    if (slot.live == nullptr) {
      report.healthy = false;
      report.text += slot.name + ": not running: " + slot.failure + "\n";
      continue;
    }
    CollectorHealth h = slot.live->health();
    if (!h.healthy) {
      report.healthy = false;
      report.text += slot.name + ": " + h.reason + "\n";
    }
  }
  if (report.healthy) report.text = "ok\n";
  return report;
}

}  // namespace hostprobe
