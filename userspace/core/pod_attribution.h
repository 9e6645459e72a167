// Kubernetes pod and container ids from a cgroup v2 path, for the kubelet's
// systemd and cgroupfs drivers and the containerd, CRI-O and Docker runtimes.
#pragma once

#include <string>
#include <string_view>

namespace hostprobe {

struct PodAttribution {
  std::string pod_uid;       // "6d3b2a1c-...": dashes, as the API server shows it; empty for host cgroups
  std::string container_id;  // 64 hex digits; empty when the cgroup is not a container's
};

// Examples:
//   /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_with_underscores>.slice/
//       cri-containerd-<id>.scope                          (systemd driver, containerd)
//   /kubepods.slice/kubepods-pod<uid>.slice/crio-<id>.scope  (systemd driver, guaranteed QoS, CRI-O)
//   /kubepods/besteffort/pod<uid>/crio-<id>                  (cgroupfs driver, CRI-O)
//   /kubepods/burstable/pod<uid>/<id>                        (cgroupfs driver, containerd)
//   /system.slice/docker-<id>.scope, /docker/<id>            (Docker without Kubernetes)
// Anything else, or anything malformed, gives empty fields.
PodAttribution ParsePodAttribution(std::string_view cgroup_path);

}  // namespace hostprobe
