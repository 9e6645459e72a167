// Makes an exact, known number of syscalls, optionally from inside a given
// cgroup, so tests and benchmarks can check what the sensor counted.
//
//   syscall_workload [--cgroup DIR] [--getppid N] [--enoent N]
//
// --cgroup DIR   move this process into the cgroup v2 directory DIR first
// --getppid N    N getppid calls (always succeed)
// --enoent N     N openat calls on a path that does not exist (fail with ENOENT)
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  std::string cgroup;
  long getppid_calls = 0, enoent_calls = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "syscall_workload: %s needs a value\n", a.c_str());
      return 2;
    }
    if (a == "--cgroup") cgroup = argv[++i];
    else if (a == "--getppid") getppid_calls = std::atol(argv[++i]);
    else if (a == "--enoent") enoent_calls = std::atol(argv[++i]);
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
  for (long i = 0; i < getppid_calls; ++i) syscall(SYS_getppid);
  long unexpected = 0;
  for (long i = 0; i < enoent_calls; ++i) {
    long rc = syscall(SYS_openat, AT_FDCWD, "/nonexistent/hostprobe-workload", O_RDONLY);
    if (rc >= 0 || errno != ENOENT) ++unexpected;
  }
  if (unexpected != 0) {
    std::fprintf(stderr, "syscall_workload: %ld openat calls did not fail with ENOENT\n", unexpected);
    return 1;
  }
  return 0;
}
