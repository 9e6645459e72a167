#include "core/host_info.h"

#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <vector>

namespace hostprobe {
namespace {

constexpr const char* kUnknown = "unknown";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// IANA names are ASCII letters, digits and "/_-+" ("America/Port-au-Prince",
// "Etc/GMT+5"), never a "." or ".." component.
bool IsZoneName(std::string_view z) {
  if (z.empty() || z.size() > 128 || z.front() == '/' || z.back() == '/') return false;
  for (char c : z) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
              c == '_' || c == '-' || c == '+' || c == '.';
    if (!ok) return false;
  }
  size_t start = 0;
  while (start <= z.size()) {
    size_t end = z.find('/', start);
    if (end == std::string_view::npos) end = z.size();
    std::string_view part = z.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

std::optional<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return ss.str();
}

std::optional<std::string> ReadLink(const std::string& path) {
  std::vector<char> buf(4096);
  ssize_t n = readlink(path.c_str(), buf.data(), buf.size());
  if (n <= 0 || static_cast<size_t>(n) >= buf.size()) return std::nullopt;
  return std::string(buf.data(), static_cast<size_t>(n));
}

// "<rootfs>/etc/x" without a doubled slash; rootfs "/" gives "/etc/x".
std::string UnderRoot(const std::string& rootfs, const std::string& path) {
  std::string root = rootfs;
  while (!root.empty() && root.back() == '/') root.pop_back();
  return root + path;
}

// Where the link at `path` points, as a host path.
std::string FollowLink(const std::string& path, const std::string& target) {
  if (!target.empty() && target.front() == '/') return target;
  return path.substr(0, path.rfind('/') + 1) + target;
}

// Reads the host file `path` (absolute, as the host sees it) under rootfs.
// Symlinks in the last component are followed by hand so that an absolute
// target (/etc/os-release -> /usr/lib/os-release) stays under rootfs instead
// of landing in the sensor's own filesystem.
std::optional<std::string> ReadHostFile(const std::string& rootfs, std::string path) {
  for (int hops = 0; hops < 8; ++hops) {
    auto target = ReadLink(UnderRoot(rootfs, path));
    if (!target) return ReadSmallFile(UnderRoot(rootfs, path));
    path = FollowLink(path, *target);
  }
  return std::nullopt;  // a symlink loop
}

// Undoes os-release(5) value quoting: "..." with \" \\ \$ \` escapes, '...'
// verbatim, or a bare word (where a backslash escapes the next character).
std::string Unquote(std::string_view v) {
  std::string out;
  if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') return std::string(v.substr(1, v.size() - 2));
  bool dquoted = v.size() >= 2 && v.front() == '"' && v.back() == '"';
  if (dquoted) v = v.substr(1, v.size() - 2);
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c == '\\' && i + 1 < v.size()) {
      char next = v[i + 1];
      if (!dquoted || next == '"' || next == '\\' || next == '$' || next == '`') {
        out += next;
        ++i;
        continue;
      }
    }
    out += c;
  }
  return out;
}

}  // namespace

std::optional<std::string> ZoneFromLocaltimeTarget(std::string_view target) {
  constexpr std::string_view kDir = "zoneinfo/";
  size_t pos = target.rfind(kDir);
  if (pos == std::string_view::npos) return std::nullopt;
  std::string_view zone = target.substr(pos + kDir.size());
  // zoneinfo/posix/X and zoneinfo/right/X are X with other leap-second handling.
  for (std::string_view variant : {"posix/", "right/"}) {
    if (zone.substr(0, variant.size()) == variant) {
      zone.remove_prefix(variant.size());
      break;
    }
  }
  if (!IsZoneName(zone)) return std::nullopt;
  return std::string(zone);
}

std::optional<std::string> ZoneFromTimezoneFile(std::string_view text) {
  std::string_view first = text.substr(0, text.find('\n'));
  first = Trim(first);
  if (!IsZoneName(first)) return std::nullopt;
  return std::string(first);
}

std::optional<std::string> PrettyNameFromOsRelease(std::string_view text) {
  std::optional<std::string> found;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = Trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    constexpr std::string_view kKey = "PRETTY_NAME=";
    if (line.substr(0, kKey.size()) != kKey) continue;
    // Like a shell sourcing the file, the last assignment wins.
    found = Unquote(line.substr(kKey.size()));
  }
  if (found && found->empty()) return std::nullopt;
  return found;
}

HostInfoSystem RealHostInfoSystem() {
  HostInfoSystem s;
  s.kernel_release = []() -> std::optional<std::string> {
    struct utsname u {};
    if (uname(&u) != 0) return std::nullopt;
    return std::string(u.release);
  };
  s.zone_abbreviation = []() -> std::optional<std::string> {
    time_t now = time(nullptr);
    struct tm tm {};
    if (localtime_r(&now, &tm) == nullptr || tm.tm_zone == nullptr || tm.tm_zone[0] == '\0')
      return std::nullopt;
    return std::string(tm.tm_zone);
  };
  return s;
}

HostInfo ReadHostInfo(const std::string& rootfs, const HostInfoSystem& system) {
  HostInfo info;
  std::optional<std::string> zone;
  // Usually one link into zoneinfo; sometimes a chain (/etc/alternatives).
  std::string link = "/etc/localtime";
  for (int hops = 0; hops < 8 && !zone; ++hops) {
    auto target = ReadLink(UnderRoot(rootfs, link));
    if (!target) break;
    zone = ZoneFromLocaltimeTarget(*target);
    link = FollowLink(link, *target);
  }
  if (!zone) {
    if (auto text = ReadHostFile(rootfs, "/etc/timezone")) zone = ZoneFromTimezoneFile(*text);
  }
  if (!zone && system.zone_abbreviation) zone = system.zone_abbreviation();
  info.timezone = zone.value_or(kUnknown);

  std::optional<std::string> kernel;
  if (system.kernel_release) kernel = system.kernel_release();
  info.kernel = kernel && !kernel->empty() ? *kernel : kUnknown;

  // os-release(5): /etc/os-release takes precedence over /usr/lib/os-release.
  auto text = ReadHostFile(rootfs, "/etc/os-release");
  if (!text) text = ReadHostFile(rootfs, "/usr/lib/os-release");
  if (!text)
    info.os = kUnknown;
  else
    info.os = PrettyNameFromOsRelease(*text).value_or("Linux");
  return info;
}

ClockState ClockStateFromTimex(int state, const struct timex& tx) {
  ClockState c;
  c.synchronized = state != TIME_ERROR && (tx.status & STA_UNSYNC) == 0;
  c.max_error_seconds = static_cast<double>(tx.maxerror) / 1e6;
  c.estimated_error_seconds = static_cast<double>(tx.esterror) / 1e6;
  return c;
}

}  // namespace hostprobe
