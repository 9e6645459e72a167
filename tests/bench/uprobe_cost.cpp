// User-defined probe cost: nanoseconds per call of a trivial function
//   1. bare,
//   2. with a plain perf uprobe on it and no BPF program: the price of the
//      breakpoint trap itself, which no BPF program can avoid,
//   3. with a --probe uprobe on it (hp_probe_entry: one per-CPU array update),
//   4. with a :latency probe on it (entry uprobe + uretprobe + inflight hash),
// 3 and 4 attached by the sensor's own UprobeCollector to this very binary.
//
//   uprobe_cost [--calls N] [--rounds R] [--cycles C]
//
// Needs root. Prints a table; measures, never asserts (it does check that the
// probe counted every call it made, so the figures are for working probes).
#include <fcntl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "collectors/libbpf_log.h"
#include "collectors/uprobe_collector.h"
#include "core/probe_spec.h"

#ifdef __clang__
#define HP_NOIPA
#else
#define HP_NOIPA __attribute__((noipa))  // no cloning or specializing: calls reach the symbol
#endif

// Where the probed function's work goes; a real call, never inlined.
extern "C" __attribute__((noinline, used)) void hostprobe_bench_sink(int x) {
  static volatile int sink;
  sink = sink + x;
}

// The probed function. It starts with an instruction the kernel emulates on
// x86 (here the call; in most real functions a push): one trap per hit. A
// first instruction the kernel must single-step out of line instead (the
// workload's leaf target starts with a %rip-relative load) costs a second
// trap, several times the price on some VMs.
extern "C" __attribute__((noinline, used)) HP_NOIPA int hostprobe_bench_target(int x) {
  hostprobe_bench_sink(x);
  return x + 1;
}

namespace {

double NsPerCall(long calls) {
  int (*volatile target)(int) = hostprobe_bench_target;  // a real call every time
  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < calls; ++i) target(static_cast<int>(i));
  auto end = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(end - start).count() / static_cast<double>(calls);
}

// Best of `rounds` runs after a warm-up: the least-disturbed run is the best
// estimate of the intrinsic cost on a shared, noisy machine.
double Measure(long calls, int rounds, long* made) {
  NsPerCall(calls / 10);
  double best = 1e300;
  for (int r = 0; r < rounds; ++r) best = std::min(best, NsPerCall(calls));
  *made += calls / 10 + static_cast<long>(rounds) * calls;
  return best;
}

std::string SelfPath() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "/proc/self/exe";
  return std::string(buf, static_cast<size_t>(n));
}

// File offset of hostprobe_bench_target in this binary, from /proc/self/maps.
bool TargetFileOffset(uint64_t* offset) {
  const auto addr = reinterpret_cast<uintptr_t>(&hostprobe_bench_target);
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    unsigned long long start = 0, end = 0, off = 0;
    char perms[8] = {};
    if (std::sscanf(line.c_str(), "%llx-%llx %7s %llx", &start, &end, perms, &off) != 4) continue;
    if (addr >= start && addr < end) {
      *offset = addr - start + off;
      return true;
    }
  }
  return false;
}

// A uprobe perf event in counting mode, no BPF program: only the trap.
bool MeasureTrapOnly(long calls, int rounds, double* best) {
  uint64_t offset = 0;
  unsigned type = 0;
  std::ifstream("/sys/bus/event_source/devices/uprobe/type") >> type;
  if (type == 0 || !TargetFileOffset(&offset)) {
    std::fprintf(stderr, "uprobe_cost: no uprobe PMU or cannot find the target's offset\n");
    return false;
  }
  const std::string path = SelfPath();
  perf_event_attr attr{};
  attr.size = sizeof(attr);
  attr.type = type;
  attr.config1 = reinterpret_cast<uintptr_t>(path.c_str());  // uprobe_path
  attr.config2 = offset;                                     // probe_offset
  attr.disabled = 1;
  attr.exclude_kernel = 1;
  int fd = static_cast<int>(syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC));
  if (fd < 0) {
    std::perror("uprobe_cost: perf_event_open(uprobe)");
    return false;
  }
  ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
  long made = 0;
  *best = std::min(*best, Measure(calls, rounds, &made));
  ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
  uint64_t hits = 0;
  bool ok = read(fd, &hits, sizeof(hits)) == sizeof(hits) && hits == static_cast<uint64_t>(made);
  if (!ok)
    std::fprintf(stderr, "uprobe_cost: the plain uprobe fired %llu times for %ld calls\n",
                 static_cast<unsigned long long>(hits), made);
  close(fd);
  return ok;
}

// Attaches one probe on hostprobe_bench_target, measures, checks the count.
bool MeasureProbed(bool latency, long calls, int rounds, double* best) {
  hostprobe::ProbeSpec spec;
  spec.name = latency ? "bench_latency" : "bench";
  spec.binary = SelfPath();
  spec.symbol = "hostprobe_bench_target";
  spec.latency = latency;
  auto probes = hostprobe::UprobeCollector::Start({spec});
  if (!probes) {
    std::fprintf(stderr, "uprobe_cost: %s\n", probes.error().message.c_str());
    return false;
  }
  long made = 0;
  *best = std::min(*best, Measure(calls, rounds, &made));
  auto snap = (*probes)->ReadProbes();
  if (!snap || snap->probes.size() != 1 || snap->probes[0].calls != static_cast<uint64_t>(made)) {
    std::fprintf(stderr, "uprobe_cost: the probe counted %llu calls of %ld\n",
                 snap ? static_cast<unsigned long long>(snap->probes[0].calls) : 0ULL, made);
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  // A uprobe trap costs microseconds (tens of them in some VMs): keep a run short.
  long calls = 20'000;
  int rounds = 5;
  int cycles = 3;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n", a.c_str());
      return 2;
    }
    if (a == "--calls")
      calls = std::atol(argv[++i]);
    else if (a == "--rounds")
      rounds = std::atoi(argv[++i]);
    else if (a == "--cycles")
      cycles = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "unknown flag %s\n", a.c_str());
      return 2;
    }
  }
  if (geteuid() != 0) {
    std::fprintf(stderr, "uprobe_cost: needs root to attach uprobes\n");
    return 1;
  }
  hostprobe::InstallLibbpfLogger();
  spdlog::set_level(spdlog::level::warn);  // only problems; the table is the output

  // Stay on one CPU so migrations do not add noise.
  cpu_set_t cpu;
  CPU_ZERO(&cpu);
  CPU_SET(0, &cpu);
  sched_setaffinity(0, sizeof(cpu), &cpu);

  // The configurations are interleaved `cycles` times and the best run of
  // each kept, so a slow phase of the machine does not favour one of them.
  double bare = 1e300, trap = 1e300, probed = 1e300, timed = 1e300;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    long made = 0;
    bare = std::min(bare, Measure(calls, rounds, &made));
    if (!MeasureTrapOnly(calls, rounds, &trap)) return 1;
    if (!MeasureProbed(false, calls, rounds, &probed)) return 1;
    if (!MeasureProbed(true, calls, rounds, &timed)) return 1;
  }

  std::printf("hostprobe_bench_target: best of %d cycles x %d rounds x %ld calls\n", cycles, rounds, calls);
  std::printf("  bare                  %9.1f ns/call\n", bare);
  std::printf("  uprobe, no program    %9.1f ns/call  (+%.1f)\n", trap, trap - bare);
  std::printf("  --probe               %9.1f ns/call  (+%.1f)\n", probed, probed - bare);
  std::printf("  --probe ...:latency   %9.1f ns/call  (+%.1f)\n", timed, timed - bare);
  std::printf("BPF program share of the --probe cost: (probe - plain uprobe) = %.1f ns/call\n",
              probed - trap);
  return 0;
}
