#include "exporters/prometheus/pod_names.h"

#include "core/labels.h"

namespace hostprobe {

void AddPodNames(std::vector<prometheus::MetricFamily>& families, const PodDirectory& dir) {
  for (auto& family : families) {
    if (family.metric.empty()) continue;
    bool per_cgroup = false, per_container = false;
    for (const auto& l : family.metric.front().label) {
      per_cgroup = per_cgroup || l.name == "pod_uid";
      per_container = per_container || l.name == "container_id";
    }
    if (!per_cgroup) continue;
    for (auto& m : family.metric) {
      std::string pod_uid, container_id;
      for (const auto& l : m.label) {
        if (l.name == "pod_uid") pod_uid = l.value;
        if (l.name == "container_id") container_id = l.value;
      }
      std::string ns, pod, container;
      if (auto it = dir.pods.find(pod_uid); !pod_uid.empty() && it != dir.pods.end()) {
        ns = it->second.namespace_name;
        pod = it->second.pod;
      }
      if (auto it = dir.containers.find(container_id); !container_id.empty() && it != dir.containers.end())
        container = it->second;
      m.label.push_back({"namespace", SanitizeLabelValue(ns)});
      m.label.push_back({"pod", SanitizeLabelValue(pod)});
      // Per-pod families (no container_id) get no container label.
      if (per_container) m.label.push_back({"container", SanitizeLabelValue(container)});
    }
  }
}

}  // namespace hostprobe
