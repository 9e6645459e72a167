// Pod and container names from the node's pod list (--kubernetes), exported
// as info series to join on pod_uid / container_id. The per-cgroup series
// themselves never carry names: a name that arrives later (a pod listed after
// its first scrape, an API server outage) would change their label set and
// break rate() over them. Not `namespace`/`pod`/`container`: a Prometheus
// operator's PodMonitor puts those on every series as the *sensor's* target
// labels and would rename ours to exported_*.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <functional>
#include <memory>
#include <vector>

#include "core/kube_pods.h"

namespace hostprobe {

// Pure. hostprobe_pod_info{pod_uid,pod_namespace,pod_name} and
// hostprobe_container_info{container_id,pod_uid,container_name}, value 1, one per
// pod and container of the directory (present also when empty, so a query
// joining them never errors).
std::vector<prometheus::MetricFamily> BuildPodInfoFamilies(const PodDirectory& dir);

class PodInfoMetrics : public prometheus::Collectable {
 public:
  explicit PodInfoMetrics(std::function<std::shared_ptr<const PodDirectory>()> directory)
      : directory_(std::move(directory)) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    return BuildPodInfoFamilies(*directory_());
  }

 private:
  std::function<std::shared_ptr<const PodDirectory>()> directory_;
};

}  // namespace hostprobe
