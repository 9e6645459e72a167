// The leak corpus (tests/leak-corpus/README.md) replayed through the
// detector at the default flags: the verdicts of docs/leak-detection.md,
// "Quality on real runtimes", held as tests.
#include "leak_corpus.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace hostprobe::corpus {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const milliseconds kInterval = seconds(10);  // --sample-interval default
const milliseconds kWindow = minutes(30);    // --leak-window default

std::vector<Trace> LoadAll() {
  std::vector<Trace> out;
  for (const std::string& path : TraceFiles(HOSTPROBE_CORPUS)) {
    std::string error;
    auto t = LoadTrace(path, &error);
    EXPECT_TRUE(t.has_value()) << error;
    if (t) out.push_back(std::move(*t));
  }
  return out;
}

const std::vector<Trace>& Corpus() {
  static const std::vector<Trace> all = LoadAll();
  return all;
}

TEST(LeakCorpusTest, HoldsEveryRuntimeInBothVariants) {
  ASSERT_GE(Corpus().size(), 20u);
  for (const char* runtime : {"node", "python", "jvm", "go", "c"}) {
    int leaks = 0, clean = 0;
    for (const Trace& t : Corpus())
      if (t.meta.at("runtime") == runtime) (t.leaks() ? leaks : clean)++;
    EXPECT_GE(leaks, 1) << runtime;
    EXPECT_GE(clean, 1) << runtime;
  }
}

// Sampling starts at an arbitrary second of the workload's life: the
// verdicts must not depend on which.
const int64_t kPhases[] = {0, 3, 7};

TEST(LeakCorpusTest, NoCleanTraceIsEverSuspected) {
  for (const Trace& t : Corpus()) {
    if (t.leaks()) continue;
    for (int64_t phase : kPhases) {
      ReplayResult r = Replay(t, kInterval, kWindow, phase);
      EXPECT_FALSE(r.process.suspected())
          << t.name << " phase " << phase << ": pid " << r.process.pid << " suspected at " << r.process.at_s
          << " s by the " << r.process.window_s << " s scale";
      EXPECT_FALSE(r.cgroup.suspected()) << t.name << " phase " << phase << ": cgroup suspected at "
                                         << r.cgroup.at_s << " s by the " << r.cgroup.window_s << " s scale";
    }
  }
}

// Every leak that lives 10 minutes or more is suspected before it runs out
// of memory (or before the recording ends): the processes where one process
// leaks, the cgroup where the leak is spread over recycled workers or in
// shared memory.
TEST(LeakCorpusTest, EveryLeakLivingTenMinutesIsSuspectedBeforeItDies) {
  int judged = 0;
  for (const Trace& t : Corpus()) {
    if (!t.leaks() || t.end_s < 600) continue;
    ++judged;
    for (int64_t phase : kPhases) {
      ReplayResult r = Replay(t, kInterval, kWindow, phase);
      ASSERT_TRUE(r.cgroup.suspected()) << t.name << " phase " << phase;
      EXPECT_LT(r.cgroup.at_s, t.end_s) << t.name << " phase " << phase;
      // At most 12 minutes of age: the 10-minute scale judges at 12 minutes.
      EXPECT_LE(r.cgroup.at_s, 740) << t.name << " phase " << phase;
      // One process holds the leak unless workers are recycled or the leak is
      // in shared memory no process has touched all of.
      if (t.name != "c-leak-prefork") {
        ASSERT_TRUE(r.process.suspected()) << t.name << " phase " << phase;
        EXPECT_LT(r.process.at_s, t.end_s) << t.name << " phase " << phase;
      }
    }
  }
  EXPECT_GE(judged, 8);
}

// Fast leaks (>= 512 KiB/s) are suspected by the 5-minute scale within 8
// minutes of their start.
TEST(LeakCorpusTest, FastLeaksAreSuspectedWithinEightMinutes) {
  for (const char* name : {"jvm-leak-g1", "jvm-leak-largeheap"}) {
    for (const Trace& t : Corpus()) {
      if (t.name != name) continue;
      ReplayResult r = Replay(t, kInterval, kWindow);
      ASSERT_TRUE(r.process.suspected()) << name;
      EXPECT_LE(r.process.at_s, 480) << name;
      EXPECT_EQ(r.process.window_s, 300) << name;
    }
  }
}

// Where the cgroup's OOM killer ended the leak after it was suspected, the
// forecast made at the first suspicion was within 35 % of when it happened.
TEST(LeakCorpusTest, ExhaustionForecastMatchesTheOomKill) {
  int checked = 0;
  for (const Trace& t : Corpus()) {
    if (!t.leaks() || !t.oom_killed()) continue;
    ReplayResult r = Replay(t, kInterval, kWindow);
    if (!r.cgroup.suspected()) continue;  // died before a verdict (< 10 minutes old)
    ASSERT_TRUE(r.cgroup.forecast_s.has_value()) << t.name;
    const double truth = static_cast<double>(t.end_s - r.cgroup.at_s);
    EXPECT_NEAR(*r.cgroup.forecast_s, truth, 0.35 * truth) << t.name;
    ++checked;
  }
  EXPECT_GE(checked, 1);
}

// Memory that wanders (a random walk) is not a leak:
// walks with steps up to 128 KiB a sample are never suspected (300
// process-hours each; docs/leak-detection.md has the long runs).
TEST(LeakCorpusTest, RandomWalksAreNotSuspected) {
  for (double step : {16.0 * 1024, 128.0 * 1024}) {
    WalkResult w = SimulateRandomWalks(kInterval, kWindow, step, 30, 10, 7);
    EXPECT_EQ(w.episodes, 0) << "step " << step << " over " << w.process_hours << " process-hours";
  }
}

}  // namespace
}  // namespace hostprobe::corpus
