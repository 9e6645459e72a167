// Prints the leak detector's quality table over the leak corpus
// (docs/leak-detection.md, "Quality on real runtimes"):
//
//   build/leak_corpus_report [DIR] [--interval 10s] [--window 30m]
//
// DIR defaults to tests/fixtures/leak-corpus. Per trace: what it is, how it
// ended, when the detector first suspected one of its processes and the
// cgroup (seconds from the workload's start, and the time scale that did),
// and the exhaustion forecast at that moment against the truth where the
// cgroup's OOM killer ended the trace.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/duration.h"
#include "leak_corpus.h"

using namespace hostprobe;
using namespace hostprobe::corpus;

namespace {

std::string When(const Suspicion& s) {
  if (!s.suspected()) return "never";
  return std::to_string(s.at_s) + " s (" + FormatDuration(std::chrono::seconds(s.window_s)) + ")";
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = HOSTPROBE_CORPUS;
  std::chrono::milliseconds interval{10'000}, window{1'800'000};
  double walk_hours = 0;
  int walk_processes = 100;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--random-walks" && i + 1 < argc) {
      walk_hours = std::atof(argv[++i]);
      continue;
    }
    if (a == "--processes" && i + 1 < argc) {
      walk_processes = std::atoi(argv[++i]);
      continue;
    }
    if ((a == "--interval" || a == "--window") && i + 1 < argc) {
      auto d = ParseDuration(argv[++i]);
      if (!d) {
        std::fprintf(stderr, "bad duration %s\n", argv[i]);
        return 2;
      }
      (a == "--interval" ? interval : window) = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
    } else if (a.rfind("--", 0) == 0) {
      std::fprintf(stderr, "usage: %s [DIR] [--interval 10s] [--window 30m]\n", argv[0]);
      return 2;
    } else {
      dir = a;
    }
  }
  if (walk_hours > 0) {
    std::printf(
        "| step sd per sample | process-hours | flagged | per 1,000 process-hours | by scale "
        "|\n|---|---|---|---|---|\n");
    for (double step : {16.0 * 1024, 128.0 * 1024, 1024.0 * 1024, 8192.0 * 1024}) {
      WalkResult w = SimulateRandomWalks(interval, window, step, walk_processes, walk_hours,
                                         static_cast<uint64_t>(step));
      std::string by;
      for (int s = 0; s < 8; ++s)
        if (w.by_scale[s])
          by += (by.empty() ? "" : ", ") + std::to_string(w.by_scale[s]) + " at scale " + std::to_string(s);
      std::printf("| %.0f KiB | %.0f | %lld | %.2f | %s |\n", step / 1024, w.process_hours,
                  (long long)w.episodes, 1000.0 * static_cast<double>(w.episodes) / w.process_hours,
                  by.c_str());
      std::fflush(stdout);
    }
    return 0;
  }
  std::printf(
      "| trace | ends | first process suspected | cgroup suspected | growth then | forecast then | truth | "
      "error |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  int bad = 0;
  for (const std::string& path : TraceFiles(dir)) {
    std::string error;
    auto t = LoadTrace(path, &error);
    if (!t) {
      std::fprintf(stderr, "%s\n", error.c_str());
      ++bad;
      continue;
    }
    ReplayResult r = Replay(*t, interval, window);
    const Suspicion& first =
        !r.cgroup.suspected() || (r.process.suspected() && r.process.at_s <= r.cgroup.at_s) ? r.process
                                                                                            : r.cgroup;
    std::string ends = t->died() ? t->end + " at " + std::to_string(t->end_s) + " s" : "running";
    char growth[32] = "", forecast[32] = "", truth[32] = "", err[32] = "";
    if (first.suspected()) {
      std::snprintf(growth, sizeof growth, "%.0f KB/s", first.growth_bytes_per_second / 1000);
      if (first.forecast_s) std::snprintf(forecast, sizeof forecast, "%.0f s", *first.forecast_s);
      if (t->oom_killed() && first.forecast_s) {
        double real = static_cast<double>(t->end_s - first.at_s);
        std::snprintf(truth, sizeof truth, "%.0f s", real);
        std::snprintf(err, sizeof err, "%+.0f%%", 100 * (*first.forecast_s - real) / real);
      }
    }
    std::printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", t->name.c_str(), ends.c_str(),
                When(r.process).c_str(), When(r.cgroup).c_str(), growth, forecast, truth, err);
  }
  return bad == 0 ? 0 : 1;
}
