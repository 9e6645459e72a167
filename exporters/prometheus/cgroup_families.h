// The per-cgroup half of a Build*Families function: cgroup ids named as label
// values, the counts of ids that share one summed, the ids that could not be
// named handed back for CgroupLabeler::Sweep.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/labels.h"

namespace hostprobe {

// The v2 path of a cgroup id, nullopt when unknown (CgroupLabeler::Name).
using CgroupNameFn = std::function<std::optional<std::string>(uint64_t cgroup_id)>;

// What every per-cgroup Build*Families function returns.
struct CgroupFamilies {
  std::vector<prometheus::MetricFamily> families;
  std::vector<uint64_t> unresolved_cgroups;  // ids the namer did not know, each once
};

// The cgroup label values of one snapshot: asks the namer once per id and
// remembers the ids it did not know. One per build; not thread-safe.
class CgroupPaths {
 public:
  explicit CgroupPaths(const CgroupNameFn& name) : name_(name) {}

  // The id's path as a label value (valid UTF-8), or nullptr when unknown.
  // The pointer stays valid as long as this object.
  const std::string* Of(uint64_t id) {
    auto [it, fresh] = paths_.try_emplace(id);
    if (fresh) {
      if (auto path = name_(id))
        it->second = SanitizeLabelValue(*path);
      else
        unresolved_.push_back(id);
    }
    return it->second ? &*it->second : nullptr;
  }

  // The ids the namer did not know, in the order they were first asked for.
  std::vector<uint64_t> TakeUnresolved() { return std::move(unresolved_); }

 private:
  const CgroupNameFn& name_;
  std::unordered_map<uint64_t, std::optional<std::string>> paths_;  // nodes: stable addresses
  std::vector<uint64_t> unresolved_;
};

// Sums rows (anything with a `cgroup_id`) by key_of(path, row), where path is
// the row's cgroup label value: add(sums[key], row). Rows of cgroups that
// cannot be named are left out; `paths` keeps their ids. Two ids can share a
// label value (a cgroup removed and made again, or paths that differ only in
// bytes the sanitizer replaces), so summing is what keeps every series
// unique. An ordered map: the output does not follow the kernel's hash order.
template <typename Sum, typename Rows, typename KeyOf, typename Add>
auto SumByCgroup(const Rows& rows, CgroupPaths& paths, KeyOf key_of, Add add) {
  using Row = typename Rows::value_type;
  using Key = std::decay_t<std::invoke_result_t<KeyOf&, const std::string&, const Row&>>;
  std::map<Key, Sum> sums;
  for (const Row& row : rows) {
    if (const std::string* path = paths.Of(row.cgroup_id)) add(sums[key_of(*path, row)], row);
  }
  return sums;
}

// SumByCgroup keyed by the cgroup label value alone.
template <typename Sum, typename Rows, typename Add>
std::map<std::string, Sum> SumByCgroupPath(const Rows& rows, CgroupPaths& paths, Add add) {
  using Row = typename Rows::value_type;
  return SumByCgroup<Sum>(
      rows, paths, [](const std::string& path, const Row&) { return path; }, add);
}

}  // namespace hostprobe
