// The sensor's collectors: one registration each (name, what it needs from
// the kernel, how much the sensor depends on it, how it starts, the families
// it feeds), in the order they start and their families are served.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "collectors/bpf_features.h"
#include "core/cgroup.h"
#include "core/options.h"
#include "core/probe_spec.h"
#include "core/result.h"
#include "core/sensor.h"
#include "exporters/prometheus/http_server.h"

namespace hostprobe {

// What the collectors are built from. Everything referred to must outlive
// the Sensor the table is given to.
struct SensorInputs {
  const Options& opts;
  const std::vector<ProbeSpec>& probes;  // --probe and --probe-config; empty: no uprobes collector
  const BpfFeatures& features;
  CgroupResolver& cgroups;  // names cgroup ids; its root() is the v2 tree ("" when none)
};

std::vector<CollectorDescriptor> SensorCollectors(const SensorInputs& in);

// The Sensor's log lines, to spdlog's default logger.
void LogToSpdlog(LogLevel level, const std::string& line);

// Drops what the steady state does not need, or keeps everything with
// --keep-capabilities (docs/security.md).
std::function<Status()> CapabilityDrop(const Options& opts);

// What the HTTP server serves for a started sensor: the self metrics, then
// the collectors' families; /healthz from the sensor's slots.
HttpServer::Handlers SensorHandlers(const Sensor& sensor, const Options& opts);

}  // namespace hostprobe
