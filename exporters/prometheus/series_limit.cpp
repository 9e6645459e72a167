#include "exporters/prometheus/series_limit.h"

#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "exporters/prometheus/family_builder.h"

namespace hostprobe {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricType;

double Size(const ClientMetric& m, MetricType type) {
  switch (type) {
    case MetricType::Counter:
      return m.counter.value;
    case MetricType::Gauge:
      return m.gauge.value;
    case MetricType::Untyped:
      return m.untyped.value;
    case MetricType::Histogram:
      return static_cast<double>(m.histogram.sample_count);
    case MetricType::Summary:
      return static_cast<double>(m.summary.sample_count);
  }
  return 0;
}

bool Foldable(MetricType type) {
  return type == MetricType::Counter || type == MetricType::Gauge || type == MetricType::Untyped;
}

// The series' identity: its label names and values, each length-prefixed
// (a value may hold any byte).
std::string LabelKey(const ClientMetric& m) {
  std::string key;
  for (const auto& l : m.label) {
    key += std::to_string(l.name.size()) + ':' + l.name;
    key += std::to_string(l.value.size()) + ':' + l.value;
  }
  return key;
}

}  // namespace

void EscapeHelp(std::vector<prometheus::MetricFamily>& families) {
  for (auto& f : families) {
    std::string help = SanitizeLabelValue(f.help);
    if (help.find_first_of("\\\n") != std::string::npos) {
      std::string escaped;
      for (char c : help) {
        if (c == '\\')
          escaped += "\\\\";
        else if (c == '\n')
          escaped += "\\n";
        else
          escaped += c;
      }
      help = std::move(escaped);
    }
    f.help = std::move(help);
  }
}

size_t FamilyCap::Apply(prometheus::MetricFamily& family, size_t max) {
  auto& series = family.metric;
  if (max == 0) return 0;
  const bool fold = Foldable(family.type);
  const bool counter = family.type == MetricType::Counter;
  const size_t capacity = fold ? max - 1 : max;

  std::vector<std::string> keys;
  keys.reserve(series.size());
  for (const auto& m : series) keys.push_back(LabelKey(m));
  std::unordered_map<std::string_view, size_t> present;  // key -> index
  for (size_t i = 0; i < series.size(); ++i) present.emplace(keys[i], i);
  // Series that are gone free their place; a folded one takes nothing from
  // the overflow total.
  std::erase_if(kept_, [&](const auto& e) { return !present.contains(e.first); });
  std::erase_if(folded_, [&](const auto& e) { return !present.contains(e.first); });

  // New series in the order they would be kept: largest first, ties broken
  // by labels; NaN last (a series without a usable value is the first to go).
  std::vector<size_t> fresh;
  for (size_t i = 0; i < series.size(); ++i)
    if (!kept_.contains(keys[i]) && !folded_.contains(keys[i])) fresh.push_back(i);
  auto size = [&](size_t i) {
    double v = Size(series[i], family.type);
    return v == v ? v : -std::numeric_limits<double>::infinity();
  };
  std::stable_sort(fresh.begin(), fresh.end(), [&](size_t a, size_t b) {
    double sa = size(a), sb = size(b);
    if (sa != sb) return sa > sb;
    return series[a].label < series[b].label;
  });

  // Counters, gauges: a folded series stays folded while it exists, so the
  // cap holds while any does. Histograms: only while there are too many.
  const bool over = series.size() > max || (fold && !folded_.empty());
  if (!over) {
    folded_.clear();
    for (size_t i : fresh) kept_.emplace(keys[i], next_order_++);
    return 0;
  }
  // Kept while under the cap, more than fit now: the latest admitted are
  // folded, from their current value on.
  if (kept_.size() > capacity) {
    std::vector<std::pair<uint64_t, std::string>> by_order;
    for (const auto& [key, order] : kept_) by_order.emplace_back(order, key);
    std::sort(by_order.begin(), by_order.end());
    for (size_t k = capacity; k < by_order.size(); ++k) {
      const std::string& key = by_order[k].second;
      kept_.erase(key);
      const double baseline = series[present.at(key)].counter.value;
      folded_[key] = baseline == baseline ? baseline : 0;
    }
  }
  for (size_t i : fresh) {
    if (kept_.size() < capacity)
      kept_.emplace(keys[i], next_order_++);
    else
      folded_.emplace(keys[i], 0);  // its whole value is new to the overflow
  }

  std::vector<ClientMetric> out;
  out.reserve(max);
  ClientMetric overflow;
  bool first_folded = true;
  size_t dropped = 0;
  for (size_t i = 0; i < series.size(); ++i) {
    if (kept_.contains(keys[i])) {
      out.push_back(std::move(series[i]));
      continue;
    }
    ++dropped;
    if (!fold) continue;
    if (first_folded) {
      for (const auto& l : series[i].label) overflow.label.push_back({l.name, kOverflowLabelValue});
      first_folded = false;
    }
    if (counter) {
      const double v = series[i].counter.value;
      double& last = folded_[keys[i]];
      if (v == v) {
        overflow_total_ += v >= last ? v - last : v;  // gone down: restarted from 0
        last = v;
      }
    }
    overflow.gauge.value += series[i].gauge.value;
    overflow.untyped.value += series[i].untyped.value;
  }
  overflow.counter.value = overflow_total_;
  if (fold && dropped > 0) out.push_back(std::move(overflow));
  series = std::move(out);
  return dropped;
}

size_t LimitSeries(prometheus::MetricFamily& family, size_t max) { return FamilyCap().Apply(family, max); }

void SeriesLimiter::Apply(std::vector<prometheus::MetricFamily>& families) {
  auto f = MakeFamily("hostprobe_series_dropped_total",
                      "Series left out of /metrics by --max-series-per-family, by family, summed over "
                      "scrapes; counters and gauges are summed into a series labelled \"overflow\", "
                      "histograms dropped.",
                      prometheus::MetricType::Counter);
  std::lock_guard lock(mu_);
  for (auto& family : families) {
    const size_t before = family.metric.size();
    auto cap = caps_.find(family.name);
    if (cap == caps_.end()) {
      if (max_ == 0 || before <= max_) continue;
      cap = caps_.emplace(family.name, FamilyCap()).first;
    }
    if (size_t n = cap->second.Apply(family, max_); n > 0) {
      auto [it, first] = dropped_.emplace(family.name, 0);
      if (first)
        spdlog::warn(
            "metrics: {} has {} series, over --max-series-per-family {}; the rest are folded "
            "into \"overflow\" (counted in hostprobe_series_dropped_total)",
            family.name, before, max_);
      it->second += static_cast<double>(n);
    }
  }
  for (const auto& [name, n] : dropped_) AddCounter(f, {{"family", name}}, n);
  families.push_back(std::move(f));
}

}  // namespace hostprobe
