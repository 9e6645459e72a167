#include "kube_pods.h"

#include <nlohmann/json.hpp>

namespace hostprobe {
namespace {

using nlohmann::json;

// Field access that never throws: nullptr when absent or of another type.
const json* Get(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::string GetString(const json& obj, const char* key) {
  const json* v = Get(obj, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

}  // namespace

Result<PodDirectory> ParsePodList(std::string_view text) {
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Error{"pod list is not valid JSON", EINVAL};
  const json* items = Get(doc, "items");
  if (items == nullptr || !items->is_array()) return Error{"pod list has no \"items\" array", EINVAL};

  PodDirectory dir;
  for (const json& pod : *items) {
    const json* meta = Get(pod, "metadata");
    if (meta == nullptr) continue;
    std::string uid = GetString(*meta, "uid");
    std::string name = GetString(*meta, "name");
    if (uid.empty() || name.empty()) continue;
    dir.pods[uid] = PodName{GetString(*meta, "namespace"), name};

    const json* status = Get(pod, "status");
    if (status == nullptr) continue;
    for (const char* list : {"initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"}) {
      const json* statuses = Get(*status, list);
      if (statuses == nullptr || !statuses->is_array()) continue;
      for (const json& c : *statuses) {
        std::string id = GetString(c, "containerID");
        std::string cname = GetString(c, "name");
        size_t scheme = id.find("://");
        if (scheme != std::string::npos) id = id.substr(scheme + 3);
        if (!id.empty() && !cname.empty()) dir.containers[id] = cname;
      }
    }
  }
  return dir;
}

}  // namespace hostprobe
