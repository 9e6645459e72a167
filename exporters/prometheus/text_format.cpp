#include "exporters/prometheus/text_format.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>

namespace hostprobe {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

namespace {

// prometheus-cpp's precision: max_digits10 - 1 significant digits, %g style.
constexpr int kDigits = std::numeric_limits<double>::max_digits10 - 1;

void AppendDouble(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "Nan";
  } else if (std::isinf(v)) {
    out += v < 0 ? "-Inf" : "+Inf";
  } else {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::general, kDigits);
    out.append(buf, r.ptr);
  }
}

template <typename T>
void AppendInt(std::string& out, T v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

void AppendEscaped(std::string& out, std::string_view value) {
  size_t from = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c != '\\' && c != '"' && c != '\n') continue;
    out.append(value, from, i - from);
    out += '\\';
    out += c == '\n' ? 'n' : c;
    from = i + 1;
  }
  out.append(value, from);
}

// Name, suffix and labels (with one extra label for buckets and quantiles),
// then the space before the value.
template <typename Extra>
void AppendHead(std::string& out, const MetricFamily& family, const ClientMetric& m, std::string_view suffix,
                std::string_view extra_name, const Extra& extra_value) {
  out += family.name;
  out += suffix;
  if (!m.label.empty() || !extra_name.empty()) {
    out += '{';
    bool first = true;
    for (const auto& l : m.label) {
      if (!first) out += ',';
      first = false;
      out += l.name;
      out += "=\"";
      AppendEscaped(out, l.value);
      out += '"';
    }
    if (!extra_name.empty()) {
      if (!first) out += ',';
      out += extra_name;
      out += "=\"";
      if constexpr (std::is_same_v<Extra, double>)
        AppendDouble(out, extra_value);
      else
        AppendEscaped(out, extra_value);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
}

void AppendHead(std::string& out, const MetricFamily& family, const ClientMetric& m,
                std::string_view suffix = {}) {
  AppendHead(out, family, m, suffix, {}, std::string_view{});
}

void AppendTail(std::string& out, const ClientMetric& m) {
  if (m.timestamp_ms != 0) {
    out += ' ';
    AppendInt(out, m.timestamp_ms);
  }
  out += '\n';
}

void AppendCountAndSum(std::string& out, const MetricFamily& f, const ClientMetric& m, uint64_t count,
                       double sum) {
  AppendHead(out, f, m, "_count");
  AppendInt(out, count);
  AppendTail(out, m);
  AppendHead(out, f, m, "_sum");
  AppendDouble(out, sum);
  AppendTail(out, m);
}

void AppendSeries(std::string& out, const MetricFamily& f, const ClientMetric& m) {
  switch (f.type) {
    case MetricType::Counter:
    case MetricType::Gauge:
    case MetricType::Untyped:
      AppendHead(out, f, m);
      AppendDouble(out, f.type == MetricType::Counter ? m.counter.value
                        : f.type == MetricType::Gauge ? m.gauge.value
                                                      : m.untyped.value);
      AppendTail(out, m);
      return;
    case MetricType::Summary:
      AppendCountAndSum(out, f, m, m.summary.sample_count, m.summary.sample_sum);
      for (const auto& q : m.summary.quantile) {
        AppendHead(out, f, m, "", "quantile", q.quantile);
        AppendDouble(out, q.value);
        AppendTail(out, m);
      }
      return;
    case MetricType::Histogram: {
      AppendCountAndSum(out, f, m, m.histogram.sample_count, m.histogram.sample_sum);
      double last = -std::numeric_limits<double>::infinity();
      for (const auto& b : m.histogram.bucket) {
        AppendHead(out, f, m, "_bucket", "le", b.upper_bound);
        last = b.upper_bound;
        AppendInt(out, b.cumulative_count);
        AppendTail(out, m);
      }
      if (last != std::numeric_limits<double>::infinity()) {
        AppendHead(out, f, m, "_bucket", "le", std::string_view("+Inf"));
        AppendInt(out, m.histogram.sample_count);
        AppendTail(out, m);
      }
      return;
    }
  }
}

std::string_view TypeName(MetricType t) {
  switch (t) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Summary:
      return "summary";
    case MetricType::Histogram:
      return "histogram";
    case MetricType::Untyped:
      break;
  }
  return "untyped";
}

}  // namespace

void AppendTextFormat(std::string& out, const std::vector<MetricFamily>& families) {
  for (const auto& f : families) {
    if (!f.help.empty()) {
      out += "# HELP ";
      out += f.name;
      out += ' ';
      out += f.help;
      out += '\n';
    }
    out += "# TYPE ";
    out += f.name;
    out += ' ';
    out += TypeName(f.type);
    out += '\n';
    for (const auto& m : f.metric) AppendSeries(out, f, m);
  }
}

}  // namespace hostprobe
