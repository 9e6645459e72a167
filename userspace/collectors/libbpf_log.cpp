#include "libbpf_log.h"

#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <string>

namespace hostprobe {
namespace {

std::mutex g_mu;
std::string g_last_warning;

int PrintToSpdlog(enum libbpf_print_level level, const char* format, va_list args) {
  // libbpf passes a refused program's whole verifier log in one call, and the
  // reason is at its end: size the buffer to the message, never cut it.
  va_list again;
  va_copy(again, args);
  int n = vsnprintf(nullptr, 0, format, args);
  if (n <= 0) {
    va_end(again);
    return n;
  }
  std::string line(static_cast<size_t>(n) + 1, '\0');
  vsnprintf(line.data(), line.size(), format, again);
  va_end(again);
  line.resize(static_cast<size_t>(n));
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
