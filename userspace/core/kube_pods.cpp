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

// The uid, names and containers of one v1 Pod object; false when it has no
// uid or name.
bool ReadPod(const json& pod, std::string* uid, PodName* name,
             std::vector<std::pair<std::string, std::string>>* containers) {
  const json* meta = Get(pod, "metadata");
  if (meta == nullptr) return false;
  *uid = GetString(*meta, "uid");
  name->pod = GetString(*meta, "name");
  name->namespace_name = GetString(*meta, "namespace");
  if (uid->empty() || name->pod.empty()) return false;
  const json* status = Get(pod, "status");
  if (status == nullptr) return true;
  for (const char* list : {"initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"}) {
    const json* statuses = Get(*status, list);
    if (statuses == nullptr || !statuses->is_array()) continue;
    for (const json& c : *statuses) {
      std::string id = GetString(c, "containerID");
      std::string cname = GetString(c, "name");
      size_t scheme = id.find("://");
      if (scheme != std::string::npos) id = id.substr(scheme + 3);
      if (!id.empty() && !cname.empty()) {
        name->container_ids.push_back(id);
        containers->emplace_back(std::move(id), std::move(cname));
      }
    }
  }
  return true;
}

void RemovePod(PodDirectory& dir, const std::string& uid) {
  auto it = dir.pods.find(uid);
  if (it == dir.pods.end()) return;
  for (const std::string& id : it->second.container_ids) {
    auto owner = dir.container_pod.find(id);
    if (owner == dir.container_pod.end() || owner->second != uid) continue;  // another pod's now
    dir.containers.erase(id);
    dir.container_pod.erase(owner);
  }
  dir.pods.erase(it);
}

void AddPod(PodDirectory& dir, const std::string& uid, const PodName& name,
            const std::vector<std::pair<std::string, std::string>>& containers) {
  RemovePod(dir, uid);  // a modified pod's containers are replaced, not merged
  dir.pods[uid] = name;
  for (const auto& [id, cname] : containers) {
    dir.containers[id] = cname;
    dir.container_pod[id] = uid;
  }
}

}  // namespace

Result<PodDirectory> ParsePodList(std::string_view text) {
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Error{"pod list is not valid JSON", EINVAL};
  const json* items = Get(doc, "items");
  if (items == nullptr || !items->is_array()) return Error{"pod list has no \"items\" array", EINVAL};

  PodDirectory dir;
  if (const json* meta = Get(doc, "metadata")) dir.resource_version = GetString(*meta, "resourceVersion");
  for (const json& pod : *items) {
    std::string uid;
    PodName name;
    std::vector<std::pair<std::string, std::string>> containers;
    if (ReadPod(pod, &uid, &name, &containers)) AddPod(dir, uid, name, containers);
  }
  return dir;
}

Result<PodWatchEvent> ParsePodWatchEvent(std::string_view line) {
  json doc = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Error{"watch event is not valid JSON", EINVAL};
  const std::string type = GetString(doc, "type");
  const json* object = Get(doc, "object");
  if (object == nullptr || !object->is_object()) return Error{"watch event has no object", EINVAL};
  PodWatchEvent ev;
  if (const json* meta = Get(*object, "metadata")) ev.resource_version = GetString(*meta, "resourceVersion");
  if (type == "ERROR") {
    ev.type = PodWatchEvent::Type::kError;
    const json* code = Get(*object, "code");
    ev.error_code = code != nullptr && code->is_number_integer() ? code->get<int>() : 0;
    ev.error_message = GetString(*object, "message");
    return ev;
  }
  if (type == "BOOKMARK") {
    ev.type = PodWatchEvent::Type::kBookmark;
    return ev;
  }
  if (type == "ADDED")
    ev.type = PodWatchEvent::Type::kAdded;
  else if (type == "MODIFIED")
    ev.type = PodWatchEvent::Type::kModified;
  else if (type == "DELETED")
    ev.type = PodWatchEvent::Type::kDeleted;
  else
    return Error{"unknown watch event type \"" + type + "\"", EINVAL};
  if (!ReadPod(*object, &ev.uid, &ev.name, &ev.containers))
    return Error{"watch event's pod has no uid or name", EINVAL};
  return ev;
}

void ApplyPodWatchEvent(PodDirectory& dir, const PodWatchEvent& event) {
  switch (event.type) {
    case PodWatchEvent::Type::kAdded:
    case PodWatchEvent::Type::kModified:
      AddPod(dir, event.uid, event.name, event.containers);
      break;
    case PodWatchEvent::Type::kDeleted:
      RemovePod(dir, event.uid);
      break;
    case PodWatchEvent::Type::kBookmark:
      break;
    case PodWatchEvent::Type::kError:
      return;
  }
  if (!event.resource_version.empty()) dir.resource_version = event.resource_version;
}

}  // namespace hostprobe
