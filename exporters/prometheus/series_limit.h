// A cap on the series of each metric family, applied to the merged families
// just before serialization, so no collector (or hostile input such as
// thousands of cgroups) can make a scrape unbounded.
#pragma once

#include <prometheus/metric_family.h>

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace hostprobe {

// Label value given to every label of the series that stands for the rest.
inline constexpr const char* kOverflowLabelValue = "overflow";

// The cap of one family, with what it remembers between scrapes so that
// the series kept do not change from scrape to scrape and the overflow
// counter never goes down.
//
// The kept set is sticky: a series kept stays kept while it exists, and a
// series not kept (folded) stays folded while it exists; only a series new
// to the family (or back after a scrape without it) is placed, in a kept
// slot if one is free, else folded. Slots free up as kept series go. The
// first time a family is over the cap, its largest series (counter, gauge or
// untyped value; sample count for histograms and summaries; ties broken by
// labels) are kept. Kept series stay in their original order.
//
// Counters, gauges and untyped: max-1 series are kept and the rest folded
// into one series whose every label is "overflow". For counters that series
// is a running total that never decreases: each folded series adds its
// increase since the scrape before (its whole value when first seen folded;
// a kept series that has to be folded adds only what it gains from then
// on), a folded series that goes takes nothing away, and one that goes down
// is taken to have restarted from 0. It is rate()-able, and is absent while
// nothing is folded (it resumes from its total when something is again).
// For gauges and untyped it is the sum of the folded series' current values,
// which falls when they do or when one goes. Histograms and summaries: max
// series are kept and the rest dropped whole, buckets and all, while the
// family is over the cap.
class FamilyCap {
 public:
  // Caps `family` at `max` series (0: no cap) and returns how many were
  // folded or dropped.
  size_t Apply(prometheus::MetricFamily& family, size_t max);

 private:
  std::map<std::string, uint64_t> kept_;  // label key -> order of admission
  std::map<std::string, double> folded_;  // label key -> counter value at the previous scrape
  uint64_t next_order_ = 0;
  double overflow_total_ = 0;  // counters: sum of the folded series' increases
};

// One scrape with nothing remembered: FamilyCap().Apply(family, max).
size_t LimitSeries(prometheus::MetricFamily& family, size_t max);

// The text writer (text_format.h) escapes label values but writes HELP
// verbatim, as prometheus-cpp 1.0 does, so a backslash or newline in HELP
// would corrupt the exposition. Makes HELP valid UTF-8 and escapes \ and
// newline.
void EscapeHelp(std::vector<prometheus::MetricFamily>& families);

// Caps every family (a FamilyCap per family, kept from the first scrape in
// which the family is over the cap) and exports
// hostprobe_series_dropped_total{family}: series folded or dropped, summed
// over scrapes. Thread-safe.
class SeriesLimiter {
 public:
  explicit SeriesLimiter(size_t max_per_family) : max_(max_per_family) {}

  // Caps `families` in place and appends the dropped-series family.
  void Apply(std::vector<prometheus::MetricFamily>& families);

 private:
  const size_t max_;
  std::mutex mu_;
  std::map<std::string, FamilyCap> caps_;  // by family name; guarded by mu_
  std::map<std::string, double> dropped_;  // by family name; guarded by mu_
};

}  // namespace hostprobe
