// The pods of this node as the Kubernetes API server lists and watches them,
// reduced to what names a cgroup: pod uid -> namespace/name, container id ->
// name. Pure: parsing and applying, no I/O.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "result.h"

namespace hostprobe {

struct PodName {
  std::string namespace_name;
  std::string pod;
  std::vector<std::string> container_ids;  // the pod's containers that have a runtime id
};

struct PodDirectory {
  std::unordered_map<std::string, PodName> pods;               // metadata.uid -> names
  std::unordered_map<std::string, std::string> containers;     // runtime container id (hex) -> container name
  std::unordered_map<std::string, std::string> container_pod;  // runtime container id -> pod uid
  std::string resource_version;  // of the list, then of the last event applied (to watch from)
};

// Parses a v1 PodList (GET /api/v1/pods). Container ids are taken from
// status.{initContainer,container,ephemeralContainer}Statuses[].containerID
// with the runtime prefix ("containerd://", "cri-o://", "docker://") removed.
// Entries missing fields are skipped; malformed JSON is an error.
Result<PodDirectory> ParsePodList(std::string_view json);

// One line of a watch stream (GET /api/v1/pods?watch=1): a JSON object
// {"type": ..., "object": ...}.
struct PodWatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark, kError };
  Type type = Type::kError;
  std::string uid;
  PodName name;
  std::vector<std::pair<std::string, std::string>> containers;  // id -> name
  std::string resource_version;                                 // object.metadata.resourceVersion
  int error_code = 0;  // kError: the Status object's code (410: resourceVersion too old)
  std::string error_message;
};

// Malformed JSON or an unknown type is an error (the stream is then
// restarted from a new list).
Result<PodWatchEvent> ParsePodWatchEvent(std::string_view line);

// Applies an added, modified or deleted pod; a bookmark only moves the
// resource version. Errors change nothing.
void ApplyPodWatchEvent(PodDirectory& dir, const PodWatchEvent& event);

}  // namespace hostprobe
