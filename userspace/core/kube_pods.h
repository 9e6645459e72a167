// The pods of this node as the Kubernetes API server lists them, reduced to
// what names a cgroup: pod uid -> namespace/name, container id -> name.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "result.h"

namespace hostprobe {

struct PodName {
  std::string namespace_name;
  std::string pod;
};

struct PodDirectory {
  std::unordered_map<std::string, PodName> pods;            // metadata.uid -> names
  std::unordered_map<std::string, std::string> containers;  // runtime container id (hex) -> container name
};

// Parses a v1 PodList (GET /api/v1/pods). Container ids are taken from
// status.{initContainer,container,ephemeralContainer}Statuses[].containerID
// with the runtime prefix ("containerd://", "cri-o://", "docker://") removed.
// Entries missing fields are skipped; malformed JSON is an error.
Result<PodDirectory> ParsePodList(std::string_view json);

}  // namespace hostprobe
