// Adds namespace, pod and container labels to every family that carries
// pod_uid/container_id (the per-cgroup ones), from the node's pod list.
#pragma once

#include <prometheus/metric_family.h>

#include <vector>

#include "core/kube_pods.h"

namespace hostprobe {

// Every series of such a family gets all three labels, empty when the pod or
// container is not (yet) in the directory, so each family keeps one label set.
void AddPodNames(std::vector<prometheus::MetricFamily>& families, const PodDirectory& dir);

}  // namespace hostprobe
