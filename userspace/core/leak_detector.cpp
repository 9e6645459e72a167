#include "core/leak_detector.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>

namespace hostprobe {
namespace {

constexpr int kMinBuckets = 6;
constexpr int kMaxBuckets = 12;
constexpr int64_t kMaxWindowMs = std::numeric_limits<int32_t>::max();  // uint32 offsets with room to rebase

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

struct Point {
  double t_s;  // time of the bucket's minimum
  double rss;  // the bucket's minimum, bytes
};

// Mann-Kendall z with the tie correction of the variance; continuity
// corrected. Bucket counts are small (<= 12), so the O(n^2) pair loop is cheap.
double MannKendallZ(const std::vector<Point>& p) {
  const size_t n = p.size();
  if (n < 3) return 0;
  long s = 0;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) s += (p[j].rss > p[i].rss) - (p[j].rss < p[i].rss);
  std::vector<double> ys;
  ys.reserve(n);
  for (const Point& q : p) ys.push_back(q.rss);
  std::sort(ys.begin(), ys.end());
  double ties = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && ys[j] == ys[i]) ++j;
    double t = static_cast<double>(j - i);
    ties += t * (t - 1) * (2 * t + 5);
    i = j;
  }
  double dn = static_cast<double>(n);
  double var = (dn * (dn - 1) * (2 * dn + 5) - ties) / 18.0;
  if (var <= 0 || s == 0) return 0;
  return (s > 0 ? s - 1 : s + 1) / std::sqrt(var);
}

// Pairwise slopes (bytes/s) of the points, sorted ascending.
std::vector<double> PairSlopes(const std::vector<Point>& p, size_t from) {
  std::vector<double> slopes;
  for (size_t i = from; i < p.size(); ++i)
    for (size_t j = i + 1; j < p.size(); ++j)
      if (p[j].t_s > p[i].t_s) slopes.push_back((p[j].rss - p[i].rss) / (p[j].t_s - p[i].t_s));
  std::sort(slopes.begin(), slopes.end());
  return slopes;
}

double Median(const std::vector<double>& sorted) {
  size_t m = sorted.size();
  if (m == 0) return 0;
  return m % 2 ? sorted[m / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
}

// The lower median: for the few tail points, one step up among otherwise
// flat points must not pass for steady growth.
double LowerMedian(const std::vector<double>& sorted) {
  return sorted.empty() ? 0 : sorted[(sorted.size() - 1) / 2];
}

}  // namespace

LeakParams LeakParams::For(std::chrono::milliseconds sample_interval, std::chrono::milliseconds window) {
  LeakParams p;
  p.sample_interval_ms = std::max<int64_t>(1, sample_interval.count());
  p.window_ms = std::max<int64_t>(1, window.count());
  p.max_samples = 256;
  // Two slots of slack: a window's samples can touch window/resolution + 2 slots.
  p.resolution_ms =
      std::max<int64_t>(p.sample_interval_ms, CeilDiv(p.window_ms, static_cast<int64_t>(p.max_samples) - 2));
  p.warmup_ms = std::max<int64_t>(p.window_ms / 6, 3 * p.sample_interval_ms);
  int64_t slots = p.window_ms / p.resolution_ms;
  p.buckets = static_cast<int>(std::clamp<int64_t>(slots / 3, kMinBuckets, kMaxBuckets));
  p.min_coverage = 0.75;
  p.min_samples = static_cast<size_t>(std::ceil(0.5 * p.min_coverage * static_cast<double>(slots)));
  return p;
}

LeakParams LeakParams::ForScale(std::chrono::milliseconds sample_interval, std::chrono::milliseconds window,
                                std::chrono::milliseconds warmup, double min_growth_bytes_per_second,
                                size_t max_samples) {
  LeakParams p;
  p.sample_interval_ms = std::max<int64_t>(1, sample_interval.count());
  p.window_ms = std::max<int64_t>(1, window.count());
  p.max_samples = std::max<size_t>(16, max_samples);
  p.resolution_ms =
      std::max<int64_t>(p.sample_interval_ms, CeilDiv(p.window_ms, static_cast<int64_t>(p.max_samples) - 2));
  p.warmup_ms = std::max<int64_t>(warmup.count(), 3 * p.sample_interval_ms);
  int64_t slots = p.window_ms / p.resolution_ms;
  p.buckets = static_cast<int>(std::clamp<int64_t>(slots / 3, kMinBuckets, kMaxBuckets));
  p.min_coverage = 0.75;
  p.min_samples = static_cast<size_t>(std::ceil(0.5 * p.min_coverage * static_cast<double>(slots)));
  p.min_growth_bytes_per_second = min_growth_bytes_per_second;
  return p;
}

std::vector<LeakParams> LeakScalesFor(std::chrono::milliseconds sample_interval,
                                      std::chrono::milliseconds window) {
  using std::chrono::milliseconds;
  const int64_t iv = std::max<int64_t>(1, sample_interval.count());
  const int64_t w = std::max<int64_t>(1, window.count());
  // History slots per scale: a few per bucket is all the bucket minima need
  // (a slot keeps its minimum), so the longer scales are stored coarser.
  constexpr size_t kSlots = 64;
  // Random-walk test (LeakParams::min_step_t): random walks judged for
  // thousands of process-hours are flagged less than once per 1,000 (the
  // table in docs/leak-detection.md), every leak of the corpus passes.
  constexpr double kStepT = 12;
  std::vector<LeakParams> scales;
  auto add_shorter = [&](int64_t win, int64_t warmup, double min_growth, double coverage) {
    if (win < 30 * iv) return;  // too few samples to ever show a trend
    size_t slots = std::min<size_t>(kSlots, static_cast<size_t>(win / iv) + 2);
    LeakParams p =
        LeakParams::ForScale(sample_interval, milliseconds(win), milliseconds(warmup), min_growth, slots);
    p.min_samples =
        static_cast<size_t>(std::ceil(static_cast<double>(p.min_samples) * coverage / p.min_coverage));
    p.min_coverage = coverage;
    p.min_step_t = kStepT;
    scales.push_back(p);
  };
  // Fast leaks: a start-up grace of 3 of the 5 minutes, then 5 minutes to
  // confirm. The growth it needs is above what heaps and caches that fill at
  // start-up keep up for minutes; the process that grows this fast has the
  // least time left.
  add_shorter(w / 6, w / 10, 512 * 1024.0, 0.75);
  // Moderate leaks: judged on 9 of its 10 minutes after the grace, so at 12
  // minutes of age at the earliest: a cache that fills for ten minutes has
  // levelled off by then, and a leak this slow has time left.
  add_shorter(w / 3, w / 10, 16 * 1024.0, 0.9);
  LeakParams main =
      LeakParams::ForScale(sample_interval, window, milliseconds(std::max<int64_t>(w / 6, 3 * iv)),
                           4 * 1024.0, std::min<size_t>(kSlots, static_cast<size_t>(w / iv) + 2));
  main.min_step_t = kStepT;
  scales.push_back(main);
  const int64_t long_w = std::min<int64_t>(12 * w, kMaxWindowMs);
  if (long_w > w) {
    scales.push_back(
        LeakParams::ForScale(sample_interval, milliseconds(long_w), milliseconds(w), 1024.0, kSlots));
    scales.back().min_step_t = kStepT;
  }
  return scales;
}

Status LeakParams::Validate() const {
  auto fail = [](std::string what) { return Status(Error{std::move(what), 0}); };
  if (sample_interval_ms <= 0) return fail("the sample interval must be positive");
  // Fewer samples give fewer than 12 buckets, and a perfectly monotonic
  // series of so few bucket minima cannot reach the Mann-Kendall threshold
  // once coverage gaps are allowed for: such a window could never flag.
  if (window_ms < 36 * sample_interval_ms)
    return fail(
        "the leak window must be at least 36 sample intervals (e.g. --leak-window 6m with "
        "--sample-interval 10s); a shorter one has too few samples to ever show a trend");
  if (window_ms > kMaxWindowMs) return fail("the leak window must be at most 24d");
  if (max_samples < 16) return fail("the leak history needs at least 16 samples");
  if (resolution_ms < sample_interval_ms)
    return fail("the history resolution is finer than the sample interval");
  if (buckets < 3 || buckets > 64) return fail("the leak detector needs 3 to 64 buckets");
  if (!(min_coverage > 0 && min_coverage <= 1)) return fail("min_coverage must be in (0, 1]");
  if (!(tail_fraction > 0 && tail_fraction <= 0.5)) return fail("tail_fraction must be in (0, 0.5]");
  if (!(release_factor > 0 && release_factor <= 1)) return fail("release_factor must be in (0, 1]");
  if (warmup_ms < 0) return fail("warmup must not be negative");
  return Ok{};
}

// ---- RssHistory ----

RssHistory::RssHistory(const LeakParams& params)
    : window_ms_(std::clamp<int64_t>(params.window_ms, 1, kMaxWindowMs)),
      resolution_ms_(std::max<int64_t>(1, params.resolution_ms)),
      capacity_(static_cast<uint32_t>(std::clamp<size_t>(params.max_samples, 2, 1u << 20))) {}

RssHistory::Sample RssHistory::at(size_t i) const {
  const Packed& p = Slot(i);
  return Sample{base_ms_ + p.dt_ms, static_cast<uint64_t>(p.rss_kib) * 1024};
}

void RssHistory::Clear() {
  head_ = 0;
  size_ = 0;
}

void RssHistory::DropOlderThan(int64_t t_ms) {
  while (size_ > 0 && at(0).t_ms < t_ms) {
    head_ = (head_ + 1) % static_cast<uint32_t>(ring_.size());
    --size_;
  }
}

void RssHistory::Rebase(int64_t new_base_ms) {
  for (size_t i = 0; i < size_; ++i)
    Slot(i).dt_ms = static_cast<uint32_t>(base_ms_ + Slot(i).dt_ms - new_base_ms);
  base_ms_ = new_base_ms;
}

void RssHistory::Push(Packed p) {
  if (size_ == capacity_) {  // more slots than the window should need: evict the oldest
    head_ = (head_ + 1) % static_cast<uint32_t>(ring_.size());
    --size_;
  }
  if (size_ == ring_.size()) {
    // Grow to at most capacity_, reserving exactly so the bound in
    // MaxBytesPerProcess holds (push_back's doubling could overshoot it).
    size_t grown = std::min<size_t>(capacity_, std::max<size_t>(8, ring_.size() * 2));
    std::vector<Packed> next;
    next.reserve(grown);
    for (size_t i = 0; i < size_; ++i) next.push_back(Slot(i));
    next.resize(grown);
    ring_.swap(next);
    head_ = 0;
  }
  ring_[(head_ + size_) % ring_.size()] = p;
  ++size_;
}

void RssHistory::Add(int64_t t_ms, uint64_t rss_bytes) {
  const uint32_t kib = static_cast<uint32_t>(std::min<uint64_t>(rss_bytes / 1024, UINT32_MAX));
  if (size_ > 0) {
    Sample last = newest();
    if (t_ms < last.t_ms) return;
    if (FloorDiv(t_ms, resolution_ms_) == FloorDiv(last.t_ms, resolution_ms_)) {
      Packed& slot = Slot(size_ - 1);
      if (kib < slot.rss_kib) slot = Packed{static_cast<uint32_t>(t_ms - base_ms_), kib};
      return;
    }
    DropOlderThan(t_ms - window_ms_);
  }
  if (size_ == 0) {
    base_ms_ = t_ms;
  } else if (t_ms - base_ms_ > kMaxWindowMs) {
    Rebase(at(0).t_ms);  // everything kept is within the window, so offsets fit again
  }
  Push(Packed{static_cast<uint32_t>(t_ms - base_ms_), kib});
}

size_t RssHistory::MemoryBytes() const { return sizeof(RssHistory) + ring_.capacity() * sizeof(Packed); }

size_t RssHistory::MaxBytesPerProcess(const LeakParams& params) {
  return sizeof(RssHistory) + std::clamp<size_t>(params.max_samples, 2, 1u << 20) * sizeof(Packed);
}

// ---- JudgeLeak ----

LeakVerdict JudgeLeak(const RssHistory& history, int64_t now_ms, int64_t exec_ms, const LeakParams& params,
                      bool previously_suspected) {
  LeakVerdict v;
  if (now_ms - exec_ms < params.warmup_ms) {
    v.reason = "warming up";
    return v;
  }
  const int nb = std::max(1, params.buckets);
  const int64_t window_start = now_ms - params.window_ms;
  const int64_t usable_from = std::max(window_start, exec_ms + params.warmup_ms);
  const double width = static_cast<double>(params.window_ms) / nb;

  struct Bucket {
    uint64_t min = UINT64_MAX;
    int64_t t_min = 0;
  };
  std::vector<Bucket> buckets(static_cast<size_t>(nb));
  // Twice as many half-width buckets, for the monotone-floor test below.
  std::vector<Bucket> halves(static_cast<size_t>(2 * nb));
  int64_t first_t = 0, last_t = 0;
  for (size_t i = 0; i < history.size(); ++i) {
    RssHistory::Sample s = history.at(i);
    if (s.t_ms < usable_from || s.t_ms <= window_start || s.t_ms > now_ms) continue;
    if (v.samples_used++ == 0) first_t = s.t_ms;
    last_t = s.t_ms;
    int b = static_cast<int>(static_cast<double>(s.t_ms - window_start) / width);
    Bucket& bk = buckets[static_cast<size_t>(std::clamp(b, 0, nb - 1))];
    if (s.rss_bytes < bk.min) bk = Bucket{s.rss_bytes, s.t_ms};
    int hb = static_cast<int>(static_cast<double>(s.t_ms - window_start) / (width / 2));
    Bucket& hk = halves[static_cast<size_t>(std::clamp(hb, 0, 2 * nb - 1))];
    if (s.rss_bytes < hk.min) hk = Bucket{s.rss_bytes, s.t_ms};
  }
  std::vector<Point> pts;
  for (const Bucket& b : buckets)
    if (b.min != UINT64_MAX)
      pts.push_back(Point{static_cast<double>(b.t_min) / 1000.0, static_cast<double>(b.min)});
  v.buckets_used = static_cast<int>(pts.size());
  const double needed_span = params.min_coverage * static_cast<double>(params.window_ms);
  const int needed_buckets = static_cast<int>(std::ceil(params.min_coverage * nb));
  if (v.samples_used < params.min_samples || static_cast<double>(last_t - first_t) < needed_span ||
      v.buckets_used < std::max(3, needed_buckets)) {
    v.reason = "too few samples";
    return v;
  }

  v.mk_z = MannKendallZ(pts);
  v.growth_bytes_per_second = Median(PairSlopes(pts, 0));
  v.relative_growth = v.growth_bytes_per_second * (static_cast<double>(params.window_ms) / 1000.0) /
                      std::max(pts[0].rss, 1.0);
  // "Does not fall" rather than "rises": a leak that grows in steps has
  // exactly flat stretches between them.
  int rising = 0;
  for (size_t i = 1; i < pts.size(); ++i) rising += pts[i].rss >= pts[i - 1].rss;
  v.rising_fraction = static_cast<double>(rising) / static_cast<double>(pts.size() - 1);
  // The floor never falls, bucket after half-width bucket (by more than
  // 0.1 % of what it grew in the window): a leak that grows in steps (a heap
  // expanding by chunks) does this, while its steps are too uneven for the
  // t test below. A random walk's floor falls about every other bucket.
  {
    std::vector<double> fine;
    for (const Bucket& b : halves)
      if (b.min != UINT64_MAX) fine.push_back(static_cast<double>(b.min));
    const double slack = 0.001 * std::max(0.0, pts.back().rss - pts.front().rss);
    v.floor_never_falls = fine.size() >= 2 * static_cast<size_t>(needed_buckets) - 1;
    for (size_t i = 1; i < fine.size() && v.floor_never_falls; ++i)
      v.floor_never_falls = fine[i] >= fine[i - 1] - slack;
  }
  {
    std::vector<double> steps;
    for (size_t i = 1; i < pts.size(); ++i)
      if (pts[i].t_s > pts[i - 1].t_s)
        steps.push_back((pts[i].rss - pts[i - 1].rss) / (pts[i].t_s - pts[i - 1].t_s));
    double mean = 0, var = 0;
    for (double d : steps) mean += d;
    mean /= std::max<size_t>(1, steps.size());
    for (double d : steps) var += (d - mean) * (d - mean);
    const double m = static_cast<double>(steps.size());
    const double se = m > 1 ? std::sqrt(var / (m - 1) / m) : 0;
    v.step_t = se > 0 ? mean / se : (mean > 0 ? std::numeric_limits<double>::infinity() : 0);
  }
  const double tail_from_s =
      (static_cast<double>(now_ms) - params.tail_fraction * static_cast<double>(params.window_ms)) / 1000.0;
  size_t tail_first = pts.size();
  while (tail_first > 0 && pts[tail_first - 1].t_s >= tail_from_s) --tail_first;
  if (pts.size() - tail_first < 2) {  // gaps left the newest part without a trend to measure
    v.reason = "too few samples";
    return v;
  }
  v.tail_growth_bytes_per_second = LowerMedian(PairSlopes(pts, tail_first));

  const double f = previously_suspected ? params.release_factor : 1.0;
  const double z_needed = previously_suspected ? params.keep_mk_z : params.min_mk_z;
  if (v.mk_z < z_needed) {
    v.reason = "no significant trend";
  } else if (v.growth_bytes_per_second < params.min_growth_bytes_per_second * f) {
    v.reason = "growth too small";
  } else if (v.relative_growth < params.min_relative_growth * f) {
    v.reason = "relative growth too small";
  } else if (v.rising_fraction < params.min_rising_fraction * f) {
    v.reason = "not rising steadily";
  } else if (params.min_step_t > 0 && v.step_t < params.min_step_t * f &&
             !(v.floor_never_falls && v.step_t >= 2.5 * f)) {
    v.reason = "wandering";
  } else if (v.tail_growth_bytes_per_second <= 0 ||
             v.tail_growth_bytes_per_second < params.tail_min_ratio * f * v.growth_bytes_per_second) {
    v.reason = "plateau";
  } else {
    v.suspected = true;
    v.reason = "leak";
  }
  return v;
}

// ---- LeakTracker ----

LeakTracker::LeakTracker(std::vector<LeakParams> scales) : scales_(std::move(scales)) {
  if (scales_.empty()) scales_.push_back(LeakParams{});
  if (scales_.size() > 8) scales_.resize(8);  // one bit each in a uint8_t
}

LeakTracker::Entry LeakTracker::NewEntry(uint64_t start_time, int64_t exec_ms, int64_t t_ms) const {
  Entry e{start_time, exec_ms, t_ms, 0, {}};
  e.histories.reserve(scales_.size());
  for (const LeakParams& p : scales_) e.histories.emplace_back(p);
  return e;
}

LeakTracker::Entry* LeakTracker::Find(const ProcessKey& key) {
  auto it = entries_.find(key.pid);
  if (it == entries_.end() || it->second.start_time != key.start_time) return nullptr;
  return &it->second;
}

void LeakTracker::Observe(ProcessKey key, int64_t exec_ms, int64_t t_ms, uint64_t rss_bytes) {
  auto it = entries_.find(key.pid);
  if (it == entries_.end()) {
    it = entries_.emplace(key.pid, NewEntry(key.start_time, exec_ms, t_ms)).first;
  } else if (it->second.start_time != key.start_time) {
    // The pid was reused by another process: nothing of the old one applies.
    it->second = NewEntry(key.start_time, exec_ms, t_ms);
  } else if (exec_ms > it->second.exec_ms) {
    // Same process, new program image: its memory starts over.
    it->second.exec_ms = exec_ms;
    it->second.suspected = 0;
    for (RssHistory& h : it->second.histories) h.Clear();
  }
  it->second.last_seen_ms = t_ms;
  for (RssHistory& h : it->second.histories) h.Add(t_ms, rss_bytes);
}

namespace {

// Every sample of every scale's history, oldest first, one per time (the
// lowest where two scales disagree after merging within a slot).
std::vector<RssHistory::Sample> MergedSamples(const std::vector<RssHistory>& histories) {
  std::vector<RssHistory::Sample> all;
  for (const RssHistory& h : histories)
    for (size_t i = 0; i < h.size(); ++i) all.push_back(h.at(i));
  std::sort(all.begin(), all.end(), [](const RssHistory::Sample& a, const RssHistory::Sample& b) {
    return a.t_ms != b.t_ms ? a.t_ms < b.t_ms : a.rss_bytes < b.rss_bytes;
  });
  all.erase(
      std::unique(all.begin(), all.end(),
                  [](const RssHistory::Sample& a, const RssHistory::Sample& b) { return a.t_ms == b.t_ms; }),
      all.end());
  return all;
}

size_t Longest(const std::vector<RssHistory>& histories) {
  size_t n = 0;
  for (const RssHistory& h : histories) n = std::max(n, h.size());
  return n;
}

}  // namespace

std::vector<LeakStateEntry> LeakTracker::Export(size_t max_entries) const {
  std::vector<const std::pair<const int32_t, Entry>*> order;
  order.reserve(entries_.size());
  for (const auto& kv : entries_)
    if (Longest(kv.second.histories) > 0) order.push_back(&kv);
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    if ((a->second.suspected != 0) != (b->second.suspected != 0)) return a->second.suspected != 0;
    return Longest(a->second.histories) > Longest(b->second.histories);
  });
  if (order.size() > max_entries) order.resize(max_entries);
  std::vector<LeakStateEntry> out;
  out.reserve(order.size());
  for (const auto* kv : order) {
    LeakStateEntry e;
    e.key = {kv->first, kv->second.start_time};
    e.exec_ms = kv->second.exec_ms;
    e.suspected = kv->second.suspected;
    e.samples = MergedSamples(kv->second.histories);
    out.push_back(std::move(e));
  }
  return out;
}

void LeakTracker::Restore(const LeakStateEntry& entry) {
  if (entry.samples.empty() || entries_.count(entry.key.pid) != 0) return;
  Entry e = NewEntry(entry.key.start_time, entry.exec_ms, entry.samples.back().t_ms);
  e.suspected = static_cast<uint8_t>(entry.suspected & ((1u << scales_.size()) - 1));
  for (const auto& s : entry.samples)
    for (RssHistory& h : e.histories) h.Add(s.t_ms, s.rss_bytes);
  entries_.emplace(entry.key.pid, std::move(e));
}

size_t LeakTracker::ForgetNotSeenSince(int64_t t_ms) {
  return std::erase_if(entries_, [t_ms](const auto& kv) { return kv.second.last_seen_ms < t_ms; });
}

LeakVerdict LeakTracker::JudgeEntry(Entry& e, int64_t now_ms) {
  LeakVerdict chosen;
  bool have_suspect = false;
  uint32_t suspecting = 0;
  std::vector<LeakVerdict> verdicts;
  verdicts.reserve(scales_.size());
  for (size_t i = 0; i < scales_.size(); ++i) {
    const bool was = (e.suspected >> i) & 1u;
    verdicts.push_back(JudgeLeak(e.histories[i], now_ms, e.exec_ms, scales_[i], was));
    verdicts.back().window_ms = scales_[i].window_ms;
  }
  for (size_t i = 0; i < scales_.size(); ++i) {
    LeakVerdict& v = verdicts[i];
    const std::string_view why(v.reason);
    const bool judged = why != "warming up" && why != "too few samples";
    // A new suspicion must agree with the next longer scale where that can
    // judge: memory that wandered up for one window (a random walk) has not
    // also grown at a quarter of that rate over the longer one, while a leak
    // that began within the shorter window already has (a 10-minute-old
    // leak shows a third of its rate over 30 minutes).
    if (v.suspected && !((e.suspected >> i) & 1u) && i + 1 < scales_.size()) {
      const LeakVerdict& longer = verdicts[i + 1];
      const std::string_view lwhy(longer.reason);
      if (lwhy != "warming up" && lwhy != "too few samples" &&
          longer.growth_bytes_per_second < 0.25 * v.growth_bytes_per_second) {
        v.suspected = false;
        v.reason = "not growing over the longer window";
      }
    }
    if (v.suspected) {
      suspecting |= 1u << i;
      // The shortest suspecting scale speaks: its growth is the most recent.
      if (!have_suspect) chosen = v;
      have_suspect = true;
    } else if (!have_suspect && (i == 0 || judged)) {
      chosen = v;  // no suspect: the longest scale that could judge says why not
    }
  }
  e.suspected = static_cast<uint8_t>(suspecting);
  chosen.suspecting_scales = suspecting;
  return chosen;
}

std::optional<LeakVerdict> LeakTracker::Judge(const ProcessKey& key, int64_t now_ms) {
  Entry* e = Find(key);
  if (e == nullptr) return std::nullopt;
  return JudgeEntry(*e, now_ms);
}

std::vector<std::pair<ProcessKey, LeakVerdict>> LeakTracker::JudgeAll(int64_t now_ms) {
  std::vector<std::pair<ProcessKey, LeakVerdict>> out;
  out.reserve(entries_.size());
  for (auto& [pid, e] : entries_) out.emplace_back(ProcessKey{pid, e.start_time}, JudgeEntry(e, now_ms));
  return out;
}

const RssHistory* LeakTracker::History(const ProcessKey& key, size_t scale) const {
  auto it = entries_.find(key.pid);
  if (it == entries_.end() || it->second.start_time != key.start_time || scale >= it->second.histories.size())
    return nullptr;
  return &it->second.histories[scale];
}

size_t LeakTracker::MaxBytesPerProcess() const {
  size_t bytes = 0;
  for (const LeakParams& p : scales_) bytes += RssHistory::MaxBytesPerProcess(p);
  return bytes;
}

size_t LeakTracker::MemoryBytes() const {
  // A std::map node holds the value plus three pointers and a colour word.
  constexpr size_t kNodeOverhead = 4 * sizeof(void*);
  size_t bytes = sizeof(*this) + scales_.capacity() * sizeof(LeakParams);
  for (const auto& [pid, e] : entries_) {
    bytes += sizeof(std::pair<const int32_t, Entry>) + kNodeOverhead;
    bytes += (e.histories.capacity() - e.histories.size()) * sizeof(RssHistory);
    for (const RssHistory& h : e.histories) bytes += h.MemoryBytes();
  }
  return bytes;
}

}  // namespace hostprobe
