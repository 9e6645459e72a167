// What each piece of syscall tracing costs a syscall: nanoseconds per
// getppid() with one set of programs attached at a time, against the same
// loop bare, and as a share of an empty sys_enter + sys_exit pair measured
// in the same round. The sets are the pieces the sensor's design weighs
// (docs/design.md, "Syscall fast path"): empty programs on either
// tracepoint, one map touch of either kind, and the sensor's own programs,
// loaded from its object and attached here (hp_sys_exit alone is the
// sensor between latency windows; with hp_sys_enter, every call timed).
//
//   hook_cost [--rounds R] [--chunks N] [--chunk-calls N]     (default 21 rounds)
//
// Needs root. Prints a table; measures, never asserts.
#include <bpf/libbpf.h>
#include <linux/types.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "empty_pair.skel.h"
#include "getppid_loop.h"
#include "hook_variants.skel.h"
#include "syscalls.h"
#include "syscalls.skel.h"

namespace {

struct Config {
  std::string name;
  std::vector<bpf_program*> programs;
  std::vector<double> added;  // ns per call over bare, one per round
  std::vector<double> share;  // added / the empty pair's added, one per round
};

int LibbpfQuiet(libbpf_print_level level, const char* fmt, va_list args) {
  return level == LIBBPF_WARN ? std::vfprintf(stderr, fmt, args) : 0;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 21, chunks = 300;
  long chunk_calls = 2000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n", a.c_str());
      return 2;
    }
    if (a == "--rounds")
      rounds = std::atoi(argv[++i]);
    else if (a == "--chunks")
      chunks = std::atoi(argv[++i]);
    else if (a == "--chunk-calls")
      chunk_calls = std::atol(argv[++i]);
    else {
      std::fprintf(stderr, "unknown flag %s\n", a.c_str());
      return 2;
    }
  }
  if (rounds < 1 || chunks < 1 || chunk_calls < 1) {
    std::fprintf(stderr, "hook_cost: --rounds, --chunks and --chunk-calls must be positive\n");
    return 2;
  }
  if (geteuid() != 0) {
    std::fprintf(stderr, "hook_cost: needs root to load eBPF programs\n");
    return 1;
  }
  libbpf_set_print(LibbpfQuiet);
  cpu_set_t cpu0;
  CPU_ZERO(&cpu0);
  CPU_SET(0, &cpu0);
  sched_setaffinity(0, sizeof(cpu0), &cpu0);
  const int ncpus = libbpf_num_possible_cpus();

  empty_pair_bpf* empty = empty_pair_bpf__open_and_load();
  if (empty == nullptr) {
    std::fprintf(stderr, "hook_cost: cannot load the empty pair\n");
    return 1;
  }
  hook_variants_bpf* v = hook_variants_bpf__open();
  if (v == nullptr) return 1;
  bpf_map__set_max_entries(v->maps.by_cpu, static_cast<uint32_t>(ncpus) * 1024);
  if (hook_variants_bpf__load(v) != 0) {
    std::fprintf(stderr, "hook_cost: cannot load the variants\n");
    return 1;
  }
  // The sensor's programs, configured as the sensor does (tp_btf variant).
  syscalls_bpf* s = syscalls_bpf__open();
  if (s == nullptr) return 1;
  s->rodata->latency_sample_every = 1;
  bpf_program__set_autoload(s->progs.hp_sys_enter_raw, false);
  bpf_program__set_autoload(s->progs.hp_sys_exit_raw, false);
  bpf_map__set_autocreate(s->maps.inflight_lru, false);
  bpf_map__set_max_entries(s->maps.syscall_hot, static_cast<uint32_t>(ncpus) * HP_MAX_SYSCALLS);
  if (syscalls_bpf__load(s) != 0) {
    std::fprintf(stderr, "hook_cost: cannot load the sensor's syscall programs\n");
    return 1;
  }

  std::vector<Config> configs = {
      {"empty sys_enter + sys_exit", {empty->progs.bench_enter, empty->progs.bench_exit}, {}, {}},
      {"empty sys_enter alone", {empty->progs.bench_enter}, {}, {}},
      {"empty sys_exit alone", {empty->progs.bench_exit}, {}, {}},
      {"sys_exit: per-CPU array ++", {v->progs.per_cpu_exit}, {}, {}},
      {"sys_exit: (CPU, syscall) array ++", {v->progs.by_cpu_exit}, {}, {}},
      {"hp_sys_exit alone (between windows)", {s->progs.hp_sys_exit}, {}, {}},
      {"hp_sys_enter + hp_sys_exit (all timed)", {s->progs.hp_sys_enter, s->progs.hp_sys_exit}, {}, {}},
  };
  // Each round measures bare and every set, in an order shuffled anew each
  // round (the cost of a syscall drifts over seconds here, and a fixed order
  // would turn that drift into a difference between sets); shares are taken
  // within the round, against the empty pair of that round.
  std::mt19937 rng(12345);
  std::vector<size_t> order(configs.size() + 1);  // index configs.size(): bare
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (int r = 0; r < rounds; ++r) {
    std::shuffle(order.begin(), order.end(), rng);
    double bare = 0;
    std::vector<double> with(configs.size());
    for (size_t k : order) {
      if (k == configs.size()) {
        bare = hostprobe::bench::MeasureGetppid(chunks, chunk_calls);
        continue;
      }
      Config& c = configs[k];
      std::vector<bpf_link*> links;
      for (bpf_program* p : c.programs) {
        bpf_link* l = bpf_program__attach(p);
        if (l == nullptr) {
          std::fprintf(stderr, "hook_cost: cannot attach %s\n", bpf_program__name(p));
          return 1;
        }
        links.push_back(l);
      }
      with[k] = hostprobe::bench::MeasureGetppid(chunks, chunk_calls);
      for (bpf_link* l : links) bpf_link__destroy(l);
    }
    for (size_t k = 0; k < configs.size(); ++k) {
      configs[k].added.push_back(with[k] - bare);
      configs[k].share.push_back((with[k] - bare) / (with[0] - bare));
    }
    std::fprintf(stderr, "round %d of %d done\n", r + 1, rounds);
  }
  std::printf("getppid, %d rounds, each set %d chunks x %ld calls; medians over rounds\n", rounds, chunks,
              chunk_calls);
  std::printf("%-42s %12s %16s\n", "programs attached", "ns over bare", "share of pair");
  for (auto& c : configs) {
    std::printf("%-42s %+12.1f %16.2f\n", c.name.c_str(), hostprobe::bench::Median(c.added),
                hostprobe::bench::Median(c.share));
  }
  empty_pair_bpf__destroy(empty);
  hook_variants_bpf__destroy(v);
  syscalls_bpf__destroy(s);
  return 0;
}
