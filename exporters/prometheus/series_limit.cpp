#include "exporters/prometheus/series_limit.h"

#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <sstream>

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

bool SerializerEscapesHelp() {
  prometheus::MetricFamily f;
  f.name = "probe";
  f.help = "\\";
  f.type = MetricType::Gauge;
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, {f});
  return out.str().find("# HELP probe \\\\\n") != std::string::npos;
}

}  // namespace

void EscapeHelp(std::vector<prometheus::MetricFamily>& families) {
  static const bool serializer_escapes = SerializerEscapesHelp();
  for (auto& f : families) {
    std::string help = SanitizeLabelValue(f.help);
    if (!serializer_escapes && help.find_first_of("\\\n") != std::string::npos) {
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

size_t LimitSeries(prometheus::MetricFamily& family, size_t max) {
  auto& series = family.metric;
  if (max == 0 || series.size() <= max) return 0;
  const bool fold = Foldable(family.type);
  const size_t keep = fold ? max - 1 : max;

  std::vector<size_t> order(series.size());
  std::iota(order.begin(), order.end(), 0);
  // NaN sorts last: a series without a usable value is the first to go.
  auto key = [&](size_t i) {
    double v = Size(series[i], family.type);
    return v == v ? v : -std::numeric_limits<double>::infinity();
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    double ka = key(a), kb = key(b);
    if (ka != kb) return ka > kb;
    return series[a].label < series[b].label;
  });
  std::vector<bool> kept(series.size(), false);
  for (size_t i = 0; i < keep; ++i) kept[order[i]] = true;

  std::vector<ClientMetric> out;
  out.reserve(max);
  ClientMetric overflow;
  bool first_folded = true;
  for (size_t i = 0; i < series.size(); ++i) {
    if (kept[i]) {
      out.push_back(std::move(series[i]));
      continue;
    }
    if (!fold) continue;
    if (first_folded) {
      for (const auto& l : series[i].label) overflow.label.push_back({l.name, kOverflowLabelValue});
      first_folded = false;
    }
    overflow.counter.value += series[i].counter.value;
    overflow.gauge.value += series[i].gauge.value;
    overflow.untyped.value += series[i].untyped.value;
  }
  const size_t dropped = series.size() - keep;
  if (fold) out.push_back(std::move(overflow));
  series = std::move(out);
  return dropped;
}

void SeriesLimiter::Apply(std::vector<prometheus::MetricFamily>& families) {
  auto f = MakeFamily("hostprobe_series_dropped_total",
                      "Series left out of /metrics by --max-series-per-family, by family, summed over "
                      "scrapes; counters and gauges are summed into a series labelled \"overflow\", "
                      "histograms dropped.",
                      prometheus::MetricType::Counter);
  std::lock_guard lock(mu_);
  for (auto& family : families) {
    const size_t before = family.metric.size();
    if (size_t n = LimitSeries(family, max_); n > 0) {
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
