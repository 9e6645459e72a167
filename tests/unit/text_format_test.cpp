// The text writer against prometheus-cpp's own serializer: the same bytes for
// every metric type, label escaping, timestamps and awkward doubles.
#include "exporters/prometheus/text_format.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>

namespace hostprobe {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

std::string Reference(const std::vector<MetricFamily>& families) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

std::string Ours(const std::vector<MetricFamily>& families) {
  std::string out;
  AppendTextFormat(out, families);
  return out;
}

const std::vector<double>& AwkwardDoubles() {
  static const std::vector<double> v = {0.0,
                                        -0.0,
                                        1.0,
                                        -1.5,
                                        0.1,
                                        1.0 / 3,
                                        2.56e-07,
                                        1e-7,
                                        1796480184.762234,
                                        123456789012345678.0,
                                        1e15,
                                        1e16,
                                        1e21,
                                        std::numeric_limits<double>::denorm_min(),
                                        std::numeric_limits<double>::max(),
                                        std::numeric_limits<double>::lowest(),
                                        std::numeric_limits<double>::infinity(),
                                        -std::numeric_limits<double>::infinity(),
                                        std::numeric_limits<double>::quiet_NaN()};
  return v;
}

TEST(TextFormatTest, CountersGaugesAndUntypedMatchTheReference) {
  std::vector<MetricFamily> families;
  for (MetricType type : {MetricType::Counter, MetricType::Gauge, MetricType::Untyped}) {
    MetricFamily f;
    f.name = "hp_values";
    f.help = type == MetricType::Gauge ? "" : "Help with \\ a backslash.";  // empty help: no HELP line
    f.type = type;
    for (double v : AwkwardDoubles()) {
      ClientMetric m;
      m.counter.value = m.gauge.value = m.untyped.value = v;
      f.metric.push_back(m);
    }
    families.push_back(f);
  }
  EXPECT_EQ(Ours(families), Reference(families));
}

TEST(TextFormatTest, LabelValuesAreEscapedAsTheReferenceDoes) {
  MetricFamily f;
  f.name = "hp_labels";
  f.help = "h";
  f.type = MetricType::Gauge;
  for (std::string value :
       {std::string(""), std::string("plain"), std::string("quote\"d"), std::string("back\\slash"),
        std::string("new\nline"), std::string("\\\"\n\\"), std::string("utf8 \xc3\xa9 and \x01 bytes", 20)}) {
    ClientMetric m;
    m.label = {{"comm", value}, {"pid", "1"}};
    m.gauge.value = 2;
    m.timestamp_ms = value.size() % 2 ? 1700000000123 : 0;
    f.metric.push_back(m);
  }
  EXPECT_EQ(Ours({f}), Reference({f}));
}

TEST(TextFormatTest, HistogramsAndSummariesMatchTheReference) {
  MetricFamily h;
  h.name = "hp_latency_seconds";
  h.help = "Latency.";
  h.type = MetricType::Histogram;
  ClientMetric with_inf, without_inf, unlabelled;
  with_inf.label = {{"syscall", "read"}};
  without_inf.label = {{"syscall", "write"}};
  for (ClientMetric* m : {&with_inf, &without_inf, &unlabelled}) {
    m->histogram.sample_count = 18446744073709551615ull;
    m->histogram.sample_sum = 0.000123;
    uint64_t cumulative = 0;
    for (double le : {2.56e-07, 1.024e-06, 4.096e-06, 0.001, 1.0}) {
      cumulative += 7;
      m->histogram.bucket.push_back({cumulative, le});
    }
  }
  with_inf.histogram.bucket.push_back({99, std::numeric_limits<double>::infinity()});
  h.metric = {with_inf, without_inf, unlabelled};

  MetricFamily s;
  s.name = "hp_summary";
  s.help = "Summary.";
  s.type = MetricType::Summary;
  ClientMetric q;
  q.label = {{"a", "b"}};
  q.summary.sample_count = 3;
  q.summary.sample_sum = 1.5;
  q.summary.quantile = {{0.5, 0.25}, {0.99, std::numeric_limits<double>::quiet_NaN()}};
  s.metric = {q};
  EXPECT_EQ(Ours({h, s}), Reference({h, s}));
}

TEST(TextFormatTest, RandomDoublesMatchTheReference) {
  std::mt19937_64 rng(42);
  MetricFamily f;
  f.name = "hp_random";
  f.help = "Random.";
  f.type = MetricType::Gauge;
  for (int i = 0; i < 20000; ++i) {
    uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof(v));
    ClientMetric m;
    m.gauge.value = i % 2 ? v : static_cast<double>(bits % 1000000) / 1000.0;
    f.metric.push_back(m);
  }
  EXPECT_EQ(Ours({f}), Reference({f}));
}

TEST(TextFormatTest, AppendsToWhatIsThere) {
  MetricFamily f;
  f.name = "hp_one";
  f.type = MetricType::Counter;
  f.metric.resize(1);
  std::string out = "prefix\n";
  AppendTextFormat(out, {f});
  EXPECT_EQ(out, "prefix\n# TYPE hp_one counter\nhp_one 0\n");
}

}  // namespace
}  // namespace hostprobe
