// Template definitions for bpf_util.h.
#pragma once

#include <spdlog/spdlog.h>

#include "collectors/libbpf_log.h"

namespace hostprobe {

template <typename T>
Result<T> StartWithHookMode(const std::string& collector, HookMode mode, bool tp_btf_available,
                            const BpfFeatures& features, const std::function<Result<T>(bool)>& start_one) {
  // Each attempt is an operation of its own: its failure names only its warnings.
  const auto start = [&start_one](bool use_tp_btf) {
    BeginLibbpfOperation();
    return start_one(use_tp_btf);
  };
  switch (mode) {
    case HookMode::kRawTp:
      return start(false);
    case HookMode::kTpBtf:
      if (!tp_btf_available)
        return Error{"tp_btf requested (--bpf-hook tp_btf) but the kernel lacks it: " + features.Describe(),
                     ENOTSUP};
      return start(true);
    case HookMode::kAuto:
      break;
  }
  if (!tp_btf_available) {
    spdlog::info("{}: using raw_tp hooks ({})", collector, features.Describe());
    return start(false);
  }
  auto started = start(true);
  if (started.ok()) return started;
  spdlog::warn("{}: tp_btf load failed ({}); retrying with raw_tp", collector, started.error().message);
  return start(false);
}

}  // namespace hostprobe
