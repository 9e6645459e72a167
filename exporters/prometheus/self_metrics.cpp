#include "exporters/prometheus/self_metrics.h"

#include "exporters/prometheus/family_builder.h"

namespace hostprobe {

using prometheus::MetricType;

std::vector<prometheus::MetricFamily> SelfMetrics::Collect() const {
  auto build = MakeFamily("hostprobe_build_info", "Build of the running sensor; value is always 1.",
                          MetricType::Gauge);
  AddGauge(build, {{"version", HOSTPROBE_VERSION}}, 1);

  auto attached = MakeFamily("hostprobe_bpf_program_attached",
                             "1 when the kernel program is attached, 0 when it failed to load or attach.",
                             MetricType::Gauge);
  auto up = MakeFamily("hostprobe_collector_up", "1 when the collector started, 0 when it failed to.",
                       MetricType::Gauge);
  for (const CollectorSlot& slot : slots_) {
    AddGauge(up, {{"collector", slot.name}}, slot.live != nullptr ? 1 : 0);
    if (slot.live == nullptr) continue;
    for (const HookStatus& h : slot.live->hooks())
      AddGauge(attached, {{"program", h.name}}, h.attached ? 1 : 0);
  }
  return {std::move(build), std::move(attached), std::move(up)};
}

}  // namespace hostprobe
