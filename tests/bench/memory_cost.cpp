// What per-process memory costs the host, two ways:
//
//   fault  ns per page fault of a loop that maps 16 MiB of anonymous memory,
//          writes every page, and unmaps it: bare, with the sensor at its
//          default (--process-memory-source auto: a BPF task iterator read at
//          each sample, nothing on a fault), and with the sensor reading
//          /proc/<pid>/status of every process at each sample (procfs). Both
//          sample every second here (--sample-interval 1s), ten times the
//          default rate, so any cost of a sample that lands on the loop shows.
//          Cycles of all three, medians, ratios to bare.
//   sample the sensor's own CPU time (utime + stime) over --seconds with
//          --processes idle processes on the host, at --sample-interval 10s,
//          for both sources: the cost of sampling every process; and the
//          wall time of one sample (hostprobe_process_memory_sample_duration_seconds,
//          the median of the samples seen).
//
//   memory_cost [--cycles C] [--rounds R] [--processes N] [--seconds S] [--compare BINARY]
//
// --compare BINARY adds another build's sensor (e.g. the previous version) at
// its default source to every fault cycle and to the sampling cost, so the
// two are compared within one run.
//
// Needs root. Prints a table; measures, never asserts.
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

namespace {

constexpr size_t kRegion = 16u << 20;

// ns per page over `rounds` map-touch-unmap rounds (the median round).
double NsPerFault(int rounds) {
  const long page = sysconf(_SC_PAGESIZE);
  std::vector<double> per_round;
  for (int r = 0; r < rounds + 2; ++r) {
    auto start = std::chrono::steady_clock::now();
    auto* p = static_cast<volatile char*>(
        mmap(nullptr, kRegion, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (p == MAP_FAILED) return -1;
    for (size_t off = 0; off < kRegion; off += static_cast<size_t>(page)) p[off] = 1;
    munmap(const_cast<char*>(p), kRegion);
    auto end = std::chrono::steady_clock::now();
    if (r >= 2)  // the first two warm up
      per_round.push_back(std::chrono::duration<double, std::nano>(end - start).count() /
                          static_cast<double>(kRegion / static_cast<size_t>(page)));
  }
  std::nth_element(per_round.begin(), per_round.begin() + per_round.size() / 2, per_round.end());
  return per_round[per_round.size() / 2];
}

double Median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

// utime + stime of a process, seconds.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

int main(int argc, char** argv) {
  int cycles = 7, rounds = 30, processes = 2000, seconds = 60;
  std::string compare;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    int v = std::atoi(argv[i + 1]);
    if (a == "--compare")
      compare = argv[i + 1];
    else if (a == "--cycles")
      cycles = v;
    else if (a == "--rounds")
      rounds = v;
    else if (a == "--processes")
      processes = v;
    else if (a == "--seconds")
      seconds = v;
    else {
      std::fprintf(stderr, "unknown flag %s\n", a.c_str());
      return 2;
    }
  }
  if (geteuid() != 0) {
    std::fprintf(stderr, "memory_cost: needs root to run the sensor\n");
    return 1;
  }
  // The loop on CPU 0, the sensor on the others (as syscall_overhead does).
  const long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  cpu_set_t loop_cpu, sensor_cpus;
  CPU_ZERO(&loop_cpu);
  CPU_SET(0, &loop_cpu);
  CPU_ZERO(&sensor_cpus);
  for (long c = ncpu > 1 ? 1 : 0; c < ncpu && c < CPU_SETSIZE; ++c) CPU_SET(c, &sensor_cpus);
  sched_setaffinity(0, sizeof(loop_cpu), &loop_cpu);

  auto with_sensor = [&](const std::vector<std::string>& args, auto&& body,
                         const char* binary = HOSTPROBE_BIN) {
    sched_setaffinity(0, sizeof(sensor_cpus), &sensor_cpus);
    hostprobe::testing::SensorProcess s(binary, args);
    bool ok = s.Start();
    sched_setaffinity(0, sizeof(loop_cpu), &loop_cpu);
    if (!ok || !s.WaitHealthy()) {
      std::fprintf(stderr, "memory_cost: sensor did not start:\n%s\n", s.Log().c_str());
      std::exit(1);
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
    auto r = body(s);
    s.Stop(SIGTERM, std::chrono::seconds(5));
    return r;
  };
  const std::vector<std::string> ebpf = {"--process-memory-source", "auto", "--sample-interval", "1s"};
  const std::vector<std::string> procfs = {"--process-memory-source", "procfs", "--sample-interval", "1s"};

  std::vector<double> bare, kernel, statm, other, r_kernel, r_statm, r_other;
  for (int c = 0; c < cycles; ++c) {
    double b1 = NsPerFault(rounds);
    double k = with_sensor(ebpf, [&](auto&) { return NsPerFault(rounds); });
    double p = with_sensor(procfs, [&](auto&) { return NsPerFault(rounds); });
    double o = compare.empty() ? 0
                               : with_sensor(
                                     ebpf, [&](auto&) { return NsPerFault(rounds); }, compare.c_str());
    double b2 = NsPerFault(rounds);
    double b = (b1 + b2) / 2;
    bare.push_back(b);
    kernel.push_back(k);
    statm.push_back(p);
    other.push_back(o);
    r_kernel.push_back(k / b);
    r_statm.push_back(p / b);
    r_other.push_back(o / b);
    std::printf(
        "  cycle %d: bare %.1f, task iterator at sampling %.1f (x%.3f), status at sampling %.1f (x%.3f)",
        c + 1, b, k, k / b, p, p / b);
    if (!compare.empty()) std::printf(", --compare sensor %.1f (x%.3f)", o, o / b);
    std::printf(" ns/page\n");
  }
  std::printf("fault loop (%zu MiB map, write, unmap; %d rounds per figure, %d cycles):\n", kRegion >> 20,
              rounds, cycles);
  std::printf("  bare                          %7.1f ns/page\n", Median(bare));
  std::printf("  sensor, task iterator (auto)  %7.1f ns/page  ratio %.3f (median of cycles; %.3f to %.3f)\n",
              Median(kernel), Median(r_kernel), *std::min_element(r_kernel.begin(), r_kernel.end()),
              *std::max_element(r_kernel.begin(), r_kernel.end()));
  std::printf("  sensor, status (procfs)       %7.1f ns/page  ratio %.3f (%.3f to %.3f)\n", Median(statm),
              Median(r_statm), *std::min_element(r_statm.begin(), r_statm.end()),
              *std::max_element(r_statm.begin(), r_statm.end()));
  if (!compare.empty())
    std::printf("  --compare sensor (its default)%7.1f ns/page  ratio %.3f (%.3f to %.3f)\n", Median(other),
                Median(r_other), *std::min_element(r_other.begin(), r_other.end()),
                *std::max_element(r_other.begin(), r_other.end()));

  if (processes <= 0 || seconds <= 0) return 0;
  // Idle processes: children that sleep until killed.
  std::vector<pid_t> idle;
  for (int i = 0; i < processes; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      for (;;) pause();
    }
    if (pid > 0) idle.push_back(pid);
  }
  struct Cost {
    double core = 0;       // share of a core
    double sample_s = -1;  // median wall time of one sample
    double processes = 0;  // processes in the sample (tracked)
  };
  auto cost = [&](const char* source, const char* binary = HOSTPROBE_BIN) {
    std::vector<std::string> args = {"--process-memory-source", source, "--sample-interval", "10s"};
    return with_sensor(
        args,
        [&](hostprobe::testing::SensorProcess& s) {
          Cost c;
          std::vector<double> durations;
          double last_samples = 0;
          const double before = CpuSeconds(s.pid());
          const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
          // A scrape every 10 s (the cost of serving it counts too, as in use).
          while (std::chrono::steady_clock::now() < end) {
            std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
                std::chrono::seconds(10), end - std::chrono::steady_clock::now()));
            auto e = hostprobe::testing::ParseExposition(s.Scrape());
            const double n = hostprobe::testing::Value(e, "hostprobe_process_memory_samples_total");
            if (n > last_samples)
              durations.push_back(
                  hostprobe::testing::Value(e, "hostprobe_process_memory_sample_duration_seconds"));
            last_samples = n;
            c.processes = hostprobe::testing::Value(e, "hostprobe_process_memory_tracked_processes");
          }
          c.core = (CpuSeconds(s.pid()) - before) / seconds;
          if (!durations.empty()) c.sample_s = Median(durations);
          return c;
        },
        binary);
  };
  const Cost k = cost("auto"), p = cost("procfs");
  const Cost o = compare.empty() ? Cost{} : cost("auto", compare.c_str());
  for (pid_t pid : idle) kill(pid, SIGKILL);
  for (pid_t pid : idle) waitpid(pid, nullptr, 0);
  std::printf("sampling %zu idle processes (plus the host's) every 10 s, sensor CPU over %d s:\n",
              idle.size(), seconds);
  std::printf("  task iterator (auto)   %.2f%% of a core, one sample %.1f ms (%.0f processes)\n",
              100 * k.core, 1000 * k.sample_s, k.processes);
  std::printf("  status (procfs)        %.2f%% of a core, one sample %.1f ms (%.0f processes)\n",
              100 * p.core, 1000 * p.sample_s, p.processes);
  if (!compare.empty())
    std::printf("  --compare sensor       %.2f%% of a core, one sample %.1f ms (%.0f processes)\n",
                100 * o.core, 1000 * o.sample_s, o.processes);
  return 0;
}
