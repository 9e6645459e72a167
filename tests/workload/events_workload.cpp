// Process events on demand, for the process-events and probe tests:
//
//   events_workload [--cgroup DIR]... MODE [ARG]
//
// --cgroup DIR   move this process into DIR first (a cgroup v2 directory or a
//                cgroup v1 one such as /sys/fs/cgroup/memory/x); repeatable,
//                so a hybrid host can join a v1 memory cgroup and a v2 one
// segv [T]       start T (default 0) threads that sleep, then dereference NULL
//                through a volatile pointer: the whole group dies of SIGSEGV
// abort          abort(): SIGABRT
// alloc MIB      allocate and touch MIB MiB, 1 MiB at a time; exits 3 if it
//                was not killed on the way (the OOM test expects a SIGKILL)
// hold MIB       allocate and touch MIB MiB, then wait to be killed (a global OOM
//                victim); exits 3 if nothing killed it within 120 s
// fill MIB       allocate and touch MIB MiB, then exit 0 (the allocating task of
//                a global OOM, made unkillable with oom_score_adj -1000)
// calls N        call hostprobe_probe_target exactly N times
// usdt N         hit the USDT probe hostprobe:tick exactly N times
// exec N         exec itself N times in a row (N execs after joining cgroups)
// execsegv       exec itself once as `segv`: a process that starts in its
//                cgroup (as a container's entrypoint does) and crashes
//
// segv and abort set RLIMIT_CORE to 0 first: no core files from the tests.
// Prints nothing unless something goes wrong (then one line on stderr, exit 2).
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

// GCC's noipa: no inlining, cloning or inferred attributes, so every call
// reaches the symbol. Clang lacks the attribute; the callers below also call
// through a volatile function pointer, which no compiler can see through.
#ifdef __clang__
#define HP_NOIPA
#else
#define HP_NOIPA __attribute__((noipa))
#endif

// The function the uprobe tests attach to. Externally visible (C linkage, so
// the symbol is its plain name), never inlined, cloned or specialized (noipa),
// and kept even if nothing referenced it (used).
extern "C" __attribute__((noinline, used)) HP_NOIPA int hostprobe_probe_target(int x) {
  // An observable side effect, so no call can be dropped as dead.
  static volatile int sink;
  sink = sink + x;
  return x + 1;
}

// A USDT probe with no arguments, as <sys/sdt.h>'s STAP_PROBE(provider, name)
// emits it (a nop plus a .note.stapsdt entry), written out so the build needs
// no systemtap-sdt-dev.
// clang-format off
#define HP_USDT_PROBE(provider, name)                                          \
  __asm__ __volatile__("990: nop\n"                                            \
                       ".pushsection .note.stapsdt,\"\",\"note\"\n"            \
                       ".balign 4\n"                                           \
                       ".4byte 992f-991f, 994f-993f, 3\n"                      \
                       "991: .asciz \"stapsdt\"\n"                             \
                       "992: .balign 4\n"                                      \
                       "993: .8byte 990b\n"                                    \
                       ".8byte _.stapsdt.base\n"                               \
                       ".8byte 0\n"                                            \
                       ".asciz \"" #provider "\"\n"                            \
                       ".asciz \"" #name "\"\n"                                \
                       ".asciz \"\"\n"                                         \
                       "994: .balign 4\n"                                      \
                       ".popsection\n"                                         \
                       ".ifndef _.stapsdt.base\n"                              \
                       ".pushsection .stapsdt.base,\"aG\",\"progbits\",.stapsdt.base,comdat\n" \
                       ".weak _.stapsdt.base\n"                                \
                       ".hidden _.stapsdt.base\n"                              \
                       "_.stapsdt.base: .space 1\n"                            \
                       ".size _.stapsdt.base, 1\n"                             \
                       ".popsection\n"                                         \
                       ".endif\n")
// clang-format on

namespace {

int Usage(const char* why) {
  std::fprintf(stderr, "events_workload: %s\n", why);
  return 2;
}

bool ParseCount(const char* s, long* out) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < 0) return false;
  *out = v;
  return true;
}

bool JoinCgroup(const std::string& dir) {
  std::string procs = dir + "/cgroup.procs";
  int fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, "0", 1) != 1) {
    std::fprintf(stderr, "events_workload: cannot join %s: %s\n", procs.c_str(), std::strerror(errno));
    if (fd >= 0) close(fd);
    return false;
  }
  close(fd);
  return true;
}

void NoCoreDumps() {
  const struct rlimit none = {0, 0};
  setrlimit(RLIMIT_CORE, &none);
}

[[noreturn]] void Segv(long threads) {
  NoCoreDumps();
  for (long i = 0; i < threads; ++i) std::thread([] { pause(); }).detach();
  volatile int* volatile null = nullptr;
  *null = 1;
  std::abort();  // not reached
}

int Alloc(long mib) {
  constexpr size_t kChunk = 1 << 20;
  std::vector<char*> chunks;
  for (long i = 0; i < mib; ++i) {
    char* p = static_cast<char*>(std::malloc(kChunk));
    if (p == nullptr) return Usage("malloc failed before the OOM killer acted");
    std::memset(p, 0x5a, kChunk);  // touch every page: charged to the cgroup
    chunks.push_back(p);
  }
  std::fprintf(stderr, "events_workload: allocated %ld MiB and was not killed\n", mib);
  return 3;
}

// Touches `mib` MiB in 1 MiB chunks, kept until the process ends.
std::vector<char*> g_held;
bool Touch(long mib) {
  constexpr size_t kChunk = 1 << 20;
  for (long i = 0; i < mib; ++i) {
    char* p = static_cast<char*>(std::malloc(kChunk));
    if (p == nullptr) return false;
    std::memset(p, 0x5a, kChunk);
    g_held.push_back(p);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int i = 1;
  std::vector<std::string> cgroups;
  while (i + 1 < argc && std::string(argv[i]) == "--cgroup") {
    cgroups.push_back(argv[i + 1]);
    i += 2;
  }
  if (i >= argc) return Usage("no mode (segv, execsegv, abort, alloc, hold, fill, calls, usdt, exec)");
  const std::string mode = argv[i++];
  long n = 0;
  const bool has_arg = i < argc;
  if (has_arg && !ParseCount(argv[i], &n)) return Usage("expected a whole number after the mode");
  if (i + (has_arg ? 1 : 0) < argc) return Usage("too many arguments");
  for (const auto& dir : cgroups) {
    if (!JoinCgroup(dir)) return 2;
  }

  if (mode == "segv") Segv(n);
  if (mode == "execsegv") {
    char* args[] = {argv[0], const_cast<char*>("segv"), nullptr};
    execv("/proc/self/exe", args);
    std::fprintf(stderr, "events_workload: exec: %s\n", std::strerror(errno));
    return 2;
  }
  if (mode == "abort") {
    NoCoreDumps();
    std::abort();
  }
  if (!has_arg) return Usage("this mode needs a number");
  if (mode == "alloc") return Alloc(n);
  if (mode == "hold") {
    if (!Touch(n)) return Usage("malloc failed");
    std::printf("held\n");
    std::fflush(stdout);
    sleep(120);
    std::fprintf(stderr, "events_workload: held %ld MiB for 120 s and was not killed\n", n);
    return 3;
  }
  if (mode == "fill") return Touch(n) ? 0 : Usage("malloc failed");
  if (mode == "calls") {
    // Through a volatile pointer: every call is a real call of the symbol.
    int (*volatile target)(int) = hostprobe_probe_target;
    for (long k = 0; k < n; ++k) target(static_cast<int>(k));
    return 0;
  }
  if (mode == "usdt") {
    for (long k = 0; k < n; ++k) HP_USDT_PROBE(hostprobe, tick);
    return 0;
  }
  if (mode == "exec") {
    if (n == 0) return 0;
    std::string next = std::to_string(n - 1);
    char* args[] = {argv[0], const_cast<char*>("exec"), next.data(), nullptr};
    execv("/proc/self/exe", args);
    std::fprintf(stderr, "events_workload: exec: %s\n", std::strerror(errno));
    return 2;
  }
  return Usage(("unknown mode " + mode).c_str());
}
