// Syscall overhead benchmark: nanoseconds per getppid()
//   1. bare,
//   2. with an empty tp_btf sys_enter + sys_exit pair attached (this program's own),
//   3. with the sensor running (its real programs),
// and the ratio (sensor - bare) / (empty pair - bare): how much the sensor's
// in-kernel work costs relative to the unavoidable cost of tracing at all.
//
//   syscall_overhead [--sensor PATH] [--calls N] [--rounds R] [--cycles C] [--settle SECONDS]
//                    [-- sensor args...]
//
// Needs root. Prints a table; measures, never asserts.
#include <bpf/libbpf.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
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
#include "test_support.h"

namespace {

double NsPerCall(long calls) {
  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < calls; ++i) syscall(SYS_getppid);
  auto end = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(end - start).count() / static_cast<double>(calls);
}

// Best of `rounds` runs after a warm-up: the least-disturbed run is the best
// estimate of the intrinsic cost on a shared, noisy machine.
double Measure(long calls, int rounds) {
  NsPerCall(calls / 10);
  double best = 1e300;
  for (int r = 0; r < rounds; ++r) best = std::min(best, NsPerCall(calls));
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::string sensor = HOSTPROBE_BIN;
  long calls = 1'000'000;
  int rounds = 3;
  int cycles = 7;
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
    else if (a == "--calls")
      calls = std::atol(argv[++i]);
    else if (a == "--rounds")
      rounds = std::atoi(argv[++i]);
    else if (a == "--cycles")
      cycles = std::atoi(argv[++i]);
    else if (a == "--settle")
      settle_s = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "unknown flag %s\n", a.c_str());
      return 2;
    }
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

  // The three configurations are interleaved `cycles` times. Each cycle
  // yields a ratio from the best run of each configuration in it; the
  // median over cycles is the figure, robust to a slow phase of a shared
  // machine hitting one configuration of one cycle. The best run of each
  // configuration over all cycles is printed too.
  double bare = 1e300, empty = 1e300, with_sensor = 1e300;
  std::vector<double> ratios;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    double b = Measure(calls, rounds);

    empty_pair_bpf* skel = empty_pair_bpf__open_and_load();
    if (skel == nullptr || empty_pair_bpf__attach(skel) != 0) {
      std::fprintf(stderr, "syscall_overhead: cannot load/attach the empty pair: %s\n", std::strerror(errno));
      return 1;
    }
    double e = Measure(calls, rounds);
    empty_pair_bpf__destroy(skel);

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
    double w = Measure(calls, rounds);
    proc.Stop(SIGTERM, std::chrono::seconds(5));

    bare = std::min(bare, b);
    empty = std::min(empty, e);
    with_sensor = std::min(with_sensor, w);
    ratios.push_back((w - b) / (e - b));
    std::printf("  cycle %d: bare %.1f, empty pair +%.1f, sensor +%.1f ns/call, ratio %.2f\n", cycle + 1, b,
                e - b, w - b, ratios.back());
  }
  std::sort(ratios.begin(), ratios.end());
  double median = ratios.size() % 2 ? ratios[ratios.size() / 2]
                                    : (ratios[ratios.size() / 2 - 1] + ratios[ratios.size() / 2]) / 2;

  std::printf("getppid: %d cycles x %d rounds x %ld calls\n", cycles, rounds, calls);
  std::printf("  bare                %8.1f ns/call (best)\n", bare);
  std::printf("  empty tp_btf pair   %8.1f ns/call  (+%.1f)\n", empty, empty - bare);
  std::printf("  sensor running      %8.1f ns/call  (+%.1f)\n", with_sensor, with_sensor - bare);
  std::printf("ratio of the best runs (sensor - bare) / (empty - bare) = %.2f\n",
              (with_sensor - bare) / (empty - bare));
  std::printf("ratio, median of %zu cycles = %.2f (min %.2f, max %.2f)\n", ratios.size(), median,
              ratios.front(), ratios.back());
  return 0;
}
