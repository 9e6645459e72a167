// Makes an exact, known number of syscalls, optionally from inside a given
// cgroup, so tests and benchmarks can check what the sensor counted.
//
//   syscall_workload [--name NAME] [--cgroup DIR] [--getppid N [--gap-ms N]] [--enoent N]
//
// --name NAME    set this process's name (comm, prctl PR_SET_NAME: any bytes
//                but NUL, at most 15) first, e.g. to test label escaping
// --cgroup DIR   move this process into the cgroup v2 directory DIR first
// --getppid N    N getppid calls (always succeed)
// --gap-ms N     sleep N ms after each getppid call (calls spread out in time)
// --getppid-paced MS  for MS ms of wall time, 20 getppid calls on every 1 ms tick
//                (absolute clock; missed ticks are skipped, not made up), so the
//                calls are spread evenly over time whatever a call costs on this
//                machine; prints "calls=N" with the number made
// --enoent N     N openat calls on a path that does not exist (fail with ENOENT)
// --signals N    raise SIGUSR1 N times, caught by a handler (N rt_sigreturn calls)
// --threads N    start and join N threads one by one (each ends with an exit call)
// --burn-ms N    spin on the CPU for N ms of wall time
// --direct-io F  write --mib MiB to file F with O_DIRECT, fsync, read it back with
//                O_DIRECT, then delete it (block I/O the page cache cannot absorb)
// --mib N        size for --direct-io (default 96)
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

static volatile sig_atomic_t g_caught = 0;

static void OnSignal(int) { g_caught = g_caught + 1; }

static bool DirectIo(const std::string& path, long mib) {
  constexpr size_t kBlock = 1 << 20;
  void* buf = nullptr;
  if (posix_memalign(&buf, 4096, kBlock) != 0) return false;
  std::memset(buf, 0x5a, kBlock);
  int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_RDWR | O_DIRECT | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::fprintf(stderr, "syscall_workload: open %s: %s\n", path.c_str(), std::strerror(errno));
    std::free(buf);
    return false;
  }
  bool ok = true;
  for (long i = 0; ok && i < mib; ++i) ok = write(fd, buf, kBlock) == static_cast<ssize_t>(kBlock);
  ok = ok && fsync(fd) == 0;
  for (long i = 0; ok && i < mib; ++i)
    ok = pread(fd, buf, kBlock, static_cast<off_t>(i * kBlock)) == static_cast<ssize_t>(kBlock);
  if (!ok)
    std::fprintf(stderr, "syscall_workload: direct I/O on %s: %s\n", path.c_str(), std::strerror(errno));
  close(fd);
  unlink(path.c_str());
  std::free(buf);
  return ok;
}

int main(int argc, char** argv) {
  std::string cgroup;
  long getppid_calls = 0, gap_ms = 0, paced_ms = 0, enoent_calls = 0, burn_ms = 0, mib = 96, signals = 0, threads = 0;
  std::string direct_io;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "syscall_workload: %s needs a value\n", a.c_str());
      return 2;
    }
    if (a == "--name")
      prctl(PR_SET_NAME, argv[++i], 0, 0, 0);
    else if (a == "--cgroup")
      cgroup = argv[++i];
    else if (a == "--getppid")
      getppid_calls = std::atol(argv[++i]);
    else if (a == "--getppid-paced")
      paced_ms = std::atol(argv[++i]);
    else if (a == "--gap-ms")
      gap_ms = std::atol(argv[++i]);
    else if (a == "--enoent")
      enoent_calls = std::atol(argv[++i]);
    else if (a == "--signals")
      signals = std::atol(argv[++i]);
    else if (a == "--threads")
      threads = std::atol(argv[++i]);
    else if (a == "--burn-ms")
      burn_ms = std::atol(argv[++i]);
    else if (a == "--direct-io")
      direct_io = argv[++i];
    else if (a == "--mib")
      mib = std::atol(argv[++i]);
    else {
      std::fprintf(stderr, "syscall_workload: unknown flag %s\n", a.c_str());
      return 2;
    }
  }
  if (!cgroup.empty()) {
    std::string procs = cgroup + "/cgroup.procs";
    int fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) {
      std::fprintf(stderr, "syscall_workload: cannot join %s: %s\n", procs.c_str(), std::strerror(errno));
      return 1;
    }
    close(fd);
  }
  for (long i = 0; i < getppid_calls; ++i) {
    syscall(SYS_getppid);
    if (gap_ms > 0) {
      struct timespec gap = {gap_ms / 1000, (gap_ms % 1000) * 1000000};
      nanosleep(&gap, nullptr);
    }
  }
  if (paced_ms > 0) {
    constexpr long kBurst = 20, kTickNs = 1'000'000;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    const int64_t start = int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
    const int64_t end = start + int64_t{paced_ms} * 1'000'000;
    int64_t tick = start;
    long made = 0;
    for (;;) {
      for (long k = 0; k < kBurst; ++k) syscall(SYS_getppid);
      made += kBurst;
      clock_gettime(CLOCK_MONOTONIC, &now);
      const int64_t t = int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
      tick += kTickNs;
      if (tick < t) tick = t - (t - start) % kTickNs + kTickNs;  // skip missed ticks
      if (tick >= end) break;
      struct timespec at = {static_cast<time_t>(tick / 1'000'000'000), static_cast<long>(tick % 1'000'000'000)};
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, nullptr) == EINTR) {
      }
    }
    std::printf("calls=%ld\n", made);
  }
  long unexpected = 0;
  for (long i = 0; i < enoent_calls; ++i) {
    long rc = syscall(SYS_openat, AT_FDCWD, "/nonexistent/hostprobe-workload", O_RDONLY);
    if (rc >= 0 || errno != ENOENT) ++unexpected;
  }
  if (unexpected != 0) {
    std::fprintf(stderr, "syscall_workload: %ld openat calls did not fail with ENOENT\n", unexpected);
    return 1;
  }
  if (signals > 0) {
    struct sigaction sa {};
    sa.sa_handler = OnSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, nullptr);
    for (long i = 0; i < signals; ++i) raise(SIGUSR1);
    if (g_caught != signals) {
      std::fprintf(stderr, "syscall_workload: caught %ld of %ld signals\n", static_cast<long>(g_caught),
                   signals);
      return 1;
    }
  }
  for (long i = 0; i < threads; ++i) std::thread([] {}).join();
  if (burn_ms > 0) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(burn_ms);
    volatile uint64_t x = 0;
    while (std::chrono::steady_clock::now() < until) {
      for (int k = 0; k < 10000; ++k) x = x + k;
    }
  }
  if (!direct_io.empty()) return DirectIo(direct_io, mib) ? 0 : 1;
  return 0;
}
