#include "libbpf_log.h"

#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>

namespace hostprobe {
namespace {

std::mutex g_mu;
std::string g_last_warning;

int PrintToSpdlog(enum libbpf_print_level level, const char* format, va_list args) {
  char buf[1024];
  int n = vsnprintf(buf, sizeof(buf), format, args);
  if (n <= 0) return n;
  std::string line(buf);
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
  if (line.empty()) return n;
  switch (level) {
    case LIBBPF_WARN:
      // The verifier log arrives line by line at warn level too; the summary
      // lines libbpf writes itself start with "libbpf:".
      if (line.rfind("libbpf:", 0) == 0) {
        std::lock_guard lock(g_mu);
        g_last_warning = line;
      }
      spdlog::warn("{}", line);
      break;
    case LIBBPF_INFO:
      spdlog::debug("{}", line);
      break;
    case LIBBPF_DEBUG:
      spdlog::trace("{}", line);
      break;
  }
  return n;
}

}  // namespace

void InstallLibbpfLogger() { libbpf_set_print(PrintToSpdlog); }

std::string LastLibbpfWarning() {
  std::lock_guard lock(g_mu);
  return g_last_warning;
}

std::string LibbpfError(int err) {
  char buf[256];
  libbpf_strerror(err, buf, sizeof(buf));
  return buf;
}

Error LibbpfFailure(const std::string& what, int err) {
  std::string reason = LastLibbpfWarning();
  return Error{what + ": " + LibbpfError(err) + (reason.empty() ? "" : " [" + reason + "]"), -err};
}

}  // namespace hostprobe
