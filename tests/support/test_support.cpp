#include "test_support.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/cgroup.h"

namespace hostprobe::testing {

std::optional<HttpResponse> HttpRequest(uint16_t port, const std::string& method, const std::string& path,
                                        const std::vector<std::string>& extra_headers) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return std::nullopt;
  }
  std::string req = method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n";
  for (const auto& h : extra_headers) req += h + "\r\n";
  req += "\r\n";
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    close(fd);
    return std::nullopt;
  }
  std::string raw;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) raw.append(buf, static_cast<size_t>(n));
  close(fd);
  size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return std::nullopt;
  HttpResponse resp;
  std::istringstream head(raw.substr(0, end));
  std::string line;
  std::getline(head, line);
  if (line.size() < 12) return std::nullopt;
  resp.status = std::atoi(line.c_str() + 9);
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    resp.headers[name] = value;
  }
  resp.body = raw.substr(end + 4);
  return resp;
}

uint16_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

Exposition ParseExposition(const std::string& text) {
  Exposition out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.rfind(' ');
    if (sp == std::string::npos) continue;
    out[line.substr(0, sp)] = std::strtod(line.c_str() + sp + 1, nullptr);
  }
  return out;
}

double Value(const Exposition& e, const std::string& series) {
  auto it = e.find(series);
  return it == e.end() ? 0 : it->second;
}

SensorProcess::SensorProcess(std::string binary, std::vector<std::string> args)
    : binary_(std::move(binary)), args_(std::move(args)) {
  char tmpl[] = "/tmp/hostprobe-sensor-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd >= 0) close(fd);
  log_path_ = tmpl;
}

SensorProcess::~SensorProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  unlink(log_path_.c_str());
}

bool SensorProcess::Start(const std::vector<std::pair<std::string, std::string>>& env) {
  port_ = FreePort();
  std::vector<std::string> argv = {binary_, "--listen", "127.0.0.1:" + std::to_string(port_)};
  // Sensors of concurrent tests must not share (and restore) leak histories:
  // none are kept unless the test asks for a --state-dir.
  bool state_dir = false;
  for (const auto& a : args_) state_dir = state_dir || a.rfind("--state-dir", 0) == 0;
  if (!state_dir) argv.push_back("--state-dir=");
  argv.insert(argv.end(), args_.begin(), args_.end());
  pid_ = fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    int fd = open(log_path_.c_str(), O_WRONLY | O_TRUNC);
    if (fd >= 0) {
      dup2(fd, STDERR_FILENO);
      dup2(fd, STDOUT_FILENO);
    }
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    execv(binary_.c_str(), cargv.data());
    _exit(127);
  }
  return true;
}

bool SensorProcess::WaitHealthy(std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;  // exited
    }
    auto r = HttpRequest(port_, "GET", "/healthz");
    if (r && r->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::optional<int> SensorProcess::Stop(int sig, std::chrono::milliseconds deadline,
                                       std::chrono::milliseconds* took) {
  if (pid_ <= 0) return std::nullopt;
  auto start = std::chrono::steady_clock::now();
  kill(pid_, sig);
  while (std::chrono::steady_clock::now() - start < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      if (took)
        *took =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return std::nullopt;
}

std::string SensorProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string SensorProcess::Scrape() const {
  auto r = HttpRequest(port_, "GET", "/metrics");
  return r && r->status == 200 ? r->body : std::string();
}

namespace {

// The ids after `key` ("prog_id:", "map_id:") in every fdinfo file of `pid`.
std::set<uint32_t> FdinfoIdsOf(pid_t pid, const std::string& key) {
  std::set<uint32_t> ids;
  std::string dir = "/proc/" + std::to_string(pid) + "/fdinfo";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return ids;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(dir + "/" + e->d_name);
    std::string word;
    while (in >> word) {
      if (word == key) {
        uint32_t id = 0;
        if (in >> id) ids.insert(id);
      }
    }
  }
  closedir(d);
  return ids;
}

}  // namespace

std::set<uint32_t> BpfProgramIdsOf(pid_t pid) { return FdinfoIdsOf(pid, "prog_id:"); }

std::set<uint32_t> BpfMapIdsOf(pid_t pid) { return FdinfoIdsOf(pid, "map_id:"); }

int OpenBpfMapOf(pid_t pid, const std::string& name) {
  for (uint32_t id : BpfMapIdsOf(pid)) {
    int fd = bpf_map_get_fd_by_id(id);
    if (fd < 0) continue;
    bpf_map_info info{};
    __u32 len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && name == info.name) return fd;
    close(fd);
  }
  return -1;
}

bool BpfProgramLoaded(uint32_t id) {
  int fd = bpf_prog_get_fd_by_id(id);
  if (fd < 0) return false;
  close(fd);
  return true;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Cgroup2Root() {
  return hostprobe::FindCgroup2Mount(ReadFile("/proc/self/mountinfo")).value_or("");
}

std::set<uint32_t> WaitUnloaded(const std::set<uint32_t>& ids, std::chrono::milliseconds deadline) {
  std::set<uint32_t> left;
  auto until = std::chrono::steady_clock::now() + deadline;
  do {
    left.clear();
    for (uint32_t id : ids) {
      if (BpfProgramLoaded(id)) left.insert(id);
    }
    if (left.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < until);
  return left;
}

int RunCommand(const std::vector<std::string>& argv, std::string* output) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], STDOUT_FILENO);
    dup2(pipefd[1], STDERR_FILENO);
    std::vector<char*> cargv;
    for (auto a : argv) cargv.push_back(strdup(a.c_str()));
    cargv.push_back(nullptr);
    execvp(cargv[0], cargv.data());
    _exit(127);
  }
  close(pipefd[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace hostprobe::testing
