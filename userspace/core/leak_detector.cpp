#include "core/leak_detector.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

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
  int64_t first_t = 0, last_t = 0;
  for (size_t i = 0; i < history.size(); ++i) {
    RssHistory::Sample s = history.at(i);
    if (s.t_ms < usable_from || s.t_ms <= window_start || s.t_ms > now_ms) continue;
    if (v.samples_used++ == 0) first_t = s.t_ms;
    last_t = s.t_ms;
    int b = static_cast<int>(static_cast<double>(s.t_ms - window_start) / width);
    Bucket& bk = buckets[static_cast<size_t>(std::clamp(b, 0, nb - 1))];
    if (s.rss_bytes < bk.min) bk = Bucket{s.rss_bytes, s.t_ms};
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

LeakTracker::Entry* LeakTracker::Find(const ProcessKey& key) {
  auto it = entries_.find(key.pid);
  if (it == entries_.end() || it->second.start_time != key.start_time) return nullptr;
  return &it->second;
}

void LeakTracker::Observe(ProcessKey key, int64_t exec_ms, int64_t t_ms, uint64_t rss_bytes) {
  auto it = entries_.find(key.pid);
  if (it == entries_.end()) {
    it = entries_.emplace(key.pid, Entry{key.start_time, exec_ms, t_ms, false, RssHistory(params_)}).first;
  } else if (it->second.start_time != key.start_time) {
    // The pid was reused by another process: nothing of the old one applies.
    it->second = Entry{key.start_time, exec_ms, t_ms, false, RssHistory(params_)};
  } else if (exec_ms > it->second.exec_ms) {
    // Same process, new program image: its memory starts over.
    it->second.exec_ms = exec_ms;
    it->second.suspected = false;
    it->second.history.Clear();
  }
  it->second.last_seen_ms = t_ms;
  it->second.history.Add(t_ms, rss_bytes);
}

std::vector<LeakStateEntry> LeakTracker::Export(size_t max_entries) const {
  std::vector<const std::pair<const int32_t, Entry>*> order;
  order.reserve(entries_.size());
  for (const auto& kv : entries_)
    if (!kv.second.history.empty()) order.push_back(&kv);
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    if (a->second.suspected != b->second.suspected) return a->second.suspected;
    return a->second.history.size() > b->second.history.size();
  });
  if (order.size() > max_entries) order.resize(max_entries);
  std::vector<LeakStateEntry> out;
  out.reserve(order.size());
  for (const auto* kv : order) {
    LeakStateEntry e;
    e.key = {kv->first, kv->second.start_time};
    e.exec_ms = kv->second.exec_ms;
    e.suspected = kv->second.suspected;
    e.samples.reserve(kv->second.history.size());
    for (size_t i = 0; i < kv->second.history.size(); ++i) e.samples.push_back(kv->second.history.at(i));
    out.push_back(std::move(e));
  }
  return out;
}

void LeakTracker::Restore(const LeakStateEntry& entry) {
  if (entry.samples.empty() || entries_.count(entry.key.pid) != 0) return;
  Entry e{entry.key.start_time, entry.exec_ms, entry.samples.back().t_ms, entry.suspected,
          RssHistory(params_)};
  for (const auto& s : entry.samples) e.history.Add(s.t_ms, s.rss_bytes);
  entries_.emplace(entry.key.pid, std::move(e));
}

size_t LeakTracker::ForgetNotSeenSince(int64_t t_ms) {
  return std::erase_if(entries_, [t_ms](const auto& kv) { return kv.second.last_seen_ms < t_ms; });
}

LeakVerdict LeakTracker::JudgeEntry(Entry& e, int64_t now_ms) {
  LeakVerdict v = JudgeLeak(e.history, now_ms, e.exec_ms, params_, e.suspected);
  e.suspected = v.suspected;
  return v;
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

const RssHistory* LeakTracker::History(const ProcessKey& key) const {
  auto it = entries_.find(key.pid);
  if (it == entries_.end() || it->second.start_time != key.start_time) return nullptr;
  return &it->second.history;
}

size_t LeakTracker::MemoryBytes() const {
  // A std::map node holds the value plus three pointers and a colour word.
  constexpr size_t kNodeOverhead = 4 * sizeof(void*);
  size_t bytes = sizeof(*this);
  for (const auto& [pid, e] : entries_)
    bytes += sizeof(std::pair<const int32_t, Entry>) + kNodeOverhead + e.history.MemoryBytes() -
             sizeof(RssHistory);
  return bytes;
}

}  // namespace hostprobe
