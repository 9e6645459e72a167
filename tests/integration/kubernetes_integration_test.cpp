// --kubernetes against a fake API server on loopback: the pods it lists and
// then streams through a watch are exported as info series that name the
// pod_uid and container_id of work done in a kubelet-shaped cgroup. Needs root; skipped with a message
// otherwise.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "core/cgroup.h"
#include "test_support.h"

namespace hostprobe::testing {
namespace {

const std::string kUid = "0a1b2c3d-4e5f-6789-abcd-ef0123456789";
const std::string kApp = "3f1c9a7be2d04c5f8a6b1e2d3c4b5a69788f7e6d5c4b3a29180f1e2d3c4b5a6f";

class FakeApiServer {
 public:
  FakeApiServer(const std::string& token, const std::string& node) {
    char tmpl[] = "/tmp/hostprobe-apiport-XXXXXX";
    int fd = mkstemp(tmpl);
    close(fd);
    port_file_ = tmpl;
    unlink(port_file_.c_str());
    events_ = port_file_ + ".events";
    log_ = port_file_ + ".log";
    pid_ = fork();
    if (pid_ == 0) {
      execlp("python3", "python3", FAKE_APISERVER, port_file_.c_str(), PODLIST_JSON, token.c_str(),
             node.c_str(), events_.c_str(), log_.c_str(), nullptr);
      _exit(127);
    }
    for (int i = 0; i < 100 && port_ == 0; ++i) {
      std::ifstream in(port_file_);
      in >> port_;
      if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~FakeApiServer() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    unlink(port_file_.c_str());
    unlink(events_.c_str());
    unlink(log_.c_str());
  }
  int port() const { return port_; }
  // Streams one watch event to every open watch.
  void Send(const std::string& event_json) {
    std::ofstream out(events_, std::ios::app);
    out << event_json << "\n";
  }
  // The requests served so far, "LIST <rv>" / "WATCH <rv>".
  std::vector<std::string> Requests() const {
    std::vector<std::string> out;
    std::ifstream in(log_);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string port_file_, events_, log_;
};

TEST(KubernetesTest, NamesPodAndContainerFromTheApiServer) {
  if (geteuid() != 0) GTEST_SKIP() << "integration tests load eBPF programs: run them as root";
  if (RunCommand({"sh", "-c", "command -v python3"}) != 0) GTEST_SKIP() << "python3 not installed";
  FakeApiServer api("test-token", "test-node");
  ASSERT_GT(api.port(), 0) << "fake API server did not start";
  char token_path[] = "/tmp/hostprobe-token-XXXXXX";
  int fd = mkstemp(token_path);
  ASSERT_EQ(write(fd, "test-token\n", 11), 11);
  close(fd);

  SensorProcess sensor(HOSTPROBE_BIN,
                       {"--kubernetes", "--kubernetes-api", "http://127.0.0.1:" + std::to_string(api.port()),
                        "--node-name", "test-node", "--kubernetes-token-file", token_path});
  ASSERT_TRUE(sensor.Start());
  ASSERT_TRUE(sensor.WaitHealthy()) << sensor.Log();

  std::string root = Cgroup2Root();
  ASSERT_FALSE(root.empty());
  const std::string path =
      "/hpk8s-" + std::to_string(getpid()) + "-kubepods/burstable/pod" + kUid + "/" + kApp;
  for (size_t pos = 1; pos != std::string::npos; pos = path.find('/', pos + 1))
    mkdir((root + path.substr(0, path.find('/', pos + 1))).c_str(), 0755);
  std::string out;
  ASSERT_EQ(RunCommand({WORKLOAD_BIN, "--cgroup", root + path, "--getppid", "500"}, &out), 0) << out;

  // The per-cgroup series carry the ids only: names never change their labels.
  const std::string series = "hostprobe_cgroup_syscalls_total{cgroup=\"" + path + "\",pod_uid=\"" + kUid +
                             "\",container_id=\"" + kApp + "\"}";
  const std::string pod_info =
      "hostprobe_pod_info{pod_uid=\"" + kUid + "\",pod_namespace=\"shop\",pod_name=\"cart-7d9f8c6b5-x2k4p\"}";
  const std::string container_info = "hostprobe_container_info{container_id=\"" + kApp + "\",pod_uid=\"" +
                                     kUid + "\",container_name=\"app\"}";
  Exposition e;
  for (int i = 0; i < 5 && Value(e, series) == 0; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(600));
    e = ParseExposition(sensor.Scrape());
  }
  for (std::string p = path; p.size() > 1; p = p.substr(0, p.rfind('/'))) rmdir((root + p).c_str());
  EXPECT_GE(Value(e, series), 500) << series << "\n" << sensor.Log();
  EXPECT_EQ(Value(e, pod_info), 1) << sensor.Scrape();
  EXPECT_EQ(Value(e, container_info), 1);

  // A pod that starts later arrives through the watch, within a second or
  // so, without another list; one that is deleted goes the same way.
  const std::string uid2 = "22222222-3333-4444-5555-666666666666";
  const std::string new_info =
      "hostprobe_pod_info{pod_uid=\"" + uid2 + "\",pod_namespace=\"shop\",pod_name=\"late-pod\"}";
  auto event = [&](const std::string& type) {
    return R"({"type":")" + type + R"(","object":{"kind":"Pod","metadata":{"uid":")" + uid2 +
           R"(","name":"late-pod","namespace":"shop","resourceVersion":"2001"}}})";
  };
  api.Send(event("ADDED"));
  for (int i = 0; i < 30 && Value(e, new_info) != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    e = ParseExposition(sensor.Scrape());
  }
  EXPECT_EQ(Value(e, new_info), 1) << "the watch did not deliver the new pod";
  api.Send(event("DELETED"));
  for (int i = 0; i < 30 && e.count(new_info) != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    e = ParseExposition(sensor.Scrape());
  }
  EXPECT_EQ(e.count(new_info), 0u) << "the watch did not delete the pod";
  EXPECT_EQ(Value(e, pod_info), 1) << "the other pods stay";
  unlink(token_path);

  // One list, from the API server's cache (resourceVersion=0), then watches
  // from the list's version (the fixture's "123456").
  auto requests = api.Requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests.front(), "LIST 0");
  EXPECT_EQ(std::count_if(requests.begin(), requests.end(),
                          [](const std::string& r) { return r.rfind("LIST", 0) == 0; }),
            1)
      << "listed again while the watch was fine";
  ASSERT_GE(requests.size(), 2u);
  EXPECT_EQ(requests[1], "WATCH 123456");
  auto health = HttpRequest(sensor.port(), "GET", "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200) << health->body;
  EXPECT_EQ(health->body.find("kubernetes"), std::string::npos) << health->body;
}

TEST(KubernetesTest, AHangingApiServerNeverBlocksAScrape) {
  if (geteuid() != 0) GTEST_SKIP() << "integration tests load eBPF programs: run them as root";
  // A socket that listens but never answers: connections complete, requests hang.
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(lfd, 16), 0);
  socklen_t len = sizeof(addr);
  getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  SensorProcess sensor(
      HOSTPROBE_BIN,
      {"--kubernetes", "--kubernetes-api", "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)),
       "--node-name", "test-node", "--kubernetes-token-file", "/nonexistent"});
  ASSERT_TRUE(sensor.Start());
  // Wait for /metrics (the kubernetes collector never lists).
  std::optional<HttpResponse> r;
  for (int i = 0; i < 100 && !(r && r->status == 200); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    r = HttpRequest(sensor.port(), "GET", "/metrics");
  }
  ASSERT_TRUE(r && r->status == 200) << sensor.Log();
  // Pod names are optional: the sensor is ready, degraded, and says why.
  auto health = HttpRequest(sensor.port(), "GET", "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200) << health->body;
  EXPECT_EQ(health->body.rfind("degraded\n", 0), 0u) << health->body;
  EXPECT_NE(health->body.find("kubernetes: "), std::string::npos) << health->body;
  auto e = ParseExposition(r->body);
  EXPECT_EQ(Value(e, "hostprobe_collector_up{collector=\"kubernetes\"}"), 0);
  EXPECT_EQ(Value(e, "hostprobe_collector_degraded{collector=\"kubernetes\"}"), 1);
  for (int i = 0; i < 5; ++i) {
    auto start = std::chrono::steady_clock::now();
    r = HttpRequest(sensor.port(), "GET", "/metrics");
    auto took = std::chrono::steady_clock::now() - start;
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_LT(took, std::chrono::seconds(2)) << "a scrape waited for the API server";
  }
  // Exits promptly even with a request to the API server in flight.
  auto rc = sensor.Stop(SIGTERM, std::chrono::seconds(2));
  EXPECT_TRUE(rc.has_value() && *rc == 0);
  close(lfd);
}

TEST(KubernetesTest, MissingNodeNameIsAStartupError) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to get past the privilege check";
  std::string out;
  int rc = RunCommand(
      {"env", "-u", "NODE_NAME", HOSTPROBE_BIN, "--listen", "127.0.0.1:" + std::to_string(FreePort()),
       "--kubernetes", "--kubernetes-api", "http://127.0.0.1:1"},
      &out);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("--node-name"), std::string::npos) << out;
}

}  // namespace
}  // namespace hostprobe::testing
