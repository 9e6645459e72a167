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

// Caps `family` at `max` series (0: no cap) and returns how many series were
// folded or dropped. The series kept are the largest (counter, gauge or
// untyped value; sample count for histograms and summaries), ties broken by
// labels, so the choice is the same on every scrape; they stay in their
// original order. Counters, gauges and untyped: the top max-1 are kept and
// the rest summed into one series whose every label is "overflow" (as the
// set of summed series changes, that sum can go down: it is a warning, not a
// figure to rate()). Histograms and summaries: the top max are kept and the
// rest dropped whole, buckets and all.
size_t LimitSeries(prometheus::MetricFamily& family, size_t max);

// prometheus-cpp 1.0's TextSerializer escapes label values but writes HELP
// verbatim, so a backslash or newline in HELP would corrupt the exposition.
// Makes HELP valid UTF-8 and escapes \ and newline, unless the serializer in
// use is found (once, by trying it) to escape HELP itself.
void EscapeHelp(std::vector<prometheus::MetricFamily>& families);

// Applies LimitSeries to every family and exports
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
  std::map<std::string, double> dropped_;  // by family name; guarded by mu_
};

}  // namespace hostprobe
