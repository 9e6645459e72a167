// Kubernetes pod list JSON: never throws, every entry it keeps has its names,
// and the directory encoded back as a PodList parses to the same directory.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/kube_pods.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto dir = hostprobe::ParsePodList(text);
  if (!dir) {
    FUZZ_CHECK(!dir.error().message.empty());
    return 0;
  }
  for (const auto& [uid, name] : dir->pods) FUZZ_CHECK(!uid.empty() && !name.pod.empty());
  for (const auto& [id, name] : dir->containers) FUZZ_CHECK(!id.empty() && !name.empty());
  if (!dir->containers.empty()) FUZZ_CHECK(!dir->pods.empty());

  nlohmann::json items = nlohmann::json::array();
  for (const auto& [uid, name] : dir->pods) {
    items.push_back({{"metadata", {{"uid", uid}, {"name", name.pod}, {"namespace", name.namespace_name}}}});
  }
  nlohmann::json statuses = nlohmann::json::array();
  for (const auto& [id, name] : dir->containers)
    statuses.push_back({{"name", name}, {"containerID", "containerd://" + id}});
  if (!items.empty()) items[0]["status"]["containerStatuses"] = statuses;
  const std::string encoded = nlohmann::json{{"kind", "PodList"}, {"items", items}}.dump();

  auto again = hostprobe::ParsePodList(encoded);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->containers == dir->containers);
  FUZZ_CHECK(again->pods.size() == dir->pods.size());
  for (const auto& [uid, name] : dir->pods) {
    auto it = again->pods.find(uid);
    FUZZ_CHECK(it != again->pods.end());
    FUZZ_CHECK(it->second.pod == name.pod && it->second.namespace_name == name.namespace_name);
  }
  return 0;
}
