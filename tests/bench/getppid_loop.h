// The measured loop the syscall benchmarks share.
#pragma once

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <vector>

namespace hostprobe::bench {

inline double NsPerGetppid(long calls) {
  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < calls; ++i) syscall(SYS_getppid);
  auto end = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(end - start).count() / static_cast<double>(calls);
}

// Mean ns per call over `chunks` back-to-back chunks of `chunk_calls` calls,
// leaving out chunks that took more than twice the median: those were hit by
// something outside the loop (an interrupt storm, the hypervisor taking the
// CPU). Everything the programs under test do to a call stays in, the
// sensor's latency sampling windows included (they slow the calls in them by
// a fraction, not twofold).
inline double MeasureGetppid(int chunks, long chunk_calls) {
  NsPerGetppid(chunk_calls * 10);  // warm-up
  std::vector<double> v;
  v.reserve(static_cast<size_t>(chunks));
  for (int c = 0; c < chunks; ++c) v.push_back(NsPerGetppid(chunk_calls));
  std::vector<double> sorted = v;
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  const double median = sorted[sorted.size() / 2];
  double sum = 0;
  int kept = 0;
  for (double x : v) {
    if (x > 2 * median) continue;
    sum += x;
    ++kept;
  }
  return sum / kept;
}

inline double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace hostprobe::bench
