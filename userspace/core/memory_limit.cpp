#include "core/memory_limit.h"

#include <charconv>

namespace hostprobe {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

std::optional<uint64_t> ParseU64(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

const char* LimitSourceName(LimitSource s) {
  switch (s) {
    case LimitSource::kCgroupV2:
      return "cgroup_v2";
    case LimitSource::kCgroupV1:
      return "cgroup_v1";
    case LimitSource::kNode:
      return "node";
  }
  return "node";
}

std::optional<uint64_t> ParseCgroupV2Max(std::string_view text) {
  text = Trim(text);
  if (text == "max") return std::nullopt;
  return ParseU64(text);
}

std::optional<uint64_t> MemoryStatField(std::string_view stat, std::string_view key) {
  while (!stat.empty()) {
    size_t nl = stat.find('\n');
    std::string_view line = stat.substr(0, nl);
    stat = nl == std::string_view::npos ? std::string_view() : stat.substr(nl + 1);
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos || line.substr(0, sp) != key) continue;
    return ParseU64(Trim(line.substr(sp + 1)));
  }
  return std::nullopt;
}

std::optional<uint64_t> V1Limit(uint64_t value) {
  if (value >= (uint64_t{1} << 62)) return std::nullopt;
  return value;
}

uint64_t V2Unreclaimable(uint64_t memory_current, std::string_view memory_stat) {
  const uint64_t file = MemoryStatField(memory_stat, "file").value_or(0);
  return memory_current > file ? memory_current - file : 0;
}

uint64_t V1Unreclaimable(std::string_view memory_stat) {
  return MemoryStatField(memory_stat, "total_rss").value_or(0) +
         MemoryStatField(memory_stat, "total_shmem").value_or(0);
}

std::optional<double> ExhaustionSeconds(const MemoryHeadroom& h, double growth_bytes_per_second) {
  if (!(growth_bytes_per_second > 0)) return std::nullopt;
  return static_cast<double>(h.headroom()) / growth_bytes_per_second;
}

}  // namespace hostprobe
