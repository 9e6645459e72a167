// Helpers shared by the integration tests and the benchmarks: start the real
// sensor binary, talk HTTP to it, parse what it serves.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/test_hooks.h"

// At the start of a test that starts the sensor with a HOSTPROBE_TEST_* hook
// (core/test_hooks.h): skips the test, saying why, when this build's sensor
// was configured without them.
#define REQUIRE_TEST_HOOKS(hook) \
  if (!::hostprobe::kTestHooksBuilt) GTEST_SKIP() << ::hostprobe::testing::WithoutTestHooks(hook)

namespace hostprobe::testing {

// Why a test that needs `hook` is skipped in a build without test hooks.
inline std::string WithoutTestHooks(const std::string& hook) {
  return "needs the " + hook +
         " test hook, and this sensor was built without test hooks (configure with "
         "-DHOSTPROBE_TEST_HOOKS=ON, as scripts/test.sh does)";
}

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// Minimal HTTP/1.0 client for 127.0.0.1; nullopt when the connection fails.
std::optional<HttpResponse> HttpRequest(uint16_t port, const std::string& method, const std::string& path,
                                        const std::vector<std::string>& extra_headers = {});

// A TCP port on 127.0.0.1 that was free a moment ago.
uint16_t FreePort();

// Series key (name plus labels, as written) -> value.
using Exposition = std::map<std::string, double>;
Exposition ParseExposition(const std::string& text);

// Value of a series, 0 when absent.
double Value(const Exposition& e, const std::string& series);

// The sensor as a child process. Its stderr goes to a log file.
class SensorProcess {
 public:
  SensorProcess(std::string binary, std::vector<std::string> args);
  ~SensorProcess();  // SIGKILL if still running
  SensorProcess(const SensorProcess&) = delete;
  SensorProcess& operator=(const SensorProcess&) = delete;

  // Forks and execs with --listen 127.0.0.1:<port> added (and --state-dir=,
  // keeping no leak histories, unless the args name a --state-dir), and
  // `env` (name, value) added to the sensor's environment only.
  bool Start(const std::vector<std::pair<std::string, std::string>>& env = {});
  // Polls /healthz until 200 or the deadline. False if it never got healthy.
  bool WaitHealthy(std::chrono::milliseconds deadline = std::chrono::seconds(15));
  // Sends `sig`, waits up to `deadline`. Exit code, or nullopt on timeout/signal death.
  std::optional<int> Stop(int sig, std::chrono::milliseconds deadline,
                          std::chrono::milliseconds* took = nullptr);

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string Log() const;
  std::string Scrape() const;

 private:
  std::string binary_;
  std::vector<std::string> args_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::string log_path_;
};

// Ids of the BPF programs a process holds (from /proc/<pid>/fdinfo: program
// and link fds name their prog_id). Unlike matching names, this cannot see
// another sensor running on the same host.
std::set<uint32_t> BpfProgramIdsOf(pid_t pid);

// Ids of the BPF maps a process holds (from /proc/<pid>/fdinfo: map fds name
// their map_id).
std::set<uint32_t> BpfMapIdsOf(pid_t pid);

// A new fd for the map named `name` among the maps process `pid` holds; -1
// if it holds none of that name.
int OpenBpfMapOf(pid_t pid, const std::string& name);

// True while a BPF program with this id is loaded anywhere.
bool BpfProgramLoaded(uint32_t id);

// Whole contents of a file, empty if it cannot be read.
std::string ReadFile(const std::string& path);

// Mount point of the cgroup2 filesystem this process sees, empty if none.
std::string Cgroup2Root();

// Waits up to `deadline` for every program in `ids` to be unloaded (program
// memory is freed after an RCU grace period); returns those still loaded.
std::set<uint32_t> WaitUnloaded(const std::set<uint32_t>& ids, std::chrono::milliseconds deadline);

// Runs a command, waits, returns its exit status (-1 if it did not exit normally).
int RunCommand(const std::vector<std::string>& argv, std::string* output = nullptr);

}  // namespace hostprobe::testing
