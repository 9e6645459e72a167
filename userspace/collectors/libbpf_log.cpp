#include "libbpf_log.h"

#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

#include "collectors/privileges.h"
#include "core/capabilities.h"

namespace hostprobe {
namespace {

// Per thread: libbpf prints from the thread whose call it reports on, and the
// syscall collector's latency windows attach from a thread of their own while
// the main thread starts other collectors.
thread_local std::string t_last_warning;
thread_local std::string t_verifier_reason;  // of the latest refused program, until a failure reports it

// "prog NAME: LAST LINE" from a verifier log libbpf passes whole ("libbpf: prog
// 'NAME': -- BEGIN PROG LOAD LOG --\n...\n-- END PROG LOAD LOG --"). The
// verifier's last words before its "processed N insns" summary say why it
// refused; empty when `message` is no such log.
std::string VerifierReason(const std::string& message) {
  const std::string end_marker = "-- END PROG LOAD LOG --";
  size_t end = message.find(end_marker);
  if (end == std::string::npos) return "";
  std::string prog;
  if (size_t open = message.find("prog '"); open != std::string::npos && open < end) {
    size_t close = message.find('\'', open + 6);
    if (close != std::string::npos) prog = message.substr(open + 6, close - open - 6);
  }
  size_t stop = end;
  while (stop > 0) {
    size_t start = message.rfind('\n', stop - 1);
    start = start == std::string::npos ? 0 : start + 1;
    std::string l = message.substr(start, stop - start);
    while (!l.empty() && (l.back() == '\n' || l.back() == ' ')) l.pop_back();
    if (!l.empty() && l.rfind("processed ", 0) != 0 && l.find("BEGIN PROG LOAD LOG") == std::string::npos)
      return "verifier (" + (prog.empty() ? "?" : prog) + "): " + l;
    if (start == 0) break;
    stop = start - 1;
  }
  return "";
}

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
        std::string reason = VerifierReason(line);
        t_last_warning = line;
        if (!reason.empty()) t_verifier_reason = std::move(reason);
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

void BeginLibbpfOperation() {
  t_last_warning.clear();
  t_verifier_reason.clear();
}

std::string LastLibbpfWarning() { return t_last_warning; }

std::string LibbpfError(int err) {
  char buf[256];
  libbpf_strerror(err, buf, sizeof(buf));
  return buf;
}

std::string PermissionHint(int err) {
  if (err != -EPERM && err != -EACCES) return "";
  // The calling thread's sets: its bpf() was the one refused.
  auto caps = ReadThreadCapabilities();
  if (!caps) return "";
  const uint64_t eff = caps->effective;
  const uint64_t tracing = kBpfTracingCaps;
  if ((eff & CapBit(kCapSysAdmin)) != 0)
    return " (not for lack of a capability: this thread has cap_sys_admin; the kernel refused it for another "
           "reason, such as lockdown, a security module or a seccomp filter)";
  if ((eff & tracing) != tracing)
    return " (this thread lacks " + CapabilityNames(tracing & ~eff) +
           ": grant cap_bpf and cap_perfmon (Linux 5.8+) or cap_sys_admin)";
  return " (this thread has cap_bpf and cap_perfmon but not cap_sys_admin, which listing kernel-module BTF "
         "and some program types need; if root is refused too, the reason is not a capability: lockdown, a "
         "security module, a seccomp filter)";
}

Error LibbpfFailure(const std::string& what, int err) {
  // libbpf's own last line only says the skeleton failed; the verifier's
  // reason is what an operator can act on. Reported once, then dropped.
  std::string reason = LastLibbpfWarning();
  if (!t_verifier_reason.empty()) reason += (reason.empty() ? "" : "; ") + t_verifier_reason;
  BeginLibbpfOperation();
  return Error{
      what + ": " + LibbpfError(err) + PermissionHint(err) + (reason.empty() ? "" : " [" + reason + "]"),
      -err};
}

}  // namespace hostprobe
