// Names cgroup ids for one metric source and decides when an id that cannot
// be named belongs to a removed cgroup, so its kernel map entry can go.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/cgroup.h"

namespace hostprobe {

// Thread-safe. One per metric source: each tracks its own unnamed ids.
class CgroupLabeler {
 public:
  explicit CgroupLabeler(CgroupResolver& resolver) : resolver_(resolver) {}

  // Path as a label value (valid UTF-8), or nullopt when unknown.
  std::optional<std::string> Name(uint64_t id);

  // Takes the ids that could not be named on this scrape; returns those to
  // drop. An id is dropped only when a full walk of the cgroup tree that
  // started after it was first seen unnamed still does not find it: a cgroup
  // made since the last (rate-limited) walk is never dropped.
  std::vector<uint64_t> Sweep(const std::vector<uint64_t>& unresolved);

 private:
  CgroupResolver& resolver_;
  std::mutex mu_;
  std::unordered_map<uint64_t, uint64_t> unresolved_since_;  // id -> resolver scans() when first unnamed
};

}  // namespace hostprobe
