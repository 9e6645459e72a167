#include "exporters/prometheus/series_limit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

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

// ---- across scrapes: sticky kept set, monotonic overflow --------------------------

// A counter family of the given series (cgroup name -> value), as a collector would build it.
prometheus::MetricFamily Named(const std::map<std::string, double>& values,
                               prometheus::MetricType type = prometheus::MetricType::Counter) {
  auto f = MakeFamily("hp_test_total", "test", type);
  for (const auto& [name, v] : values) {
    if (type == prometheus::MetricType::Counter)
      AddCounter(f, {{"cgroup", name}, {"op", "read"}}, v);
    else
      AddGauge(f, {{"cgroup", name}, {"op", "read"}}, v);
  }
  return f;
}

// One scrape through the limiter: the capped family.
prometheus::MetricFamily Scrape(SeriesLimiter& limiter, prometheus::MetricFamily f) {
  std::vector<prometheus::MetricFamily> families{std::move(f)};
  limiter.Apply(families);
  return families.at(0);
}

std::optional<double> Overflow(const prometheus::MetricFamily& f) {
  for (const auto& m : f.metric)
    if (m.label.at(0).value == "overflow")
      return f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
  return std::nullopt;
}

std::set<std::string> Kept(const prometheus::MetricFamily& f) {
  std::set<std::string> out;
  for (const auto& m : f.metric)
    if (m.label.at(0).value != "overflow") out.insert(m.label.at(0).value);
  return out;
}

TEST(SeriesLimitTest, OverflowNeverDecreasesWhileTheRankingChanges) {
  SeriesLimiter limiter(6);
  std::mt19937 rng(4242);
  std::map<std::string, double> values;
  int next_name = 0;
  for (int i = 0; i < 20; ++i) values["/c" + std::to_string(next_name++)] = rng() % 1000;
  double previous = 0;
  std::set<std::string> kept_before;
  for (int scrape = 0; scrape < 100; ++scrape) {
    // Every counter grows, by amounts that reshuffle the ranking each time;
    // now and then a series goes and another comes.
    for (auto& [name, v] : values) v += static_cast<double>(rng() % 5000);
    if (scrape % 7 == 3) values.erase(std::next(values.begin(), static_cast<long>(rng() % values.size())));
    if (scrape % 5 == 1) values["/c" + std::to_string(next_name++)] = rng() % 100000;
    auto f = Scrape(limiter, Named(values));
    ASSERT_LE(f.metric.size(), 6u);
    auto overflow = Overflow(f);
    ASSERT_TRUE(overflow.has_value()) << "scrape " << scrape;
    EXPECT_GE(*overflow, previous) << "scrape " << scrape << ": the overflow counter went down";
    previous = *overflow;
    // A kept series that still exists is still kept.
    const std::set<std::string> kept = Kept(f);
    for (const std::string& name : kept_before) {
      if (!values.contains(name)) continue;
      EXPECT_TRUE(kept.contains(name)) << name << " left the kept set";
    }
    kept_before = kept;
  }
}

TEST(SeriesLimitTest, FoldedSeriesThatGoesDoesNotDecreaseOverflow) {
  SeriesLimiter limiter(3);
  auto f = Scrape(limiter, Named({{"/a", 10}, {"/b", 20}, {"/c", 30}, {"/d", 40}, {"/e", 50}}));
  EXPECT_EQ(Kept(f), (std::set<std::string>{"/d", "/e"}));
  EXPECT_EQ(Overflow(f), 10 + 20 + 30);
  // /c goes: its 30 stays in the total.
  f = Scrape(limiter, Named({{"/a", 10}, {"/b", 20}, {"/d", 40}, {"/e", 50}}));
  EXPECT_EQ(Overflow(f), 60);
  // The folded ones add what they gained since the scrape before.
  f = Scrape(limiter, Named({{"/a", 15}, {"/b", 21}, {"/d", 40}, {"/e", 50}}));
  EXPECT_EQ(Overflow(f), 66);
  // One that went down restarted from 0: all of its value is new.
  f = Scrape(limiter, Named({{"/a", 4}, {"/b", 21}, {"/d", 40}, {"/e", 50}}));
  EXPECT_EQ(Overflow(f), 70);
}

TEST(SeriesLimitTest, KeptSetIsStickyAndFoldedSeriesStayFolded) {
  SeriesLimiter limiter(3);
  auto f = Scrape(limiter, Named({{"/a", 1}, {"/b", 2}, {"/c", 3}, {"/d", 4}}));
  EXPECT_EQ(Kept(f), (std::set<std::string>{"/c", "/d"}));
  EXPECT_EQ(Overflow(f), 1 + 2);
  // /a overtakes everything: still folded, and its growth goes to overflow.
  f = Scrape(limiter, Named({{"/a", 1000}, {"/b", 2}, {"/c", 3}, {"/d", 4}}));
  EXPECT_EQ(Kept(f), (std::set<std::string>{"/c", "/d"}));
  EXPECT_EQ(Overflow(f), 1002);
  // /d goes: its slot is free, but /a and /b stay folded...
  f = Scrape(limiter, Named({{"/a", 1000}, {"/b", 2}, {"/c", 3}}));
  EXPECT_EQ(Kept(f), (std::set<std::string>{"/c"}));
  EXPECT_EQ(Overflow(f), 1002);
  // ...and a series new to the family takes it, however small.
  f = Scrape(limiter, Named({{"/a", 1000}, {"/b", 2}, {"/c", 3}, {"/z", 0}}));
  EXPECT_EQ(Kept(f), (std::set<std::string>{"/c", "/z"}));
  EXPECT_EQ(Overflow(f), 1002);
  // Kept series stay in the collector's order.
  EXPECT_EQ(f.metric[0].label[0].value, "/c");
  EXPECT_EQ(f.metric[1].label[0].value, "/z");
  EXPECT_EQ(f.metric[2].label[0].value, "overflow");
}

TEST(SeriesLimitTest, FirstTimeOverTheCapTheLargestAreKept) {
  SeriesLimiter limiter(3);
  auto f = Scrape(limiter, Named({{"/a", 100}, {"/b", 200}}));
  EXPECT_EQ(f.metric.size(), 2u);
  EXPECT_FALSE(Overflow(f).has_value());
  f = Scrape(limiter, Named({{"/a", 100}, {"/b", 200}, {"/c", 7}, {"/d", 5000}}));
  EXPECT_EQ(Kept(f), (std::set<std::string>{"/b", "/d"}));
  EXPECT_EQ(Overflow(f), 107);
}

// Once a family has been over the cap, its series are remembered even
// while it is under it.
TEST(SeriesLimitTest, OverflowIsAbsentWhileNothingIsFoldedAndResumesFromItsTotal) {
  SeriesLimiter limiter(3);
  auto f = Scrape(limiter, Named({{"/a", 10}, {"/b", 20}, {"/c", 30}, {"/d", 40}}));
  EXPECT_EQ(Overflow(f), 10 + 20);
  f = Scrape(limiter, Named({{"/c", 30}, {"/d", 40}}));
  EXPECT_FALSE(Overflow(f).has_value());
  EXPECT_EQ(f.metric.size(), 2u);
  f = Scrape(limiter, Named({{"/c", 30}, {"/d", 40}, {"/e", 1}}));
  EXPECT_FALSE(Overflow(f).has_value()) << "under the cap: all three exported";
  EXPECT_EQ(f.metric.size(), 3u);
  // Over again: /e, the last admitted, is folded from its value then (it
  // was exported up to 1), /f with all of its value; the total goes on from 30.
  f = Scrape(limiter, Named({{"/c", 30}, {"/d", 40}, {"/e", 1}, {"/f", 5}}));
  EXPECT_EQ(Kept(f), (std::set<std::string>{"/c", "/d"}));
  EXPECT_EQ(Overflow(f), 30 + 5);
  f = Scrape(limiter, Named({{"/c", 30}, {"/d", 40}, {"/e", 8}, {"/f", 6}}));
  EXPECT_EQ(Overflow(f), 35 + 7 + 1);
}

TEST(SeriesLimitTest, GaugeOverflowIsTheSumOfTheFoldedValuesNow) {
  SeriesLimiter limiter(3);
  using prometheus::MetricType;
  auto f = Scrape(limiter, Named({{"/a", 10}, {"/b", 20}, {"/c", 30}, {"/d", 40}}, MetricType::Gauge));
  EXPECT_EQ(Overflow(f), 30);
  f = Scrape(limiter, Named({{"/a", 1}, {"/b", 20}, {"/c", 30}, {"/d", 40}}, MetricType::Gauge));
  EXPECT_EQ(Overflow(f), 21) << "a gauge's sum goes down with its series";
  EXPECT_EQ(Kept(f), (std::set<std::string>{"/c", "/d"}));
}

TEST(SeriesLimitTest, HistogramsKeepTheirSeriesStickyAndComeBackUnderTheCap) {
  SeriesLimiter limiter(2);
  auto histograms = [](const std::vector<std::pair<std::string, uint64_t>>& counts) {
    auto f = MakeFamily("hp_latency_seconds", "test", prometheus::MetricType::Histogram);
    for (const auto& [device, n] : counts) {
      CumulativeHistogram h;
      h.upper_bounds_seconds = {0.001};
      h.cumulative_counts = {n};
      h.count = n;
      AddHistogram(f, {{"device", device}}, h);
    }
    return f;
  };
  auto f = Scrape(limiter, histograms({{"a", 1}, {"b", 5}, {"c", 9}}));
  EXPECT_EQ(Kept(f), (std::set<std::string>{"b", "c"}));
  f = Scrape(limiter, histograms({{"a", 100}, {"b", 5}, {"c", 9}}));
  EXPECT_EQ(Kept(f), (std::set<std::string>{"b", "c"})) << "a bigger newcomer does not displace a kept one";
  f = Scrape(limiter, histograms({{"a", 100}, {"c", 9}}));
  EXPECT_EQ(Kept(f), (std::set<std::string>{"a", "c"})) << "under the cap, everything is exported";
}

// What the text writer does with hostile text, after the sanitizer has made
// it valid UTF-8: label values escape \, " and newline, so a process named
// a"b\c<newline><0xff> cannot end a line or a label early. HELP it writes
// verbatim (as prometheus-cpp 1.0.1 does); EscapeHelp makes up for that.
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
