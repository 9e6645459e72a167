// Pod and container ids from a cgroup path: either empty or well formed (a
// dashed lowercase UUID, 64 lowercase hex digits), taken from the path itself,
// and a pod uid only from a path under a kubepods cgroup.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/pod_attribution.h"
#include "fuzz_check.h"

namespace {

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// `path` holds `uid` with each of its dashes written as '-' or '_'.
bool ContainsUid(std::string_view path, std::string_view uid) {
  for (size_t at = 0; at + uid.size() <= path.size(); ++at) {
    size_t i = 0;
    while (i < uid.size() && (path[at + i] == uid[i] || (uid[i] == '-' && path[at + i] == '_'))) ++i;
    if (i == uid.size()) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view path(reinterpret_cast<const char*>(data), size);
  const hostprobe::PodAttribution a = hostprobe::ParsePodAttribution(path);

  if (!a.pod_uid.empty()) {
    FUZZ_CHECK(a.pod_uid.size() == 36);
    for (size_t i = 0; i < a.pod_uid.size(); ++i) {
      const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
      FUZZ_CHECK(dash ? a.pod_uid[i] == '-' : IsLowerHex(a.pod_uid[i]));
    }
    FUZZ_CHECK(path.find("kubepods") != std::string_view::npos);
    // The systemd driver spells the uid with underscores.
    FUZZ_CHECK(ContainsUid(path, a.pod_uid));
  }
  if (!a.container_id.empty()) {
    FUZZ_CHECK(a.container_id.size() == 64);
    FUZZ_CHECK(std::all_of(a.container_id.begin(), a.container_id.end(), IsLowerHex));
    FUZZ_CHECK(path.find(a.container_id) != std::string_view::npos);
    // Outside Kubernetes only Docker's layouts name containers.
    if (a.pod_uid.empty()) FUZZ_CHECK(path.find("docker") != std::string_view::npos);
  }
  // The same path with a trailing slash names the same thing.
  const hostprobe::PodAttribution b = hostprobe::ParsePodAttribution(std::string(path) + "/");
  FUZZ_CHECK(b.pod_uid == a.pod_uid && b.container_id == a.container_id);
  return 0;
}
