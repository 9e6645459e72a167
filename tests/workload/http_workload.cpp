// HTTP/1.1 and plain TCP traffic over loopback with known outcomes, so the
// kernel matrix (tests/kmatrix/check.sh) can check the sensor's HTTP request
// counts where only busybox and the build's own binaries exist.
//
//   http_workload [--cgroup DIR] http --ok N --missing N --fail N
//   http_workload [--cgroup DIR] others N
//   http_workload [--cgroup DIR] leave-open N
//
// --cgroup DIR  move this process into the cgroup v2 directory DIR first (the
//               processes it forks follow)
// http          a server process (forked; HTTP/1.1 on 127.0.0.1, a port the
//               kernel picks, read() for requests and one writev() per
//               response) answers GET /ok 200, /missing 404, /fail 500; this
//               process is its client (send() and recv()): N of each, first
//               each request on a connection of its own ("Connection: close",
//               the server closes), then all of them on one keep-alive
//               connection. So the server answers 2N of each status, the
//               client reads as many. Prints "port=P requests=R" and exits 0
//               when every answer had the status asked for
// others        traffic that is not HTTP over TCP: N round trips of non-HTTP
//               bytes with a TCP echo server (forked), then N HTTP/1.1
//               exchanges on one connection to the same kind of server over a
//               Unix socket (no TCP). Exits 0 when every byte came back
// leave-open N  N TCP connections to itself over loopback (connect, then
//               accept: N client and N server ends), then exits (exit_group
//               from the main thread while a second thread waits) with all 2N
//               fds open: nothing closes them but the kernel's exit
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

void Die(const char* what) {
  std::fprintf(stderr, "http_workload: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

bool JoinCgroup(const std::string& dir) {
  std::ofstream procs(dir + "/cgroup.procs");
  procs << getpid() << std::flush;
  if (!procs) {
    std::fprintf(stderr, "http_workload: cannot join cgroup %s\n", dir.c_str());
    return false;
  }
  return true;
}

// A TCP socket listening on 127.0.0.1 at a port the kernel picks.
int ListenTcp(uint16_t* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Die("socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) Die("bind");
  if (listen(fd, 128) != 0) Die("listen");
  socklen_t len = sizeof(a);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) Die("getsockname");
  *port = ntohs(a.sin_port);
  return fd;
}

int ConnectTcp(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Die("socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) Die("connect");
  return fd;
}

// An abstract Unix socket address of this process.
sockaddr_un UnixAddress(socklen_t* len) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  int n = std::snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "hostprobe-http-workload-%d", getpid());
  *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + n);
  return a;
}

bool WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Reads one request (up to its blank line; requests here have no body) into
// `req`. False at the end of the connection.
bool ReadRequest(int fd, std::string* req) {
  req->clear();
  char buf[1024];
  while (req->find("\r\n\r\n") == std::string::npos) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    req->append(buf, static_cast<size_t>(n));
  }
  return true;
}

// Answers requests on `fd` until the client closes or asks to close. Each
// response goes out in one writev: status line and headers, then the body.
// Returns how many it answered.
long ServeConnection(int fd) {
  static const char kBody[] = "hello\n";
  long answered = 0;
  std::string req;
  while (ReadRequest(fd, &req)) {
    int status = 404;
    const char* reason = "Not Found";
    if (req.rfind("GET /ok ", 0) == 0) {
      status = 200;
      reason = "OK";
    } else if (req.rfind("GET /fail ", 0) == 0) {
      status = 500;
      reason = "Internal Server Error";
    }
    const bool close_after = req.find("Connection: close\r\n") != std::string::npos;
    char head[256];
    int n = std::snprintf(head, sizeof(head),
                          "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\nContent-Type: text/plain\r\n%s\r\n",
                          status, reason, sizeof(kBody) - 1, close_after ? "Connection: close\r\n" : "");
    iovec iov[2] = {{head, static_cast<size_t>(n)}, {const_cast<char*>(kBody), sizeof(kBody) - 1}};
    if (writev(fd, iov, 2) != static_cast<ssize_t>(n + sizeof(kBody) - 1)) break;
    ++answered;
    if (close_after) break;
  }
  return answered;
}

// Forks a server that accepts connections on `lfd` and answers HTTP on each
// until `total` requests are answered, then exits 0.
pid_t ForkHttpServer(int lfd, long total) {
  pid_t pid = fork();
  if (pid < 0) Die("fork");
  if (pid > 0) return pid;
  long answered = 0;
  while (answered < total) {
    int c = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0 && errno == EINTR) continue;
    if (c < 0) _exit(3);
    answered += ServeConnection(c);
    close(c);
  }
  _exit(0);
}

// Sends one GET with send() and reads the answer with recv(); its status, or
// -1 on a broken exchange.
int Get(int fd, const char* path, bool close_after) {
  char req[256];
  int n = std::snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n", path,
                        close_after ? "Connection: close\r\n" : "");
  if (send(fd, req, static_cast<size_t>(n), 0) != n) return -1;
  std::string resp;
  char buf[1024];
  size_t head_end;
  while ((head_end = resp.find("\r\n\r\n")) == std::string::npos) {
    ssize_t r = recv(fd, buf, sizeof(buf), 0);
    if (r <= 0) return -1;
    resp.append(buf, static_cast<size_t>(r));
  }
  size_t at = resp.find("Content-Length: ");
  if (at == std::string::npos) return -1;
  size_t want = head_end + 4 + std::strtoul(resp.c_str() + at + 16, nullptr, 10);
  while (resp.size() < want) {
    ssize_t r = recv(fd, buf, sizeof(buf), 0);
    if (r <= 0) return -1;
    resp.append(buf, static_cast<size_t>(r));
  }
  int status = 0;
  if (std::sscanf(resp.c_str(), "HTTP/1.1 %d ", &status) != 1) return -1;
  return status;
}

int Http(long ok, long missing, long fail) {
  const struct {
    const char* path;
    long n;
    int status;
  } kinds[] = {{"/ok", ok, 200}, {"/missing", missing, 404}, {"/fail", fail, 500}};
  const long total = ok + missing + fail;
  uint16_t port = 0;
  int lfd = ListenTcp(&port);
  pid_t server = ForkHttpServer(lfd, 2 * total);
  close(lfd);
  long wrong = 0;
  // One connection per request.
  for (const auto& k : kinds)
    for (long i = 0; i < k.n; ++i) {
      int fd = ConnectTcp(port);
      if (Get(fd, k.path, true) != k.status) ++wrong;
      close(fd);
    }
  // All of them on one keep-alive connection.
  int fd = ConnectTcp(port);
  for (const auto& k : kinds)
    for (long i = 0; i < k.n; ++i)
      if (Get(fd, k.path, false) != k.status) ++wrong;
  close(fd);
  int st = 0;
  if (waitpid(server, &st, 0) != server || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    std::fprintf(stderr, "http_workload: the server did not answer every request (status %d)\n", st);
    return 1;
  }
  std::printf("port=%u requests=%ld\n", port, 2 * total);
  if (wrong != 0) {
    std::fprintf(stderr, "http_workload: %ld answers had the wrong status\n", wrong);
    return 1;
  }
  return 0;
}

int Others(long n) {
  // TCP echo: "ping i" out, the same bytes back.
  uint16_t port = 0;
  int lfd = ListenTcp(&port);
  pid_t echo = fork();
  if (echo < 0) Die("fork");
  if (echo == 0) {
    int c = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    char buf[256];
    ssize_t r;
    while ((r = read(c, buf, sizeof(buf))) > 0)
      if (!WriteAll(c, buf, static_cast<size_t>(r))) _exit(3);
    _exit(0);
  }
  close(lfd);
  int fd = ConnectTcp(port);
  long bad = 0;
  for (long i = 0; i < n; ++i) {
    char msg[32], back[32];
    int len = std::snprintf(msg, sizeof(msg), "ping %ld\n", i);
    if (!WriteAll(fd, msg, static_cast<size_t>(len))) ++bad;
    ssize_t got = 0;
    while (got < len) {
      ssize_t r = read(fd, back + got, static_cast<size_t>(len - got));
      if (r <= 0) break;
      got += r;
    }
    if (got != len || std::memcmp(msg, back, static_cast<size_t>(len)) != 0) ++bad;
  }
  close(fd);
  int st = 0;
  waitpid(echo, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) ++bad;

  // HTTP over a Unix socket.
  socklen_t alen = 0;
  sockaddr_un a = UnixAddress(&alen);
  int ufd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (ufd < 0) Die("socket");
  if (bind(ufd, reinterpret_cast<sockaddr*>(&a), alen) != 0) Die("bind unix");
  if (listen(ufd, 16) != 0) Die("listen unix");
  pid_t server = ForkHttpServer(ufd, n);
  close(ufd);
  int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c < 0) Die("socket");
  if (connect(c, reinterpret_cast<sockaddr*>(&a), alen) != 0) Die("connect unix");
  for (long i = 0; i < n; ++i)
    if (Get(c, "/ok", false) != 200) ++bad;
  close(c);
  waitpid(server, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) ++bad;
  if (bad != 0) {
    std::fprintf(stderr, "http_workload: %ld exchanges failed\n", bad);
    return 1;
  }
  return 0;
}

[[noreturn]] void LeaveOpen(long n) {
  uint16_t port = 0;
  int lfd = ListenTcp(&port);
  for (long i = 0; i < n; ++i) {
    ConnectTcp(port);  // completes against the backlog before the accept
    if (accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC) < 0) Die("accept");
  }
  // A second thread still running when the process exits: the connections
  // go with the group's last thread, whichever that is.
  int hold[2];
  if (pipe(hold) != 0) Die("pipe");
  std::thread([fd = hold[0]] {
    char b;
    (void)!read(fd, &b, 1);
  }).detach();
  std::fflush(stdout);
  _exit(0);
}

void Usage() {
  std::fprintf(stderr,
               "usage: http_workload [--cgroup DIR] http --ok N --missing N --fail N\n"
               "       http_workload [--cgroup DIR] others N\n"
               "       http_workload [--cgroup DIR] leave-open N\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  size_t i = 0;
  if (i + 1 < args.size() && args[i] == "--cgroup") {
    if (!JoinCgroup(args[i + 1])) return 1;
    i += 2;
  }
  if (i >= args.size()) {
    Usage();
    return 2;
  }
  const std::string mode = args[i++];
  // A peer that goes away must not kill the writer.
  signal(SIGPIPE, SIG_IGN);
  if (mode == "http") {
    long ok = -1, missing = -1, fail = -1;
    for (; i + 1 < args.size(); i += 2) {
      long v = std::strtol(args[i + 1].c_str(), nullptr, 10);
      if (args[i] == "--ok")
        ok = v;
      else if (args[i] == "--missing")
        missing = v;
      else if (args[i] == "--fail")
        fail = v;
      else
        break;
    }
    if (i != args.size() || ok < 0 || missing < 0 || fail < 0) {
      Usage();
      return 2;
    }
    return Http(ok, missing, fail);
  }
  if ((mode == "others" || mode == "leave-open") && i + 1 == args.size()) {
    long n = std::strtol(args[i].c_str(), nullptr, 10);
    if (n <= 0) {
      Usage();
      return 2;
    }
    if (mode == "others") return Others(n);
    LeaveOpen(n);
  }
  Usage();
  return 2;
}
