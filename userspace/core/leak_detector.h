// Per-process memory-leak detection: pure logic over (time, RSS) samples.
//
// A process is suspected of leaking when the FLOOR of its RSS (the minimum in
// each of a few time buckets across the window) rises monotonically, fast
// enough, and is still rising in the newest part of the window. Bucket minima
// ignore a garbage collector's sawtooth (its floor is flat); the "still rising"
// test rejects services that warm up or fill a cache and then level off.
// docs/leak-detection.md describes the method and every parameter.
//
// Nothing here reads a clock: every time is in milliseconds on one monotonic
// clock supplied by the caller, so verdicts are deterministic and testable.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "result.h"

namespace hostprobe {

// Every tunable of the detector. Build it with For(); the defaults are chosen
// there and explained in docs/leak-detection.md.
struct LeakParams {
  int64_t sample_interval_ms = 10'000;  // how often the caller samples RSS
  int64_t window_ms = 1'800'000;        // history judged (--leak-window)

  // History storage: at most max_samples per process; when the window holds
  // more sampling intervals than that, samples are merged into slots of
  // resolution_ms (keeping the slot's minimum RSS). Default 256 samples.
  size_t max_samples = 256;
  int64_t resolution_ms = 10'000;  // max(sample interval, window / (max_samples - 2))

  // Samples taken less than warmup_ms after the process started or exec'd are
  // ignored: start-up growth (heaps, caches, JIT) is not a leak.
  // Default window / 6, at least 3 sample intervals.
  int64_t warmup_ms = 300'000;

  // The window is split into `buckets` equal time buckets; each contributes
  // its minimum RSS. Default 12, fewer (at least 6) when there would be less
  // than 3 samples per bucket.
  int buckets = 12;

  // Coverage: usable samples must span at least min_coverage of the window,
  // at least ceil(min_coverage * buckets) buckets must hold a sample, and at
  // least min_samples samples must be usable. Defaults 0.75 and half the
  // samples expected over that span.
  double min_coverage = 0.75;
  size_t min_samples = 68;

  // Mann-Kendall z over the bucket minima must reach this (one-sided):
  // 3.09 = alpha 0.001.
  double min_mk_z = 3.09;

  // Theil-Sen growth of the floor must reach min_growth_bytes_per_second
  // (default 1 KiB/s) and, projected over the window, min_relative_growth of
  // the earliest floor (default 0.02 = 2 %).
  double min_growth_bytes_per_second = 1024;
  double min_relative_growth = 0.02;

  // At least this fraction of consecutive bucket minima must not fall
  // (default 0.7): the floor of memory that only ever grows never drops from
  // one bucket to the next; a random walk's drops about half the time.
  double min_rising_fraction = 0.7;

  // Plateau test: the growth of the floor within the newest tail_fraction of
  // the window (default 1/3) must be at least tail_min_ratio (default 0.25)
  // of the growth over the whole window.
  double tail_fraction = 1.0 / 3.0;
  double tail_min_ratio = 0.25;

  // Random-walk test: the steps between consecutive bucket minima (as
  // slopes) must have a mean at least min_step_t standard errors above zero
  // (a one-sample t statistic). A leak's floor steps up by about the same
  // amount every bucket; memory that wanders (a random walk) takes steps of
  // either sign whose mean is zero, however far it happens to drift. A
  // floor that never falls (over half-width buckets, within 0.1 % of its
  // growth) needs only 2.5: a heap that expands in uneven chunks. 0 turns
  // the test off (For()); LeakScalesFor() sets 12: a noisy floor is then
  // judged on the longer scales, whose buckets grow more per step.
  double min_step_t = 0;

  // Hysteresis: a process already suspected stays suspected while z reaches
  // keep_mk_z (default 1.645 = alpha 0.05) and the growth, relative-growth,
  // rising-fraction and tail thresholds are met at release_factor (default
  // 0.5) of their values. Coverage and warm-up are never relaxed.
  double keep_mk_z = 1.645;
  double release_factor = 0.5;

  // Defaults for a sampling interval and a window (see the fields above).
  static LeakParams For(std::chrono::milliseconds sample_interval, std::chrono::milliseconds window);
  // One time scale of the set LeakScalesFor() builds: For(interval, window)
  // with its own warm-up and minimum growth, and a history of at most
  // max_samples slots.
  static LeakParams ForScale(std::chrono::milliseconds sample_interval, std::chrono::milliseconds window,
                             std::chrono::milliseconds warmup, double min_growth_bytes_per_second,
                             size_t max_samples);

  // Fails (naming the problem) when the detector cannot work with these
  // values, e.g. a window shorter than 12 sample intervals or longer than 24 days.
  Status Validate() const;
};

// The time scales judged at once for one --sample-interval I and
// --leak-window W, shortest window first (docs/leak-detection.md, "Time
// scales"). With the defaults (10 s, 30 m):
//   W/6  (5 m)   warm-up 3 m,  floor growth >= 192 KiB/s: fast leaks, within 8 m of start
//   W/2  (15 m)  warm-up 5 m,  >= 16 KiB/s
//   W    (30 m)  warm-up 5 m,  >= 4 KiB/s
//   12 W (6 h)   warm-up 30 m, >= 1 KiB/s: slow leaks over hours
// A scale shorter than W is left out when it would hold fewer than 30
// sample intervals; the 12 W scale is capped at 24 days and left out if that
// makes it no longer than W. W itself is always judged (Validate() the
// result before use).
std::vector<LeakParams> LeakScalesFor(std::chrono::milliseconds sample_interval,
                                      std::chrono::milliseconds window);

// Bounded history of one process's RSS. Samples are stored packed in 8 bytes
// (uint32 ms offset from a base time, uint32 RSS in KiB: up to 4 TiB), at
// most params.max_samples of them, covering at most the window: samples older
// than newest - window are dropped on Add. Not thread-safe.
class RssHistory {
 public:
  struct Sample {
    int64_t t_ms;
    uint64_t rss_bytes;  // rounded down to KiB
  };

  explicit RssHistory(const LeakParams& params);

  // Appends a sample. A sample in the same resolution slot as the newest one
  // is merged with it (the lower RSS is kept, with its time: bucket minima are
  // all the detector uses). A sample older than the newest is ignored.
  void Add(int64_t t_ms, uint64_t rss_bytes);
  void Clear();

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Sample oldest() const { return at(0); }  // requires !empty()
  Sample newest() const { return at(size_ - 1); }
  Sample at(size_t i) const;  // 0 = oldest; requires i < size()

  // Heap plus object bytes this history uses now.
  size_t MemoryBytes() const;
  // Upper bound of MemoryBytes() for any history built from `params`:
  // sizeof(RssHistory) + 8 * max_samples (2,112 bytes with the defaults).
  static size_t MaxBytesPerProcess(const LeakParams& params);

 private:
  struct Packed {
    uint32_t dt_ms;  // offset from base_ms_
    uint32_t rss_kib;
  };
  static_assert(sizeof(Packed) == 8);

  void Push(Packed p);
  void DropOlderThan(int64_t t_ms);
  void Rebase(int64_t new_base_ms);
  Packed& Slot(size_t i) { return ring_[(head_ + i) % ring_.size()]; }
  const Packed& Slot(size_t i) const { return ring_[(head_ + i) % ring_.size()]; }

  int64_t window_ms_;
  int64_t resolution_ms_;
  uint32_t capacity_;  // max samples; ring_ never grows beyond it
  int64_t base_ms_ = 0;
  std::vector<Packed> ring_;
  uint32_t head_ = 0;
  uint32_t size_ = 0;
};

struct LeakVerdict {
  bool suspected = false;
  // The window of the scale this verdict comes from: with several scales,
  // the shortest that suspects; when none does, the longest that had enough
  // samples to judge, else the shortest.
  int64_t window_ms = 0;
  uint32_t suspecting_scales = 0;  // bit i: scale i (shortest first) suspects
  // Theil-Sen slope of the bucket minima (the floor), bytes per second;
  // 0 when not computed.
  double growth_bytes_per_second = 0;
  double mk_z = 0;                          // Mann-Kendall z of the bucket minima
  double relative_growth = 0;               // growth projected over the window / earliest floor
  double rising_fraction = 0;               // of consecutive bucket minima that do not fall
  double step_t = 0;                        // t statistic of the steps between bucket minima
  bool floor_never_falls = false;           // over half-width buckets, within 0.1 % of the growth
  double tail_growth_bytes_per_second = 0;  // floor slope in the newest part
  int buckets_used = 0;
  size_t samples_used = 0;
  // Static string: "leak", or why not: "warming up", "too few samples",
  // "no significant trend", "growth too small", "relative growth too small",
  // "not rising steadily", "wandering", "plateau".
  const char* reason = "too few samples";
};

// Judges `history` at now_ms. exec_ms is when the process started or last
// exec'd, on the same clock (warm-up is measured from it). previously_suspected
// applies the hysteresis thresholds (see LeakParams).
LeakVerdict JudgeLeak(const RssHistory& history, int64_t now_ms, int64_t exec_ms, const LeakParams& params,
                      bool previously_suspected = false);

// Identifies a process across PID reuse: the pid plus its start time (e.g.
// field 22 of /proc/<pid>/stat, in any unit, as long as it is stable).
struct ProcessKey {
  int32_t pid = 0;
  uint64_t start_time = 0;
  auto operator<=>(const ProcessKey&) const = default;
};

// One tracked process as it can be saved and restored (core/leak_state.h).
struct LeakStateEntry {
  ProcessKey key;
  int64_t exec_ms = 0;
  uint8_t suspected = 0;                    // bit i: scale i suspected it (hysteresis)
  std::vector<RssHistory::Sample> samples;  // every scale's history merged, oldest first
};

// Histories and hysteresis state for many processes. Typical cycle:
//   for each process: tracker.Observe(key, exec_ms, now_ms, rss);
//   tracker.ForgetNotSeenSince(now_ms);   // drops exited processes
//   for (auto& [key, v] : tracker.JudgeAll(now_ms)) if (v.suspected) ...
// A new key for a pid already tracked replaces the old entry (PID reuse). A
// later exec_ms for the same key (the process exec'd) restarts its history.
// Not thread-safe: the owner serializes calls.
class LeakTracker {
 public:
  explicit LeakTracker(LeakParams params) : scales_{std::move(params)} {}
  // Several time scales (LeakScalesFor), shortest window first, at most 8: a
  // process is suspected while any of them suspects it.
  explicit LeakTracker(std::vector<LeakParams> scales);

  void Observe(ProcessKey key, int64_t exec_ms, int64_t t_ms, uint64_t rss_bytes);
  // Drops every process whose last Observe was before t_ms; returns how many.
  size_t ForgetNotSeenSince(int64_t t_ms);
  // Judges one process and updates its hysteresis state; nullopt if unknown.
  std::optional<LeakVerdict> Judge(const ProcessKey& key, int64_t now_ms);
  // Judges every tracked process (ascending pid) and updates their state.
  std::vector<std::pair<ProcessKey, LeakVerdict>> JudgeAll(int64_t now_ms);

  // Every process with a sample, suspects first, then the longest histories
  // (the most worth keeping), at most max_entries of them.
  std::vector<LeakStateEntry> Export(size_t max_entries) const;
  // Takes back a saved process, unless its pid is tracked already. It is
  // forgotten like any other when the next sampling round does not see it;
  // a process with the same pid and another start time replaces it.
  void Restore(const LeakStateEntry& entry);

  size_t size() const { return entries_.size(); }
  const std::vector<LeakParams>& scales() const { return scales_; }
  // The history of scale `scale` (0: the shortest); nullptr if unknown.
  const RssHistory* History(const ProcessKey& key, size_t scale = 0) const;
  // Upper bound of the bytes one process's histories hold.
  size_t MaxBytesPerProcess() const;
  // Approximate bytes held: histories plus per-entry map overhead.
  size_t MemoryBytes() const;

 private:
  struct Entry {
    uint64_t start_time;
    int64_t exec_ms;
    int64_t last_seen_ms;
    uint8_t suspected;                  // bit i: scale i suspects it
    std::vector<RssHistory> histories;  // one per scale
  };
  Entry NewEntry(uint64_t start_time, int64_t exec_ms, int64_t t_ms) const;
  Entry* Find(const ProcessKey& key);
  LeakVerdict JudgeEntry(Entry& e, int64_t now_ms);

  std::vector<LeakParams> scales_;
  std::map<int32_t, Entry> entries_;  // by pid: one live process per pid
};

}  // namespace hostprobe
