#include "exporters/prometheus/series_limit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "exporters/prometheus/family_builder.h"
#include "exposition_util.h"

namespace hostprobe {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

prometheus::MetricFamily Counters(const std::vector<double>& values) {
  auto f = MakeFamily("hp_test_total", "test", prometheus::MetricType::Counter);
  for (size_t i = 0; i < values.size(); ++i)
    AddCounter(f, {{"cgroup", "/c" + std::to_string(i)}, {"op", "read"}}, values[i]);
  return f;
}

std::vector<std::string> CgroupsOf(const prometheus::MetricFamily& f) {
  std::vector<std::string> out;
  for (const auto& m : f.metric) out.push_back(m.label.at(0).value);
  return out;
}

TEST(SeriesLimitTest, UnderTheCapNothingChanges) {
  auto f = Counters({1, 2, 3});
  EXPECT_EQ(LimitSeries(f, 3), 0u);
  EXPECT_THAT(CgroupsOf(f), ElementsAre("/c0", "/c1", "/c2"));
  EXPECT_EQ(LimitSeries(f, 0), 0u) << "0 means no cap";
  EXPECT_EQ(f.metric.size(), 3u);
}

TEST(SeriesLimitTest, CountersKeepTheLargestInOrderAndSumTheRest) {
  auto f = Counters({5, 50, 1, 40, 7, 30});
  EXPECT_EQ(LimitSeries(f, 3), 4u);
  // The two largest, in the order the collector gave them, then the overflow.
  ASSERT_THAT(CgroupsOf(f), ElementsAre("/c1", "/c3", "overflow"));
  EXPECT_EQ(f.metric[0].counter.value, 50);
  EXPECT_EQ(f.metric[1].counter.value, 40);
  const auto& overflow = f.metric[2];
  ASSERT_EQ(overflow.label.size(), 2u);
  EXPECT_EQ(overflow.label[0].name, "cgroup");
  EXPECT_EQ(overflow.label[1].name, "op");
  EXPECT_EQ(overflow.label[1].value, "overflow") << "every label is overflow, so it cannot collide";
  EXPECT_EQ(overflow.counter.value, 5 + 1 + 7 + 30);
}

TEST(SeriesLimitTest, TiesAreBrokenByLabelsSoEveryScrapeChoosesAlike) {
  auto a = Counters({1, 1, 1, 1, 1});
  auto b = a;
  std::reverse(b.metric.begin(), b.metric.end());
  LimitSeries(a, 3);
  LimitSeries(b, 3);
  EXPECT_THAT(CgroupsOf(a), ElementsAre("/c0", "/c1", "overflow"));
  EXPECT_THAT(CgroupsOf(b), ElementsAre("/c1", "/c0", "overflow"));
  EXPECT_EQ(a.metric.back().counter.value, 3);
}

TEST(SeriesLimitTest, GaugesAreSummedToo) {
  auto f = MakeFamily("hp_rss_bytes", "test", prometheus::MetricType::Gauge);
  for (int i = 0; i < 10; ++i) AddGauge(f, {{"pid", std::to_string(i)}}, i * 100);
  EXPECT_EQ(LimitSeries(f, 4), 7u);
  ASSERT_EQ(f.metric.size(), 4u);
  EXPECT_EQ(f.metric[0].gauge.value, 700);
  EXPECT_EQ(f.metric[2].gauge.value, 900);
  EXPECT_EQ(f.metric[3].label[0].value, "overflow");
  EXPECT_EQ(f.metric[3].gauge.value, 0 + 100 + 200 + 300 + 400 + 500 + 600);
}

TEST(SeriesLimitTest, HistogramsDropWholeSeriesAndAddNoOverflow) {
  auto f = MakeFamily("hp_latency_seconds", "test", prometheus::MetricType::Histogram);
  for (uint64_t n : {3u, 30u, 10u, 20u}) {
    CumulativeHistogram h;
    h.upper_bounds_seconds = {0.001, 0.01};
    h.cumulative_counts = {n / 2, n};
    h.count = n;
    h.sum_seconds = 0.001 * n;
    AddHistogram(f, {{"device", "d" + std::to_string(n)}}, h);
  }
  EXPECT_EQ(LimitSeries(f, 2), 2u);
  ASSERT_EQ(f.metric.size(), 2u);
  EXPECT_EQ(f.metric[0].label[0].value, "d30");
  EXPECT_EQ(f.metric[1].label[0].value, "d20");
  EXPECT_EQ(f.metric[0].histogram.bucket.size(), 3u) << "a kept series keeps all its buckets";
  // What is left serializes as whole histograms.
  std::string text = test::Serialize({f});
  EXPECT_THAT(text, HasSubstr("hp_latency_seconds_count{device=\"d30\"} 30"));
  EXPECT_EQ(text.find("d10"), std::string::npos);
  EXPECT_EQ(text.find("d3\""), std::string::npos);
}

TEST(SeriesLimitTest, NanValuesGoFirst) {
  auto f = Counters({std::nan(""), 2, 1});
  EXPECT_EQ(LimitSeries(f, 2), 2u);
  EXPECT_THAT(CgroupsOf(f), ElementsAre("/c1", "overflow"));
}

TEST(SeriesLimitTest, LimiterCountsDroppedSeriesPerFamilyAcrossScrapes) {
  SeriesLimiter limiter(3);
  for (int scrape = 1; scrape <= 2; ++scrape) {
    std::vector<prometheus::MetricFamily> families{Counters({1, 2, 3, 4, 5, 6}), Counters({1})};
    families[1].name = "hp_small_total";
    limiter.Apply(families);
    ASSERT_EQ(families.size(), 3u);
    EXPECT_EQ(families[0].metric.size(), 3u);
    EXPECT_EQ(families[1].metric.size(), 1u);
    const auto& dropped = families[2];
    EXPECT_EQ(dropped.name, "hostprobe_series_dropped_total");
    ASSERT_EQ(dropped.metric.size(), 1u) << "only families that overflowed get a series";
    EXPECT_EQ(dropped.metric[0].label[0].name, "family");
    EXPECT_EQ(dropped.metric[0].label[0].value, "hp_test_total");
    EXPECT_EQ(dropped.metric[0].counter.value, 4.0 * scrape);
  }
}

TEST(SeriesLimitTest, DroppedFamilyExistsBeforeAnythingOverflows) {
  SeriesLimiter limiter(10);
  std::vector<prometheus::MetricFamily> families{Counters({1, 2})};
  limiter.Apply(families);
  ASSERT_EQ(families.size(), 2u);
  EXPECT_EQ(families[1].name, "hostprobe_series_dropped_total");
  EXPECT_TRUE(families[1].metric.empty());
  EXPECT_THAT(test::Serialize(families), HasSubstr("# TYPE hostprobe_series_dropped_total counter"));
}

// What prometheus-cpp's TextSerializer does with hostile text, after the
// sanitizer has made it valid UTF-8: label values escape \, " and newline,
// so a process named a"b\c<newline><0xff> cannot end a line or a label early.
// HELP it writes verbatim (1.0.1); EscapeHelp makes up for that.
TEST(SeriesLimitTest, HostileLabelValuesAndHelpAreEscaped) {
  auto f = MakeFamily("hp_hostile_total", "help with \\ and\nnewline \xff", prometheus::MetricType::Counter);
  AddCounter(f, {{"comm", std::string("a\"b\\c\n\xff")}}, 1);
  std::vector<prometheus::MetricFamily> families{f};
  EscapeHelp(families);
  std::string text = test::Serialize(families);
  EXPECT_THAT(test::Lines(text),
              ElementsAre("# HELP hp_hostile_total help with \\\\ and\\nnewline \xEF\xBF\xBD",
                          "# TYPE hp_hostile_total counter",
                          "hp_hostile_total{comm=\"a\\\"b\\\\c\\n\xEF\xBF\xBD\"} 1"));
  EXPECT_TRUE(test::IsValidUtf8(text));
  // Plain HELP is left alone.
  auto plain = MakeFamily("hp_plain", "Bytes read, by device.", prometheus::MetricType::Gauge);
  families = {plain};
  EscapeHelp(families);
  EXPECT_EQ(families[0].help, "Bytes read, by device.");
}

}  // namespace
}  // namespace hostprobe
