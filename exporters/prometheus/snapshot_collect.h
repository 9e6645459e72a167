// The Collect() of an exporter that reads one snapshot per scrape, and of the
// per-cgroup exporters on top of it. Every scrape carries the collector's
// hostprobe_collector_read_errors_total series; a failed read gives that
// series alone.
#pragma once

#include <prometheus/metric_family.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

#include "core/cgroup.h"
#include "core/result.h"
#include "exporters/prometheus/cgroup_families.h"
#include "exporters/prometheus/cgroup_labeler.h"
#include "exporters/prometheus/family_builder.h"

namespace hostprobe {

// The failed reads of one collector. Thread-safe.
class ReadErrors {
 public:
  explicit ReadErrors(const char* collector) : collector_(collector) {}

  // Logs and counts a failed read; returns the family, the scrape's only one.
  prometheus::MetricFamily Failed(const Error& error) {
    spdlog::error("{}: {}", collector_, error.message);
    return ReadErrorsFamily(collector_, ++count_);
  }
  // Counts a read that went wrong in part (the caller says what in the log).
  void Count() { ++count_; }
  prometheus::MetricFamily Family() const { return ReadErrorsFamily(collector_, count_); }
  const char* collector() const { return collector_; }

 private:
  const char* const collector_;
  std::atomic<uint64_t> count_{0};
};

// The families build(*snap) gives, then the read-errors family.
template <typename Snapshot, typename Build>
std::vector<prometheus::MetricFamily> CollectSnapshot(ReadErrors& errors, const Result<Snapshot>& snap,
                                                      Build&& build) {
  if (!snap) return {errors.Failed(snap.error())};
  std::vector<prometheus::MetricFamily> out = build(*snap);
  out.push_back(errors.Family());
  return out;
}

// The path of every exporter whose snapshot counts by cgroup id. A scrape
// reads the snapshot, builds the families naming cgroup ids through a
// CgroupLabeler, sweeps the ids it could not name and has the source forget
// those that are gone, then appends the read-errors family. Scrapes run one
// at a time, so forgetting goes with the snapshot that found the ids gone
// (and whatever build and forget keep across scrapes needs no lock of its own).
class CgroupCollect {
 public:
  CgroupCollect(const char* collector, CgroupResolver& cgroups) : errors_(collector), labeler_(cgroups) {}

  // read() -> Result<Snapshot>; build(const Snapshot&, const CgroupNameFn&)
  // -> CgroupFamilies; forget(const std::vector<uint64_t>& gone_ids).
  template <typename Read, typename Build, typename Forget>
  std::vector<prometheus::MetricFamily> Collect(Read&& read, Build&& build, Forget&& forget) {
    std::lock_guard lock(mu_);
    return CollectSnapshot(errors_, read(), [&](const auto& snap) {
      CgroupFamilies built = build(snap, name_);
      if (auto gone = labeler_.Sweep(built.unresolved_cgroups); !gone.empty()) {
        spdlog::debug("{}: dropping the series of {} removed cgroups", errors_.collector(), gone.size());
        forget(gone);
      }
      return std::move(built.families);
    });
  }

 private:
  std::mutex mu_;
  ReadErrors errors_;
  CgroupLabeler labeler_;
  const CgroupNameFn name_ = [this](uint64_t id) { return labeler_.Name(id); };
};

}  // namespace hostprobe
