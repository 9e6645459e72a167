// The leak corpus (tests/fixtures/leak-corpus, format in
// tests/leak-corpus/README.md) replayed through the leak detector the way the
// sensor samples: every process and the cgroup as a whole, every sample
// interval, judged at every sample. Shared by the unit test that holds the
// verdicts and by leak_corpus_report, which prints the quality table of
// docs/leak-detection.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hostprobe::corpus {

struct Row {
  int64_t t_s = 0;
  int32_t pid = 0;  // 0: the cgroup as a whole
  uint64_t anon = 0, shmem = 0, swap = 0, file = 0, rss = 0;
  uint64_t judged() const { return anon + shmem + swap; }
};

struct Trace {
  std::string name;                         // file name without .csv.gz
  std::map<std::string, std::string> meta;  // the "# key=value" header lines
  std::string end = "running";              // from "# end=... at_s=..."
  int64_t end_s = 0;                        // when the end was seen
  std::vector<Row> rows;                    // in file order (ascending t_s)
  bool leaks() const;                       // variant=leak
  uint64_t limit_bytes() const;             // the cgroup's limit, 0: none
  bool died() const { return end != "running" && end != "stopped"; }
  bool oom_killed() const { return end == "oom-killed"; }
};

// Reads a gzip'ed trace; nullopt (and *error set) when it cannot be read.
std::optional<Trace> LoadTrace(const std::string& path, std::string* error);
// Every *.csv.gz of a directory, by name.
std::vector<std::string> TraceFiles(const std::string& dir);

struct Suspicion {
  int64_t at_s = -1;     // first sample judged a leak; -1: never
  int64_t window_s = 0;  // the time scale that suspected it first
  double growth_bytes_per_second = 0;
  std::optional<double> forecast_s;  // exhaustion forecast then (cgroup limit), nullopt: no limit
  int32_t pid = 0;                   // the process (process level)
  bool suspected() const { return at_s >= 0; }
};

struct ReplayResult {
  Suspicion process;           // the first process suspected
  Suspicion cgroup;            // the cgroup judged as a unit
  int64_t flag_episodes = 0;   // times any process or the cgroup became suspected
  int64_t judged_until_s = 0;  // last sample replayed
};

// Replays `trace` sampled every `interval` (a sample at every t_s with
// t_s % interval == phase_s) with the detector built for interval and window.
ReplayResult Replay(const Trace& trace, std::chrono::milliseconds interval, std::chrono::milliseconds window,
                    int64_t phase_s = 0);

}  // namespace hostprobe::corpus

namespace hostprobe::corpus {

// Random walks judged as processes: each of `processes` starts at 256 MiB
// and moves by a Gaussian step of sd step_bytes at every sample (reflected
// above 16 MiB), for `hours`. Counts the times one became suspected.
struct WalkResult {
  double process_hours = 0;
  int64_t episodes = 0;
  int64_t by_scale[8] = {};  // episodes by the shortest scale that suspected
};
WalkResult SimulateRandomWalks(std::chrono::milliseconds interval, std::chrono::milliseconds window,
                               double step_bytes, int processes, double hours, uint64_t seed);

}  // namespace hostprobe::corpus
