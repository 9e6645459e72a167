// HTTP/1.x requests derived from syscalls: a Python HTTP/1.1 server in a
// kubelet-shaped pod cgroup answers a known mix through `ab` (keep-alive and
// not); the server series carry the pod's labels and exact counts, the 50 ms
// handler's median from the histogram is about 50 ms, and ab's side is
// counted as a client. A TCP echo speaking no HTTP and an HTTP service on a
// Unix socket produce no HTTP series. Needs root, python3 and ab; skipped with
// a message otherwise. A process that exits with tracked connections open
// leaves none of them in the sensor's connection map (root only).
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

namespace hostprobe::testing {
namespace {

const std::string kUid = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9";
const std::string kApp = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
const std::string kOther = "b1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

// Makes every directory of `path` under the cgroup v2 root.
void MakeCgroup(const std::string& root, const std::string& path) {
  for (size_t pos = 1; pos != std::string::npos; pos = path.find('/', pos + 1))
    mkdir((root + path.substr(0, path.find('/', pos + 1))).c_str(), 0755);
}

void RemoveCgroup(const std::string& root, const std::string& path) {
  for (std::string p = path; p.size() > 1; p = p.substr(0, p.rfind('/'))) rmdir((root + p).c_str());
}

// Forks, moves the child into cgroup `dir`, execs `argv`.
pid_t SpawnIn(const std::string& dir, const std::vector<std::string>& argv) {
  pid_t pid = fork();
  if (pid == 0) {
    std::ofstream(dir + "/cgroup.procs") << getpid() << std::flush;
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

// A Python HTTP server in a cgroup; its port once it listens.
class PyServer {
 public:
  explicit PyServer(const std::string& cgroup_dir) {
    char tmpl[] = "/tmp/hostprobe-httpport-XXXXXX";
    close(mkstemp(tmpl));
    port_file_ = tmpl;
    unlink(port_file_.c_str());
    pid_ = SpawnIn(cgroup_dir, {"python3", HTTP_SERVICES, "serve", port_file_});
    for (int i = 0; i < 100 && port_ == 0; ++i) {
      std::ifstream in(port_file_);
      in >> port_;
      if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~PyServer() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    unlink(port_file_.c_str());
  }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string port_file_;
};

// Sum of the series of `metric` whose labels contain every one of `parts`.
double Sum(const Exposition& e, const std::string& metric, const std::vector<std::string>& parts) {
  double sum = 0;
  for (const auto& [series, value] : e) {
    if (series.rfind(metric + "{", 0) != 0) continue;
    bool all = true;
    for (const auto& p : parts) all = all && series.find(p) != std::string::npos;
    if (all) sum += value;
  }
  return sum;
}

// Median of a cumulative histogram, interpolated within its bucket as
// Prometheus' histogram_quantile does.
double Median(const Exposition& e, const std::string& metric, const std::vector<std::string>& parts) {
  std::map<double, double> buckets;  // le -> cumulative count
  for (const auto& [series, value] : e) {
    if (series.rfind(metric + "_bucket{", 0) != 0) continue;
    bool all = true;
    for (const auto& p : parts) all = all && series.find(p) != std::string::npos;
    if (!all) continue;
    size_t at = series.find("le=\"");
    std::string le = series.substr(at + 4, series.find('"', at + 4) - at - 4);
    buckets[le == "+Inf" ? INFINITY : std::stod(le)] += value;
  }
  if (buckets.empty()) return NAN;
  const double rank = buckets.rbegin()->second / 2;
  double lower = 0, below = 0;
  for (const auto& [le, count] : buckets) {
    if (count >= rank) {
      if (std::isinf(le)) return lower;
      return lower + (le - lower) * (rank - below) / (count - below);
    }
    lower = le;
    below = count;
  }
  return NAN;
}

int Ab(bool keep_alive, int n, int port, const std::string& path) {
  std::vector<std::string> argv = {"ab", "-q", "-n", std::to_string(n), "-c", "4"};
  if (keep_alive) argv.push_back("-k");
  argv.push_back("http://127.0.0.1:" + std::to_string(port) + path);
  std::string out;
  int rc = RunCommand(argv, &out);
  if (rc != 0) ADD_FAILURE() << out;
  return rc;
}

TEST(HttpTest, ServerAndClientRequestsFromSyscalls) {
  if (geteuid() != 0) GTEST_SKIP() << "integration tests load eBPF programs: run them as root";
  if (RunCommand({"sh", "-c", "command -v python3 && command -v ab"}) != 0)
    GTEST_SKIP() << "python3 or ab (apache2-utils) not installed";
  SensorProcess sensor(HOSTPROBE_BIN, {});
  ASSERT_TRUE(sensor.Start());
  ASSERT_TRUE(sensor.WaitHealthy()) << sensor.Log();
  if (Value(ParseExposition(sensor.Scrape()), "hostprobe_http_tracker_available") != 1)
    GTEST_SKIP() << "HTTP needs the tp_btf hooks on x86_64";

  const std::string root = Cgroup2Root();
  ASSERT_FALSE(root.empty());
  const std::string base = "/hphttp-" + std::to_string(getpid()) + "-kubepods/besteffort";
  const std::string app = base + "/pod" + kUid + "/" + kApp;
  const std::string other = base + "/pod" + kUid + "/" + kOther;
  MakeCgroup(root, app);
  MakeCgroup(root, other);
  {
    PyServer server(root + app);
    PyServer slow(root + app);
    ASSERT_GT(server.port(), 0);
    ASSERT_GT(slow.port(), 0);
    const int kOk = 400, kMissing = 200, kFail = 100, kSlow = 40;
    for (bool keep_alive : {false, true}) {
      ASSERT_EQ(Ab(keep_alive, kOk, server.port(), "/ok"), 0);
      ASSERT_EQ(Ab(keep_alive, kMissing, server.port(), "/missing"), 0);
      ASSERT_EQ(Ab(keep_alive, kFail, server.port(), "/fail"), 0);
    }
    ASSERT_EQ(Ab(true, kSlow, slow.port(), "/slow"), 0);
    std::string out;
    ASSERT_EQ(RunCommand(
                  {"sh", "-c",
                   "echo $$ > " + root + other + "/cgroup.procs && exec python3 " HTTP_SERVICES " others 50"},
                  &out),
              0)
        << out;

    const std::string labels =
        "cgroup=\"" + app + "\",pod_uid=\"" + kUid + "\",container_id=\"" + kApp + "\"";
    const std::string port = "port=\"" + std::to_string(server.port()) + "\"";
    const std::string requests = "hostprobe_http_server_requests_total";
    Exposition e;
    for (int i = 0; i < 10; ++i) {
      if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
      e = ParseExposition(sensor.Scrape());
      if (Sum(e, requests, {labels, port, "5xx"}) >= 2 * kFail) break;
    }
    auto near = [](double got, double want) { return std::abs(got - want) <= want * 0.005; };
    const double ok = Sum(e, requests, {labels, port, "status_class=\"2xx\""});
    const double missing = Sum(e, requests, {labels, port, "status_class=\"4xx\""});
    const double fail = Sum(e, requests, {labels, port, "status_class=\"5xx\""});
    EXPECT_TRUE(near(ok, 2 * kOk)) << ok;
    EXPECT_TRUE(near(missing, 2 * kMissing)) << missing;
    EXPECT_TRUE(near(fail, 2 * kFail)) << fail;
    EXPECT_EQ(Sum(e, requests, {labels, port, "status_class=\"other\""}), 0);

    const std::string slow_port = "port=\"" + std::to_string(slow.port()) + "\"";
    EXPECT_TRUE(near(Sum(e, requests, {labels, slow_port, "2xx"}), kSlow));
    const double median = Median(e, "hostprobe_http_server_request_duration_seconds", {labels, slow_port});
    EXPECT_GE(median, 0.040);
    EXPECT_LE(median, 0.100);

    const double client = Sum(e, "hostprobe_http_client_requests_total", {"comm=\"ab\""});
    EXPECT_GE(client, 2 * (kOk + kMissing + kFail) + kSlow) << "client side of ab";
    EXPECT_TRUE(near(Sum(e, "hostprobe_http_client_requests_total", {"comm=\"ab\"", "5xx"}), 2 * kFail));

    // Neither the echo nor the Unix-socket service is HTTP over TCP.
    for (const auto& [series, value] : e) {
      if (series.rfind("hostprobe_http_", 0) == 0) {
        EXPECT_EQ(series.find("container_id=\"" + kOther + "\""), std::string::npos) << series;
      }
    }
    if (HasFailure()) ADD_FAILURE() << sensor.Scrape();
  }
  RemoveCgroup(root, app);
  RemoveCgroup(root, other);
}

// A child process holding `n` TCP connections over loopback that the sensor
// tracks (n connected and n accepted ends) and a second thread, until it is
// told to exit (exit_group from its main thread: the kernel closes the fds,
// no close call does) or killed.
class ConnectionHolder {
 public:
  explicit ConnectionHolder(int n) {
    int ready[2], go[2], never[2];
    if (pipe(ready) != 0 || pipe(go) != 0 || pipe(never) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(ready[0]);
      close(go[1]);
      int l = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      socklen_t len = sizeof(a);
      if (bind(l, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(l, 8) != 0 ||
          getsockname(l, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        _exit(2);
      for (int i = 0; i < n; ++i) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(c, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || accept(l, nullptr, nullptr) < 0)
          _exit(3);
      }
      // Blocks for good: this process holds the write end.
      std::thread([fd = never[0]] {
        char b;
        (void)!read(fd, &b, 1);
      }).detach();
      (void)!write(ready[1], "r", 1);
      char b;
      (void)!read(go[0], &b, 1);
      _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    close(never[0]);
    close(never[1]);
    go_ = go[1];
    char b;
    ready_ = pid_ > 0 && read(ready[0], &b, 1) == 1;
    close(ready[0]);
  }
  ~ConnectionHolder() { End(true); }

  pid_t pid() const { return pid_; }
  bool ready() const { return ready_; }

  // Makes it exit (or kills it) and reaps it.
  void End(bool kill_it) {
    if (pid_ <= 0) return;
    if (kill_it)
      kill(pid_, SIGKILL);
    else
      (void)!write(go_, "x", 1);
    waitpid(pid_, nullptr, 0);
    close(go_);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int go_ = -1;
  bool ready_ = false;
};

// How many of process `tgid`'s fds below 1024 have an entry in the
// connection map (key: tgid, fd).
int TrackedFds(int map_fd, pid_t tgid) {
  struct {
    uint32_t tgid;
    uint32_t fd;
  } key{static_cast<uint32_t>(tgid), 0};
  std::vector<unsigned char> value(64);
  int n = 0;
  for (key.fd = 0; key.fd < 1024; ++key.fd)
    if (bpf_map_lookup_elem(map_fd, &key, value.data()) == 0) ++n;
  return n;
}

TEST(HttpTest, ConnectionsLeftOpenGoWithTheirProcess) {
  if (geteuid() != 0) GTEST_SKIP() << "integration tests load eBPF programs: run them as root";
  SensorProcess sensor(HOSTPROBE_BIN, {});
  ASSERT_TRUE(sensor.Start());
  ASSERT_TRUE(sensor.WaitHealthy()) << sensor.Log();
  if (Value(ParseExposition(sensor.Scrape()), "hostprobe_http_tracker_available") != 1)
    GTEST_SKIP() << "HTTP needs the tp_btf hooks on x86_64";
  // This sensor's own map: another sensor on the host has one of that name too.
  const int conns = OpenBpfMapOf(sensor.pid(), "http_conns");
  ASSERT_GE(conns, 0) << "no map http_conns among the sensor's";
  const std::string exited = "hostprobe_http_tracker_connections_total{event=\"exited\"}";
  const int kConns = 16;
  for (bool killed : {false, true}) {
    SCOPED_TRACE(killed ? "killed by SIGKILL" : "exit_group with a second thread running");
    const double before = Value(ParseExposition(sensor.Scrape()), exited);
    ConnectionHolder holder(kConns);
    ASSERT_TRUE(holder.ready());
    const pid_t pid = holder.pid();
    // Tracked while the process lives: the map is the one, the keys are right.
    EXPECT_EQ(TrackedFds(conns, pid), 2 * kConns);
    holder.End(killed);
    EXPECT_EQ(TrackedFds(conns, pid), 0) << "entries of exited process " << pid << " left behind";
    // Others' exits may add to the counter on a busy host, never take from it.
    EXPECT_GE(Value(ParseExposition(sensor.Scrape()), exited) - before, 2 * kConns);
  }
  close(conns);
}

}  // namespace
}  // namespace hostprobe::testing
