// Serving /metrics with civetweb (the sensor's HttpServer, third_party/civetweb)
// against Debian 12's cpp-httplib (0.11, linked against OpenSSL 3), on the
// same exposition: threads and RSS at idle, scrape latency, and both again
// with N idle connections open (connected, nothing sent: a scanner, or a
// client that stalls). Each server runs in a child process of its own.
// Measures, never asserts.
//
//   build/http_library_compare [--series N] [--idle N] [--scrapes N]
//
// Servers: civetweb as the sensor configures it (workers started as
// connections need them, up to 80); cpp-httplib with its default pool
// (max(8, cores - 1) threads); cpp-httplib given a pool of 80 threads, the
// same ceiling as civetweb's.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "exporters/prometheus/family_builder.h"
#include "exporters/prometheus/http_server.h"
#include "exporters/prometheus/text_format.h"

namespace {

using namespace hostprobe;
using Clock = std::chrono::steady_clock;

// About the sensor's shape: counters with a few labels and histograms.
class FakeFamilies : public prometheus::Collectable {
 public:
  explicit FakeFamilies(int series) : series_(series) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> out;
    const int per_family = 25;
    for (int f = 0; f * per_family < series_; ++f) {
      const bool histogram = f % 5 == 4;
      auto fam = MakeFamily("bench_family_" + std::to_string(f) + (histogram ? "_seconds" : "_total"),
                            "A family of the benchmark.",
                            histogram ? prometheus::MetricType::Histogram : prometheus::MetricType::Counter);
      for (int s = 0; s < per_family; ++s) {
        prometheus::ClientMetric m;
        m.label = {{"cgroup", "/kubepods.slice/pod" + std::to_string(s)}, {"syscall", "read"}};
        if (histogram) {
          uint64_t c = 0;
          for (int b = 0; b < 14; ++b) m.histogram.bucket.push_back({c += 3, 2.56e-07 * (1 << (2 * b))});
          m.histogram.sample_count = c;
          m.histogram.sample_sum = 0.125 * s;
        } else {
          m.counter.value = 12345.0 * (s + 1);
        }
        fam.metric.push_back(std::move(m));
      }
      out.push_back(std::move(fam));
    }
    return out;
  }

 private:
  int series_;
};

enum class Kind { kCivetweb, kHttplibDefault, kHttplibPool80 };

const char* Name(Kind k) {
  switch (k) {
    case Kind::kCivetweb:
      return "civetweb (grows to 80)";
    case Kind::kHttplibDefault:
      return "cpp-httplib (default pool)";
    case Kind::kHttplibPool80:
      return "cpp-httplib (pool of 80)";
  }
  return "?";
}

[[noreturn]] void Serve(Kind kind, int port, int series, int ready_fd) {
  auto families = std::make_shared<FakeFamilies>(series);
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  if (kind == Kind::kCivetweb) {
    HttpServer::Handlers h;
    h.collectables.emplace_back("bench", families);
    h.health = [] { return HealthReport{true, false, "ok\n"}; };
    auto server = HttpServer::Start(listen, std::move(h));
    if (!server) {
      std::fprintf(stderr, "civetweb: %s\n", server.error().message.c_str());
      _exit(1);
    }
    (void)!write(ready_fd, "r", 1);
    pause();
    _exit(0);
  }
  httplib::Server svr;
  if (kind == Kind::kHttplibPool80) svr.new_task_queue = [] { return new httplib::ThreadPool(80); };
  svr.Get("/metrics", [&families](const httplib::Request&, httplib::Response& res) {
    std::string body;
    AppendTextFormat(body, families->Collect());
    res.set_content(std::move(body), "text/plain; version=0.0.4; charset=utf-8");
  });
  if (!svr.bind_to_port("127.0.0.1", port)) {
    std::fprintf(stderr, "cpp-httplib: cannot bind %s\n", listen.c_str());
    _exit(1);
  }
  (void)!write(ready_fd, "r", 1);
  svr.listen_after_bind();
  _exit(0);
}

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  return fd;
}

// Seconds for one GET /metrics on a new connection (answer read whole);
// negative when it failed or took longer than 20 s.
double Scrape(int port) {
  const auto start = Clock::now();
  int fd = Connect(port);
  if (fd < 0) return -1;
  const char req[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (write(fd, req, sizeof(req) - 1) != static_cast<ssize_t>(sizeof(req) - 1)) {
    close(fd);
    return -1;
  }
  char buf[65536];
  size_t total = 0;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 20000) <= 0) {
      close(fd);
      return -1;
    }
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      close(fd);
      return -1;
    }
    if (n == 0) break;
    total += static_cast<size_t>(n);
  }
  close(fd);
  return total > 0 ? std::chrono::duration<double>(Clock::now() - start).count() : -1;
}

long StatusField(pid_t pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field));
  return -1;
}

struct Latency {
  double p50_ms = -1, max_ms = -1;
  int failed = 0;
};

Latency Measure(int port, int scrapes) {
  std::vector<double> v;
  Latency l;
  for (int i = 0; i < scrapes; ++i) {
    double s = Scrape(port);
    if (s < 0)
      ++l.failed;
    else
      v.push_back(s * 1000);
  }
  if (!v.empty()) {
    std::sort(v.begin(), v.end());
    l.p50_ms = v[v.size() / 2];
    l.max_ms = v.back();
  }
  return l;
}

}  // namespace

int main(int argc, char** argv) {
  int series = 1500, idle = 64, scrapes = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (a == "--series")
      series = v;
    else if (a == "--idle")
      idle = v;
    else if (a == "--scrapes")
      scrapes = v;
    else {
      std::fprintf(stderr, "usage: %s [--series N] [--idle N] [--scrapes N]\n", argv[0]);
      return 2;
    }
  }
  if (argc % 2 == 0) {
    std::fprintf(stderr, "usage: %s [--series N] [--idle N] [--scrapes N]\n", argv[0]);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  std::printf("%d series, %d scrapes per measurement, %d idle connections\n", series, scrapes, idle);
  std::printf("%-28s %8s %8s %9s %9s | %8s %8s %9s %9s %7s\n", "server", "threads", "RSS MiB", "p50 ms",
              "max ms", "threads", "RSS MiB", "p50 ms", "max ms", "failed");
  std::printf("%-28s %36s | %s\n", "", "after scrapes, no idle connections",
              "with the idle connections open");
  int port = 19860;
  for (Kind kind : {Kind::kCivetweb, Kind::kHttplibDefault, Kind::kHttplibPool80}) {
    ++port;
    int ready[2];
    if (pipe(ready) != 0) return 1;
    pid_t child = fork();
    if (child == 0) {
      close(ready[0]);
      Serve(kind, port, series, ready[1]);
    }
    close(ready[1]);
    char c;
    if (read(ready[0], &c, 1) != 1) {
      std::fprintf(stderr, "%s did not start\n", Name(kind));
      return 1;
    }
    close(ready[0]);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const Latency quiet = Measure(port, scrapes);
    const long threads0 = StatusField(child, "Threads:"), rss0 = StatusField(child, "VmRSS:");
    std::vector<int> held;
    for (int i = 0; i < idle; ++i)
      if (int fd = Connect(port); fd >= 0) held.push_back(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const Latency busy = Measure(port, scrapes);
    const long threads1 = StatusField(child, "Threads:"), rss1 = StatusField(child, "VmRSS:");
    for (int fd : held) close(fd);
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    std::printf("%-28s %8ld %8.1f %9.2f %9.2f | %8ld %8.1f %9.2f %9.2f %7d\n", Name(kind), threads0,
                rss0 / 1024.0, quiet.p50_ms, quiet.max_ms, threads1, rss1 / 1024.0, busy.p50_ms, busy.max_ms,
                busy.failed + quiet.failed);
  }
  return 0;
}
