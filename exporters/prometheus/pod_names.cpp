#include "exporters/prometheus/pod_names.h"

#include <map>
#include <string>

#include "exporters/prometheus/family_builder.h"

namespace hostprobe {

std::vector<prometheus::MetricFamily> BuildPodInfoFamilies(const PodDirectory& dir) {
  auto pods = MakeFamily(
      "hostprobe_pod_info",
      "Namespace and name of each pod of this node by pod_uid, from the API server "
      "(--kubernetes); value is always 1. Join: * on (pod_uid) group_left (pod_namespace, pod_name).",
      prometheus::MetricType::Gauge);
  auto containers =
      MakeFamily("hostprobe_container_info",
                 "Name of each container of this node's pods by container_id, from the API server "
                 "(--kubernetes); value is always 1. Join: * on (container_id) group_left (container_name).",
                 prometheus::MetricType::Gauge);
  // Sorted, so the exposition is stable from scrape to scrape.
  std::map<std::string, const PodName*> by_uid;
  for (const auto& [uid, name] : dir.pods) by_uid[uid] = &name;
  for (const auto& [uid, name] : by_uid)
    AddGauge(pods, {{"pod_uid", uid}, {"pod_namespace", name->namespace_name}, {"pod_name", name->pod}}, 1);
  std::map<std::string, std::pair<std::string, std::string>> by_id;  // id -> (pod uid, name)
  for (const auto& [id, cname] : dir.containers) {
    auto pod = dir.container_pod.find(id);
    by_id[id] = {pod != dir.container_pod.end() ? pod->second : std::string(), cname};
  }
  for (const auto& [id, v] : by_id)
    AddGauge(containers, {{"container_id", id}, {"pod_uid", v.first}, {"container_name", v.second}}, 1);
  std::vector<prometheus::MetricFamily> out;
  out.push_back(std::move(pods));
  out.push_back(std::move(containers));
  return out;
}

}  // namespace hostprobe
