#include "pod_attribution.h"

#include <vector>

namespace hostprobe {
namespace {

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// A pod UID is an RFC 4122 UUID: 8-4-4-4-12 hex digits. The systemd driver
// writes it with underscores because '-' separates slice levels.
std::string NormalizeUid(std::string_view raw) {
  if (raw.size() != 36) return "";
  std::string uid(raw);
  for (size_t i = 0; i < uid.size(); ++i) {
    const bool dash_pos = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_pos) {
      if (uid[i] != '-' && uid[i] != '_') return "";
      uid[i] = '-';
    } else if (!IsHex(uid.substr(i, 1))) {
      return "";
    }
  }
  return uid;
}

std::string_view StripSuffix(std::string_view s, std::string_view suffix) {
  if (s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix)
    return s.substr(0, s.size() - suffix.size());
  return s;
}

// The pod UID named by one path segment, or "".
std::string PodUidOf(std::string_view segment) {
  segment = StripSuffix(segment, ".slice");
  // systemd: kubepods-pod<uid>, kubepods-burstable-pod<uid>, kubepods-besteffort-pod<uid>
  // cgroupfs: pod<uid>
  size_t pos = segment.rfind("pod");
  if (pos == std::string_view::npos) return "";
  if (pos != 0 && segment[pos - 1] != '-') return "";
  return NormalizeUid(segment.substr(pos + 3));
}

// The container id named by one path segment, or "".
std::string ContainerIdOf(std::string_view segment) {
  segment = StripSuffix(segment, ".scope");
  static constexpr std::string_view kPrefixes[] = {"cri-containerd-", "crio-",  "docker-",
                                                   "containerd-",     "cri-o-", "libpod-"};
  for (std::string_view prefix : kPrefixes) {
    if (segment.substr(0, prefix.size()) == prefix) {
      segment.remove_prefix(prefix.size());
      break;
    }
  }
  if (segment.size() == 64 && IsHex(segment)) return std::string(segment);
  return "";
}

}  // namespace

PodAttribution ParsePodAttribution(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) segments.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }

  PodAttribution a;
  bool in_kubepods = false;
  for (size_t i = 0; i < segments.size(); ++i) {
    std::string_view seg = segments[i];
    if (seg.find("kubepods") != std::string_view::npos) in_kubepods = true;
    if (in_kubepods && a.pod_uid.empty()) {
      a.pod_uid = PodUidOf(seg);
      if (!a.pod_uid.empty()) {
        // The container is the next level down, if any; deeper levels
        // (a container's own sub-cgroups) still belong to it.
        if (i + 1 < segments.size()) a.container_id = ContainerIdOf(segments[i + 1]);
        return a;
      }
    }
  }
  // Docker without Kubernetes: /system.slice/docker-<id>.scope or /docker/<id>.
  for (size_t i = 0; i < segments.size(); ++i) {
    std::string_view seg = segments[i];
    if (seg.substr(0, 7) == "docker-" || (i > 0 && segments[i - 1] == "docker")) {
      a.container_id = ContainerIdOf(seg);
      if (!a.container_id.empty()) return a;
    }
  }
  return PodAttribution{};
}

}  // namespace hostprobe
