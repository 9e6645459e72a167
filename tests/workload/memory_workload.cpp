// Gives its own RSS a known shape over time, for the leak detector's
// integration tests and benchmarks:
//
//   memory_workload --shape SHAPE --rate BYTES_PER_S [--duration SECONDS]
//                   [--base BYTES] [--period SECONDS] [--jitter BYTES]
//                   [--processes N] [--ready-fd N] [--seed N]
//
// Shapes (t = seconds since ready; RSS = base + the value below, + jitter):
//   leak             rate * t: grows for ever
//   sawtooth         rate * (t mod period): a GC's sawtooth, the floor stays at base
//   sawtooth-rising  as sawtooth, but each drop keeps a quarter of the cycle's
//                    growth: the floor rises at rate / 4
//   plateau          rate * min(t, period): warms up, then levels off
//   steady           0
//   random-walk      every 100 ms, +/- rate * 0.1 s with equal odds (never below
//                    0): drifts by about rate * sqrt(0.1 s * t)
// --rate and sizes accept B, KiB, MiB, GiB (also K, M, G: binary) and an
// optional "/s" on the rate ("2MiB/s"); seconds accept a fraction and an
// optional "s". --duration 0 (the default) runs until SIGTERM or SIGINT.
// --period defaults to 10 s. --jitter adds a separate region whose size is
// redrawn uniformly in [0, BYTES] every 100 ms.
// --processes N > 1 forks N children that each run the shape; the parent only
// waits (and forwards SIGTERM/SIGINT). Children die with the parent.
// Every shape wakes every 100 ms, except steady without --jitter, which sleeps
// until the end: thousands of such processes leave the host idle.
//
// The memory is one anonymous mapping, reserved up front (virtual only) with
// transparent huge pages off, so RSS moves in 4 KiB pages: growth is written
// with memset (resident for real), and drops are MADV_DONTNEED (the pages
// leave RSS at once, as munmap would, without piling up mappings).
//
// When the base is resident it prints one line on stdout, and also writes it
// to --ready-fd N if given (then closes that fd):
//   ready pid=<pid>                                  (one process)
//   ready pid=<parent> children=<pid>,<pid>,...      (--processes N > 1)
// SIGTERM or SIGINT: exit 0. Bad arguments: one line on stderr, usage, exit 2.
// Run-time failures (mmap refused, fork failed): one line on stderr, exit 1.
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr double kTickS = 0.1;
constexpr size_t kPage = 4096;
// Virtual reservation when the run has no end: large, but only touched pages cost memory.
constexpr double kUnboundedReserve = 1ull << 40;

enum class ShapeKind { kLeak, kSawtooth, kSawtoothRising, kPlateau, kSteady, kRandomWalk };

struct Options {
  ShapeKind shape = ShapeKind::kSteady;
  bool shape_set = false;
  double rate = -1;  // bytes per second
  double duration_s = 0;
  double base = 0;
  double period_s = 10;
  double jitter = 0;
  long processes = 1;
  int ready_fd = -1;
  uint64_t seed = 0;
  bool seed_set = false;
};

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

const char kUsage[] =
    "usage: memory_workload --shape leak|sawtooth|sawtooth-rising|plateau|steady|random-walk\n"
    "                       --rate BYTES_PER_S [--duration SECONDS] [--base BYTES] [--period SECONDS]\n"
    "                       [--jitter BYTES] [--processes N] [--ready-fd N] [--seed N]\n";

[[noreturn]] void BadUsage(const std::string& what) {
  std::fprintf(stderr, "memory_workload: %s\n%s", what.c_str(), kUsage);
  std::exit(2);
}

// "2MiB", "512k", "1.5GiB", "4096"; with allow_per_s also "2MiB/s".
bool ParseBytes(std::string_view text, bool allow_per_s, double* out) {
  if (allow_per_s && text.size() > 2 && text.substr(text.size() - 2) == "/s") text.remove_suffix(2);
  std::string s(text);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || errno != 0 || !std::isfinite(v) || v < 0) return false;
  std::string unit(end);
  double mult = 0;
  if (unit.empty() || unit == "B")
    mult = 1;
  else if (unit == "K" || unit == "k" || unit == "KiB")
    mult = 1024.0;
  else if (unit == "M" || unit == "MiB")
    mult = 1024.0 * 1024;
  else if (unit == "G" || unit == "GiB")
    mult = 1024.0 * 1024 * 1024;
  else
    return false;
  *out = v * mult;
  return true;
}

bool ParseSeconds(std::string_view text, double* out) {
  if (!text.empty() && text.back() == 's') text.remove_suffix(1);
  std::string s(text);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0' || errno != 0 || !std::isfinite(v) || v < 0) return false;
  *out = v;
  return true;
}

bool ParseLong(std::string_view text, long lo, long hi, long* out) {
  std::string s(text);
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(s.c_str(), &end, 10);
  if (end == s.c_str() || *end != '\0' || errno != 0 || v < lo || v > hi) return false;
  *out = v;
  return true;
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) BadUsage(a + " needs a value");
    std::string v = argv[++i];
    long n = 0;
    if (a == "--shape") {
      static const std::pair<const char*, ShapeKind> kShapes[] = {
          {"leak", ShapeKind::kLeak},
          {"sawtooth", ShapeKind::kSawtooth},
          {"sawtooth-rising", ShapeKind::kSawtoothRising},
          {"plateau", ShapeKind::kPlateau},
          {"steady", ShapeKind::kSteady},
          {"random-walk", ShapeKind::kRandomWalk}};
      auto it =
          std::find_if(std::begin(kShapes), std::end(kShapes), [&](const auto& s) { return v == s.first; });
      if (it == std::end(kShapes)) BadUsage("unknown --shape " + v);
      o.shape = it->second;
      o.shape_set = true;
    } else if (a == "--rate") {
      if (!ParseBytes(v, true, &o.rate)) BadUsage("bad --rate " + v + " (e.g. 2MiB or 65536)");
    } else if (a == "--duration") {
      if (!ParseSeconds(v, &o.duration_s)) BadUsage("bad --duration " + v + " (seconds)");
    } else if (a == "--base") {
      if (!ParseBytes(v, false, &o.base)) BadUsage("bad --base " + v + " (e.g. 64MiB)");
    } else if (a == "--period") {
      if (!ParseSeconds(v, &o.period_s) || o.period_s < kTickS)
        BadUsage("bad --period " + v + " (seconds, >= 0.1)");
    } else if (a == "--jitter") {
      if (!ParseBytes(v, false, &o.jitter)) BadUsage("bad --jitter " + v + " (e.g. 1MiB)");
    } else if (a == "--processes") {
      if (!ParseLong(v, 1, 100000, &o.processes)) BadUsage("bad --processes " + v + " (1 to 100000)");
    } else if (a == "--ready-fd") {
      if (!ParseLong(v, 0, 1 << 20, &n)) BadUsage("bad --ready-fd " + v);
      o.ready_fd = static_cast<int>(n);
    } else if (a == "--seed") {
      if (!ParseLong(v, 0, LONG_MAX, &n)) BadUsage("bad --seed " + v);
      o.seed = static_cast<uint64_t>(n);
      o.seed_set = true;
    } else {
      BadUsage("unknown flag " + a);
    }
  }
  if (!o.shape_set) BadUsage("--shape is required");
  if (o.rate < 0 && o.shape != ShapeKind::kSteady) BadUsage("--rate is required for this shape");
  if (o.rate < 0) o.rate = 0;
  return o;
}

// Bytes above base the shape can reach during the run: the size to reserve.
double MaxGrowth(const Options& o) {
  if (o.duration_s == 0) return kUnboundedReserve;
  switch (o.shape) {
    case ShapeKind::kLeak:
    case ShapeKind::kRandomWalk:
      return o.rate * (o.duration_s + 1);
    case ShapeKind::kSawtooth:
    case ShapeKind::kPlateau:
      return o.rate * (o.period_s + 1);
    case ShapeKind::kSawtoothRising:
      return o.rate * (o.duration_s / 4 + o.period_s + 1);
    case ShapeKind::kSteady:
      return 0;
  }
  return 0;
}

double Now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// A region whose first `resident` bytes are in RSS; Resize moves that edge.
class Region {
 public:
  bool Reserve(double bytes) {
    size_ = (static_cast<size_t>(std::min(bytes, kUnboundedReserve)) / kPage + 1) * kPage;
    void* p =
        mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return false;
    mem_ = static_cast<char*>(p);
    // Huge pages would move RSS in 2 MiB jumps and keep freed tails resident.
    madvise(mem_, size_, MADV_NOHUGEPAGE);
    return true;
  }
  // Returns false once the reservation is exhausted (the level then stays put).
  bool Resize(double bytes) {
    size_t want = std::min(size_, static_cast<size_t>(std::max(bytes, 0.0)) / kPage * kPage);
    if (want > resident_) {
      std::memset(mem_ + resident_, 0x5a, want - resident_);
    } else if (want < resident_) {
      madvise(mem_ + want, resident_ - want, MADV_DONTNEED);
    }
    resident_ = want;
    return static_cast<size_t>(bytes) <= size_;
  }

 private:
  char* mem_ = nullptr;
  size_t size_ = 0;
  size_t resident_ = 0;
};

void WriteReady(const Options& o, const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fflush(stdout);
  if (o.ready_fd >= 0) {
    ssize_t ignored = write(o.ready_fd, line.data(), line.size());
    (void)ignored;
    close(o.ready_fd);
  }
}

// A steady shape without jitter has nothing to change: wait for the end or a
// signal without waking. Ticking every 100 ms instead costs each process a
// timer wake-up ten times a second, which at thousands of processes (the
// sampling cost benchmark) takes most of two cores, starves the parent still
// forking the rest and leaves the sensor measured on a saturated host.
// SIGTERM and SIGINT are blocked and taken with sigtimedwait, so one that
// arrives before the wait is not lost.
void WaitIdle(const Options& o) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  const double end = Now() + o.duration_s;
  while (!g_stop) {
    int sig;
    if (o.duration_s > 0) {
      double left = end - Now();
      if (left <= 0) break;
      timespec ts{static_cast<time_t>(left), static_cast<long>((left - std::floor(left)) * 1e9)};
      sig = sigtimedwait(&set, nullptr, &ts);
    } else {
      sig = sigwaitinfo(&set, nullptr);
    }
    if (sig == SIGTERM || sig == SIGINT) g_stop = 1;  // otherwise EAGAIN (time is up) or EINTR: loop
  }
}

// Runs the shape in this process. `ready` is called once the base is resident.
int RunShape(const Options& o, uint64_t seed, void (*ready)(const Options&, int), int ready_arg) {
  Region main_region, jitter_region;
  if (!main_region.Reserve(o.base + MaxGrowth(o)) || (o.jitter > 0 && !jitter_region.Reserve(o.jitter))) {
    std::fprintf(stderr, "memory_workload: mmap: %s\n", std::strerror(errno));
    return 1;
  }
  main_region.Resize(o.base);
  ready(o, ready_arg);
  if (o.shape == ShapeKind::kSteady && o.jitter == 0) {
    WaitIdle(o);
    return 0;
  }
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0, 1);
  const double start = Now();
  double walk = 0;
  bool warned = false;
  timespec next{};
  clock_gettime(CLOCK_MONOTONIC, &next);
  while (!g_stop) {
    double t = Now() - start;
    if (o.duration_s > 0 && t >= o.duration_s) break;
    double g = 0;
    switch (o.shape) {
      case ShapeKind::kLeak:
        g = o.rate * t;
        break;
      case ShapeKind::kSawtooth:
        g = o.rate * std::fmod(t, o.period_s);
        break;
      case ShapeKind::kSawtoothRising: {
        double cycles = std::floor(t / o.period_s);
        g = cycles * o.rate * o.period_s / 4 + o.rate * (t - cycles * o.period_s);
        break;
      }
      case ShapeKind::kPlateau:
        g = o.rate * std::min(t, o.period_s);
        break;
      case ShapeKind::kSteady:
        g = 0;
        break;
      case ShapeKind::kRandomWalk:
        walk = std::max(0.0, walk + (unit(rng) < 0.5 ? -1 : 1) * o.rate * kTickS);
        g = walk;
        break;
    }
    if (!main_region.Resize(o.base + g) && !warned) {
      std::fprintf(stderr, "memory_workload: reservation exhausted; RSS stays at its current size\n");
      warned = true;
    }
    if (o.jitter > 0) jitter_region.Resize(unit(rng) * o.jitter);
    next.tv_nsec += static_cast<long>(kTickS * 1e9);
    if (next.tv_nsec >= 1'000'000'000) {
      next.tv_nsec -= 1'000'000'000;
      ++next.tv_sec;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr);  // EINTR on a signal: loop checks g_stop
  }
  return 0;
}

void SingleReady(const Options& o, int) { WriteReady(o, "ready pid=" + std::to_string(getpid()) + "\n"); }

void ChildReady(const Options&, int pipe_fd) {
  char c = 'r';
  ssize_t ignored = write(pipe_fd, &c, 1);
  (void)ignored;
  close(pipe_fd);
}

int RunChildren(const Options& o, uint64_t seed) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) {
    std::fprintf(stderr, "memory_workload: pipe: %s\n", std::strerror(errno));
    return 1;
  }
  std::vector<pid_t> children;
  const pid_t parent = getpid();
  for (long i = 0; i < o.processes; ++i) {
    pid_t pid = fork();
    if (pid < 0) {
      std::fprintf(stderr, "memory_workload: fork (child %ld): %s\n", i, std::strerror(errno));
      for (pid_t c : children) kill(c, SIGTERM);
      for (pid_t c : children) waitpid(c, nullptr, 0);
      return 1;
    }
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent) _exit(0);  // the parent is already gone
      close(pipe_fds[0]);
      if (o.ready_fd >= 0) close(o.ready_fd);
      _exit(RunShape(o, seed + static_cast<uint64_t>(i) + 1, ChildReady, pipe_fds[1]));
    }
    children.push_back(pid);
  }
  close(pipe_fds[1]);
  // Every child writes one byte when ready; EOF early means some died first.
  long ready = 0;
  char buf[256];
  while (ready < o.processes) {
    ssize_t n = read(pipe_fds[0], buf, sizeof(buf));
    if (n > 0)
      ready += n;
    else if (n == 0 || (errno != EINTR) || g_stop)
      break;
  }
  close(pipe_fds[0]);
  if (ready == o.processes) {
    std::string line = "ready pid=" + std::to_string(parent) + " children=";
    for (size_t i = 0; i < children.size(); ++i) line += (i ? "," : "") + std::to_string(children[i]);
    WriteReady(o, line + "\n");
  } else if (!g_stop) {
    std::fprintf(stderr, "memory_workload: only %ld of %ld children became ready\n", ready, o.processes);
  }
  int failed = 0;
  bool forwarded = false;
  size_t left = children.size();
  while (left > 0) {
    if (g_stop && !forwarded) {
      for (pid_t c : children) kill(c, SIGTERM);
      forwarded = true;
    }
    int status = 0;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    --left;
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) ++failed;
  }
  if (failed > 0) std::fprintf(stderr, "memory_workload: %d children failed\n", failed);
  return (failed > 0 || (ready != o.processes && !g_stop)) ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseArgs(argc, argv);
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: sleeps and waits return so the loops see g_stop
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  const uint64_t seed = o.seed_set ? o.seed : static_cast<uint64_t>(getpid());
  if (o.processes > 1) return RunChildren(o, seed);
  return RunShape(o, seed, SingleReady, 0);
}
