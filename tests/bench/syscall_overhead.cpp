// Syscall overhead benchmark: nanoseconds per getppid()
//   1. bare,
//   2. with an empty tp_btf sys_enter + sys_exit pair attached (this program's own),
//   3. with the sensor running (its real programs),
// and the ratio (sensor - bare) / (empty pair - bare): how much the sensor's
// in-kernel work costs relative to the unavoidable cost of tracing at all.
//
//   syscall_overhead [--sensor PATH] [--chunks N] [--chunk-calls N] [--cycles C]
//                    [--settle SECONDS] [-- sensor args...]
//
// Needs root. Prints a table; measures, never asserts.
#include <bpf/libbpf.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "empty_pair.skel.h"
#include "getppid_loop.h"
#include "test_support.h"

using hostprobe::bench::MeasureGetppid;
using hostprobe::bench::Median;

int main(int argc, char** argv) {
  std::string sensor = HOSTPROBE_BIN;
  int chunks = 300;
  long chunk_calls = 2000;
  int cycles = 9;
  int settle_s = 3;
  std::vector<std::string> sensor_args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      sensor_args.assign(argv + i + 1, argv + argc);
      break;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n", a.c_str());
      return 2;
    }
    if (a == "--sensor")
      sensor = argv[++i];
    else if (a == "--chunks")
      chunks = std::atoi(argv[++i]);
    else if (a == "--chunk-calls")
      chunk_calls = std::atol(argv[++i]);
    else if (a == "--cycles")
      cycles = std::atoi(argv[++i]);
    else if (a == "--settle")
      settle_s = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "unknown flag %s\n", a.c_str());
      return 2;
    }
  }
  if (chunks < 1 || chunk_calls < 1 || cycles < 1 || settle_s < 0) {
    std::fprintf(stderr, "syscall_overhead: --chunks, --chunk-calls and --cycles must be positive\n");
    return 2;
  }
  if (geteuid() != 0) {
    std::fprintf(stderr, "syscall_overhead: needs root to attach eBPF programs\n");
    return 1;
  }

  // The loop stays on CPU 0 so migrations do not add noise; the sensor's
  // own threads (sampling /proc, answering nothing here) go to the other
  // CPUs, so they do not preempt the loop: what is measured is the cost its
  // kernel programs add to each call. A child inherits its parent's CPUs.
  const long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  cpu_set_t loop_cpu, sensor_cpus;
  CPU_ZERO(&loop_cpu);
  CPU_SET(0, &loop_cpu);
  CPU_ZERO(&sensor_cpus);
  for (long c = ncpu > 1 ? 1 : 0; c < ncpu && c < CPU_SETSIZE; ++c) CPU_SET(c, &sensor_cpus);
  sched_setaffinity(0, sizeof(loop_cpu), &loop_cpu);

  // Each cycle measures bare and the empty pair, then the sensor, then bare
  // and the empty pair again: the cost of a syscall on a shared VM drifts by
  // a few per cent over seconds, which is as much as the difference measured,
  // and averaging before and after cancels a steady drift. Each cycle gives
  // a ratio; the median over cycles is the figure.
  auto measure_empty = [&]() -> double {
    empty_pair_bpf* skel = empty_pair_bpf__open_and_load();
    if (skel == nullptr || empty_pair_bpf__attach(skel) != 0) {
      std::fprintf(stderr, "syscall_overhead: cannot load/attach the empty pair: %s\n", std::strerror(errno));
      std::exit(1);
    }
    double e = MeasureGetppid(chunks, chunk_calls);
    empty_pair_bpf__destroy(skel);
    return e;
  };
  std::vector<double> bares, empties, sensors, ratios;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    double b1 = MeasureGetppid(chunks, chunk_calls);
    double e1 = measure_empty();

    sched_setaffinity(0, sizeof(sensor_cpus), &sensor_cpus);
    hostprobe::testing::SensorProcess proc(sensor, sensor_args);
    bool started = proc.Start();
    sched_setaffinity(0, sizeof(loop_cpu), &loop_cpu);
    if (!started || !proc.WaitHealthy()) {
      std::fprintf(stderr, "syscall_overhead: sensor did not start:\n%s\n", proc.Log().c_str());
      return 1;
    }
    // Healthy is not idle: let the sensor finish its first walks of /proc
    // and the cgroup tree before measuring.
    std::this_thread::sleep_for(std::chrono::seconds(settle_s));
    double w = MeasureGetppid(chunks, chunk_calls);
    proc.Stop(SIGTERM, std::chrono::seconds(5));

    double b2 = MeasureGetppid(chunks, chunk_calls);
    double e2 = measure_empty();
    double b = (b1 + b2) / 2, e = (e1 + e2) / 2;
    bares.push_back(b);
    empties.push_back(e - b);
    sensors.push_back(w - b);
    ratios.push_back((w - b) / (e - b));
    std::printf("  cycle %d: bare %.1f, empty pair +%.1f, sensor +%.1f ns/call, ratio %.2f\n", cycle + 1, b,
                e - b, w - b, ratios.back());
  }
  auto [lo, hi] = std::minmax_element(ratios.begin(), ratios.end());
  std::printf("getppid: %d cycles, each configuration %d chunks x %ld calls\n", cycles, chunks, chunk_calls);
  std::printf("  bare                %8.1f ns/call (median over cycles)\n", Median(bares));
  std::printf("  empty tp_btf pair   %+8.1f ns/call\n", Median(empties));
  std::printf("  sensor running      %+8.1f ns/call\n", Median(sensors));
  std::printf("ratio (sensor - bare) / (empty - bare), median of %zu cycles = %.2f (min %.2f, max %.2f)\n",
              ratios.size(), Median(ratios), *lo, *hi);
  return 0;
}
