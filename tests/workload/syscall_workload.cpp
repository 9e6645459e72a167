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
// --int80-getppid N  N getppid calls through the 32-bit compat entry (int $0x80,
//                i386 number 64, which is semget on x86_64); x86_64 only
// --pingpong A,B N  two child processes, moved into the cgroup v2 directories A
//                and B and pinned to the CPU this process runs on, each making N
//                getppid calls with a sched_yield after each, so that their calls
//                interleave on one CPU; waits for both and prints
//                "calls_per_cgroup=M", the exact number of syscalls each child
//                made in its cgroup (2N + 2: the read that returns once it is
//                moved, the calls, and exit_group)
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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

// getppid through the ia32 entry: the kernel takes i386 numbers there.
static bool Int80Getppid(long n) {
#if defined(__x86_64__)
  const long want = getppid();
  for (long i = 0; i < n; ++i) {
    long ret = 64;  // __NR_getppid in asm/unistd_32.h
    __asm__ volatile("int $0x80" : "+a"(ret) : : "memory", "cc", "r8", "r9", "r10", "r11");
    if (ret != want) {
      std::fprintf(stderr, "syscall_workload: int $0x80 getppid returned %ld, not %ld\n", ret, want);
      return false;
    }
  }
  return true;
#else
  (void)n;
  std::fprintf(stderr, "syscall_workload: --int80-getppid needs x86_64\n");
  return false;
#endif
}

static bool JoinCgroup(const std::string& dir, pid_t pid) {
  std::string procs = dir + "/cgroup.procs";
  std::string text = std::to_string(pid);
  int fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
  bool ok = fd >= 0 && write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  if (!ok)
    std::fprintf(stderr, "syscall_workload: cannot move %d to %s: %s\n", pid, procs.c_str(),
                 std::strerror(errno));
  if (fd >= 0) close(fd);
  return ok;
}

// Waits until `pid` is blocked in read(2): every call it made before has
// returned, so none of them can land in the cgroup it is moved to next.
static bool WaitBlockedInRead(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/syscall";
  const std::string want = std::to_string(SYS_read) + " ";
  for (int i = 0; i < 5000; ++i) {
    char buf[64] = {};
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    if (fd >= 0) close(fd);
    if (got > 0 && std::string(buf, static_cast<size_t>(got)).rfind(want, 0) == 0) return true;
    usleep(1000);
  }
  std::fprintf(stderr, "syscall_workload: child %d never blocked in read\n", pid);
  return false;
}

// Two children in cgroups a and b on one CPU, taking turns: every call's
// sys_exit finds the other cgroup's batch in its (CPU, syscall) entry and
// flushes it. After it is moved, a child makes only raw syscalls, so the
// number it makes in its cgroup is known exactly.
static bool PingPong(const std::string& a, const std::string& b, long n) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(sched_getcpu(), &one);
  pid_t kids[2];
  int go[2][2];
  for (int k = 0; k < 2; ++k) {
    if (pipe2(go[k], O_CLOEXEC) != 0) return false;
    kids[k] = fork();
    if (kids[k] < 0) return false;
    if (kids[k] == 0) {
      sched_setaffinity(0, sizeof(one), &one);
      char c = 0;
      // Returns in the new cgroup: the first call counted there.
      if (syscall(SYS_read, go[k][0], &c, 1) != 1 || c != 'g') syscall(SYS_exit_group, 1);
      for (long i = 0; i < n; ++i) {
        syscall(SYS_getppid);
        syscall(SYS_sched_yield);
      }
      syscall(SYS_exit_group, 0);
    }
    close(go[k][0]);
  }
  bool ok = WaitBlockedInRead(kids[0]) && WaitBlockedInRead(kids[1]) && JoinCgroup(a, kids[0]) &&
            JoinCgroup(b, kids[1]);
  for (int k = 0; k < 2; ++k) {
    if (write(go[k][1], ok ? "g" : "x", 1) != 1) ok = false;
    close(go[k][1]);
  }
  for (pid_t kid : kids) {
    int status = 0;
    if (waitpid(kid, &status, 0) != kid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) ok = false;
  }
  if (ok) std::printf("calls_per_cgroup=%ld\n", 2 * n + 2);
  return ok;
}

int main(int argc, char** argv) {
  std::string cgroup;
  long getppid_calls = 0, gap_ms = 0, paced_ms = 0, enoent_calls = 0, burn_ms = 0, mib = 96, signals = 0,
       threads = 0;
  std::string direct_io, pingpong;
  long int80_calls = 0, pingpong_calls = 0;
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
    else if (a == "--int80-getppid")
      int80_calls = std::atol(argv[++i]);
    else if (a == "--pingpong" && i + 2 < argc) {
      pingpong = argv[++i];
      pingpong_calls = std::atol(argv[++i]);
    } else {
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
      struct timespec at = {static_cast<time_t>(tick / 1'000'000'000),
                            static_cast<long>(tick % 1'000'000'000)};
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, nullptr) == EINTR) {
      }
    }
    std::printf("calls=%ld\n", made);
  }
  if (int80_calls > 0 && !Int80Getppid(int80_calls)) return 1;
  if (!pingpong.empty()) {
    const size_t comma = pingpong.find(',');
    if (comma == std::string::npos) {
      std::fprintf(stderr, "syscall_workload: --pingpong wants two cgroup directories, A,B\n");
      return 2;
    }
    if (!PingPong(pingpong.substr(0, comma), pingpong.substr(comma + 1), pingpong_calls)) return 1;
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
