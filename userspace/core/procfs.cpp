#include "procfs.h"

#include <array>
#include <cerrno>
#include <charconv>
#include <limits>
#include <map>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace hostprobe {
namespace {

Error Malformed(std::string_view file, std::string_view why) {
  return Error{"malformed " + std::string(file) + ": " + std::string(why), EINVAL};
}

Error MalformedLine(std::string_view file, size_t line_no, std::string_view why) {
  return Malformed(file, "line " + std::to_string(line_no) + ": " + std::string(why));
}

// Splits into lines without their '\n'. The kernel terminates every line, so
// a missing final newline means the text was cut and its last line (maybe in
// the middle of a number) cannot be trusted.
Result<std::vector<std::string_view>> SplitLines(std::string_view text, std::string_view file) {
  std::vector<std::string_view> lines;
  if (text.empty()) return lines;
  if (text.back() != '\n') return Malformed(file, "truncated (no newline at the end)");
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Fields separated by runs of spaces or tabs.
std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsBlank(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !IsBlank(line[i])) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// Digits only: no sign, no spaces, no trailing bytes, no overflow.
std::optional<uint64_t> ParseU64(std::string_view s) {
  uint64_t v = 0;
  if (s.empty() || s.front() < '0' || s.front() > '9') return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// One "Name: <number> kB" field of meminfo or status (`value` is what follows
// the colon), stored in bytes into *slot; an error names the line otherwise,
// or when the field was already seen.
Status SetKibField(std::string_view file, size_t line_no, std::string_view key, std::string_view value,
                   std::optional<uint64_t>* slot) {
  std::vector<std::string_view> f = Fields(value);
  std::optional<uint64_t> kib = f.size() == 2 && f[1] == "kB" ? ParseU64(f[0]) : std::nullopt;
  if (!kib) return MalformedLine(file, line_no, std::string(key) + " is not \"<number> kB\"");
  if (*kib > std::numeric_limits<uint64_t>::max() / 1024)
    return MalformedLine(file, line_no, std::string(key) + " out of range");
  if (slot->has_value()) return MalformedLine(file, line_no, std::string(key) + " repeated");
  *slot = *kib * 1024;
  return Ok{};
}

std::optional<uint32_t> ParseU32(std::string_view s) {
  auto v = ParseU64(s);
  if (!v || *v > std::numeric_limits<uint32_t>::max()) return std::nullopt;
  return static_cast<uint32_t>(*v);
}

// Plain non-negative decimal ("3.70"), as the kernel prints averages.
std::optional<double> ParseDecimal(std::string_view s) {
  double v = 0;
  if (s.empty() || s.front() < '0' || s.front() > '9') return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::fixed);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// `path` is `dir` itself or lies below it.
bool IsAtOrUnder(std::string_view path, std::string_view dir) {
  if (path.substr(0, dir.size()) != dir) return false;
  return path.size() == dir.size() || path[dir.size()] == '/';
}

}  // namespace

// mountinfo escapes space, tab, newline and backslash (and nothing else the
// kernel prints) as a backslash and three octal digits.
std::string UnescapeOctal(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
        s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// ---- /proc/stat ------------------------------------------------------------------

Result<CpuStat> ParseProcStat(std::string_view text) {
  constexpr std::string_view kFile = "/proc/stat";
  auto lines = SplitLines(text, kFile);
  if (!lines) return lines.error();
  CpuStat stat;
  bool have_total = false;
  std::unordered_map<uint32_t, bool> seen_cores;
  for (size_t n = 0; n < lines->size(); ++n) {
    std::vector<std::string_view> f = Fields((*lines)[n]);
    if (f.empty() || f[0].substr(0, 3) != "cpu") continue;  // intr, ctxt, btime, ...
    std::string_view label = f[0];
    std::optional<uint32_t> core;
    if (label != "cpu") {
      core = ParseU32(label.substr(3));
      if (!core) return MalformedLine(kFile, n + 1, "unexpected \"" + std::string(label) + "\"");
    }
    // user nice system idle iowait irq softirq steal guest guest_nice; later
    // kernels may append more, which are checked but not used.
    if (f.size() < 1 + 4)
      return MalformedLine(kFile, n + 1, std::string(label) + " has fewer than 4 columns");
    std::array<uint64_t, 8> v{};
    for (size_t i = 1; i < f.size(); ++i) {
      auto x = ParseU64(f[i]);
      if (!x) return MalformedLine(kFile, n + 1, "non-numeric column \"" + std::string(f[i]) + "\"");
      if (i - 1 < v.size()) v[i - 1] = *x;
    }
    CpuTicks t{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
    if (!core) {
      if (have_total) return MalformedLine(kFile, n + 1, "second aggregate cpu line");
      have_total = true;
      stat.total = t;
    } else {
      if (seen_cores[*core]) return MalformedLine(kFile, n + 1, "cpu" + std::to_string(*core) + " repeated");
      seen_cores[*core] = true;
      stat.cores.push_back({*core, t});
    }
  }
  if (!have_total) return Malformed(kFile, "no aggregate cpu line");
  return stat;
}

CpuSeconds TicksToSeconds(const CpuTicks& t, uint64_t ticks_per_second) {
  const auto hz = static_cast<double>(ticks_per_second == 0 ? 1 : ticks_per_second);
  auto s = [hz](uint64_t ticks) { return static_cast<double>(ticks) / hz; };
  return {s(t.user), s(t.nice), s(t.system), s(t.idle), s(t.iowait), s(t.irq), s(t.softirq), s(t.steal)};
}

// ---- /proc/meminfo ----------------------------------------------------------------

Result<MemInfo> ParseMeminfo(std::string_view text) {
  constexpr std::string_view kFile = "/proc/meminfo";
  auto lines = SplitLines(text, kFile);
  if (!lines) return lines.error();

  MemInfo m;
  std::optional<uint64_t> total;
  const std::pair<std::string_view, std::optional<uint64_t>*> wanted[] = {
      {"MemTotal", &total},
      {"MemFree", &m.free_bytes},
      {"MemAvailable", &m.available_bytes},
      {"Buffers", &m.buffers_bytes},
      {"Cached", &m.cached_bytes},
      {"SwapTotal", &m.swap_total_bytes},
      {"SwapFree", &m.swap_free_bytes},
  };
  for (size_t n = 0; n < lines->size(); ++n) {
    std::string_view line = (*lines)[n];
    size_t colon = line.find(':');
    // Every line is "Name: value [kB]"; anything else means this is not meminfo.
    if (colon == std::string_view::npos || colon == 0 || Fields(line.substr(0, colon)).size() != 1)
      return MalformedLine(kFile, n + 1, "expected \"Name: value\"");
    std::string_view name = line.substr(0, colon);
    for (const auto& [key, slot] : wanted) {
      if (name != key) continue;
      if (auto st = SetKibField(kFile, n + 1, key, line.substr(colon + 1), slot); !st.ok()) return st.error();
    }
  }
  if (!total) return Malformed(kFile, "no MemTotal");
  m.total_bytes = *total;
  return m;
}

// ---- /proc/pressure ----------------------------------------------------------------

Result<Pressure> ParsePressure(std::string_view text) {
  constexpr std::string_view kFile = "pressure file";
  auto lines = SplitLines(text, kFile);
  if (!lines) return lines.error();
  std::optional<PressureLine> some, full;
  for (size_t n = 0; n < lines->size(); ++n) {
    std::vector<std::string_view> f = Fields((*lines)[n]);
    if (f.empty()) return MalformedLine(kFile, n + 1, "empty line");
    std::optional<PressureLine>* slot = f[0] == "some" ? &some : f[0] == "full" ? &full : nullptr;
    if (slot == nullptr) return MalformedLine(kFile, n + 1, "expected \"some\" or \"full\"");
    if (slot->has_value()) return MalformedLine(kFile, n + 1, std::string(f[0]) + " repeated");
    PressureLine p;
    bool got[4] = {};  // avg10 avg60 avg300 total
    for (size_t i = 1; i < f.size(); ++i) {
      size_t eq = f[i].find('=');
      if (eq == std::string_view::npos) return MalformedLine(kFile, n + 1, "expected key=value");
      std::string_view key = f[i].substr(0, eq), value = f[i].substr(eq + 1);
      int k = key == "avg10" ? 0 : key == "avg60" ? 1 : key == "avg300" ? 2 : key == "total" ? 3 : -1;
      if (k < 0) continue;  // a field added by a later kernel
      if (got[k]) return MalformedLine(kFile, n + 1, std::string(key) + " repeated");
      got[k] = true;
      if (k == 3) {
        auto v = ParseU64(value);
        if (!v) return MalformedLine(kFile, n + 1, "bad total \"" + std::string(value) + "\"");
        p.total_us = *v;
      } else {
        auto v = ParseDecimal(value);
        if (!v)
          return MalformedLine(kFile, n + 1, "bad " + std::string(key) + " \"" + std::string(value) + "\"");
        (k == 0 ? p.avg10 : k == 1 ? p.avg60 : p.avg300) = *v;
      }
    }
    if (!(got[0] && got[1] && got[2] && got[3]))
      return MalformedLine(kFile, n + 1, "needs avg10, avg60, avg300 and total");
    *slot = p;
  }
  if (!some) return Malformed(kFile, "no \"some\" line");
  return Pressure{*some, full};
}

// ---- /proc/<pid>/mountinfo ---------------------------------------------------------

Result<std::vector<MountInfo>> ParseMountinfo(std::string_view text) {
  constexpr std::string_view kFile = "mountinfo";
  auto lines = SplitLines(text, kFile);
  if (!lines) return lines.error();
  if (lines->empty()) return Malformed(kFile, "empty (every mount namespace has a root)");
  std::vector<MountInfo> out;
  out.reserve(lines->size());
  for (size_t n = 0; n < lines->size(); ++n) {
    // Split on single spaces: a field can be empty (a mount whose source is
    // "" prints as two spaces), and real spaces inside fields are escaped.
    std::vector<std::string_view> f;
    std::string_view line = (*lines)[n];
    for (size_t start = 0;;) {
      size_t sp = line.find(' ', start);
      f.push_back(line.substr(start, sp == std::string_view::npos ? std::string_view::npos : sp - start));
      if (sp == std::string_view::npos) break;
      start = sp + 1;
    }
    // The optional fields ("shared:1 master:2") end at a lone "-".
    size_t sep = 6;
    while (sep < f.size() && f[sep] != "-") ++sep;
    if (sep >= f.size()) return MalformedLine(kFile, n + 1, "no \" - \" separator after 6 fields");
    if (f.size() - sep - 1 != 3)
      return MalformedLine(kFile, n + 1, "expected fstype, source and options after \"-\"");
    for (size_t i = 0; i < 6; ++i)
      if (f[i].empty()) return MalformedLine(kFile, n + 1, "empty field");
    MountInfo m;
    auto id = ParseU32(f[0]), parent = ParseU32(f[1]);
    if (!id || !parent) return MalformedLine(kFile, n + 1, "bad mount id");
    size_t colon = f[2].find(':');
    auto major = colon == std::string_view::npos ? std::nullopt : ParseU32(f[2].substr(0, colon));
    auto minor = colon == std::string_view::npos ? std::nullopt : ParseU32(f[2].substr(colon + 1));
    if (!major || !minor) return MalformedLine(kFile, n + 1, "bad major:minor \"" + std::string(f[2]) + "\"");
    if (f[sep + 1].empty()) return MalformedLine(kFile, n + 1, "empty fstype");
    if (f[4].front() != '/') return MalformedLine(kFile, n + 1, "mount point is not absolute");
    m.mount_id = *id;
    m.parent_id = *parent;
    m.major = *major;
    m.minor = *minor;
    m.root = UnescapeOctal(f[3]);
    m.mount_point = UnescapeOctal(f[4]);
    m.options = std::string(f[5]);
    m.fstype = UnescapeOctal(f[sep + 1]);
    m.source = UnescapeOctal(f[sep + 2]);
    m.super_options = std::string(f[sep + 3]);
    out.push_back(std::move(m));
  }
  return out;
}

bool IsPseudoFilesystem(std::string_view fstype) {
  // Kernel views (proc, sysfs, cgroup...), in-memory control filesystems,
  // container layers (overlay: the real numbers are those of the filesystem
  // holding the layers) and read-only images whose usage is always 100%.
  static constexpr std::string_view kPseudo[] = {
      "autofs",   "binfmt_misc", "bpf",        "cgroup",     "cgroup2",   "configfs", "debugfs",
      "devpts",   "devtmpfs",    "fusectl",    "hugetlbfs",  "mqueue",    "nsfs",     "proc",
      "procfs",   "pstore",      "rpc_pipefs", "securityfs", "selinuxfs", "sysfs",    "tracefs",
      "efivarfs", "overlay",     "squashfs",   "erofs",      "iso9660",   "ramfs"};
  for (std::string_view p : kPseudo)
    if (fstype == p) return true;
  return false;
}

std::vector<MountInfo> SelectFilesystems(const std::vector<MountInfo>& mounts) {
  // Kernel and runtime trees: their mounts are per-container plumbing or
  // pseudo files, never capacity an operator manages. A trailing slash means
  // "strictly below": /var/lib/docker itself may well be a dedicated disk.
  static constexpr std::string_view kSkipAtOrUnder[] = {"/proc", "/sys", "/dev", "/run/credentials"};
  static constexpr std::string_view kSkipBelow[] = {"/var/lib/docker/",
                                                    "/var/lib/containers/storage/",
                                                    "/var/lib/kubelet/pods/",
                                                    "/run/containerd/",
                                                    "/run/k3s/",
                                                    "/run/netns/"};

  // A mount whose child is mounted on the very same mount point is hidden
  // under it; statvfs of that path would describe the child.
  std::unordered_map<uint32_t, size_t> index_of;
  for (size_t i = 0; i < mounts.size(); ++i) index_of.emplace(mounts[i].mount_id, i);
  std::vector<bool> hidden(mounts.size(), false);
  for (const MountInfo& m : mounts) {
    if (m.parent_id == m.mount_id) continue;
    auto it = index_of.find(m.parent_id);
    if (it != index_of.end() && mounts[it->second].mount_point == m.mount_point) hidden[it->second] = true;
  }

  std::vector<size_t> candidates;
  for (size_t i = 0; i < mounts.size(); ++i) {
    const MountInfo& m = mounts[i];
    if (hidden[i] || IsPseudoFilesystem(m.fstype)) continue;
    bool skip = false;
    for (std::string_view dir : kSkipAtOrUnder) skip = skip || IsAtOrUnder(m.mount_point, dir);
    for (std::string_view dir : kSkipBelow) skip = skip || m.mount_point.starts_with(dir);
    if (!skip) candidates.push_back(i);
  }

  // Bind mounts of one device and root are one filesystem view: keep the
  // shortest mount point, the first listed on a tie.
  std::map<std::tuple<uint32_t, uint32_t, std::string_view>, size_t> chosen;
  for (size_t i : candidates) {
    const MountInfo& m = mounts[i];
    auto [it, inserted] = chosen.try_emplace({m.major, m.minor, m.root}, i);
    if (!inserted && m.mount_point.size() < mounts[it->second].mount_point.size()) it->second = i;
  }
  std::vector<bool> keep(mounts.size(), false);
  for (const auto& [key, i] : chosen) keep[i] = true;
  std::vector<MountInfo> out;
  for (size_t i = 0; i < mounts.size(); ++i)
    if (keep[i]) out.push_back(mounts[i]);
  return out;
}

// ---- /proc/diskstats ---------------------------------------------------------------

Result<std::vector<DiskStat>> ParseDiskstats(std::string_view text) {
  constexpr std::string_view kFile = "/proc/diskstats";
  auto lines = SplitLines(text, kFile);
  if (!lines) return lines.error();
  std::vector<DiskStat> out;
  out.reserve(lines->size());
  for (size_t n = 0; n < lines->size(); ++n) {
    std::vector<std::string_view> f = Fields((*lines)[n]);
    // major minor name, then 4 (old partition lines), 11, 15 or 17+ counters.
    const size_t count = f.size();
    if (count != 7 && count != 14 && count != 18 && count < 20)
      return MalformedLine(kFile, n + 1, std::to_string(count) + " fields");
    DiskStat d;
    auto major = ParseU32(f[0]), minor = ParseU32(f[1]);
    if (!major || !minor) return MalformedLine(kFile, n + 1, "bad major/minor");
    std::vector<uint64_t> v;
    v.reserve(count - 3);
    for (size_t i = 3; i < count; ++i) {
      auto x = ParseU64(f[i]);
      if (!x) return MalformedLine(kFile, n + 1, "non-numeric field \"" + std::string(f[i]) + "\"");
      v.push_back(*x);
    }
    d.major = *major;
    d.minor = *minor;
    d.name = std::string(f[2]);
    if (count == 7) {
      // Linux < 2.6.25 partitions: reads, sectors read, writes, sectors written.
      d.reads_completed = v[0];
      d.sectors_read = v[1];
      d.writes_completed = v[2];
      d.sectors_written = v[3];
    } else {
      // reads merged sectors ms, writes merged sectors ms, in-flight, io ms,
      // weighted ms, [discards merged sectors ms], [flushes ms]
      d.reads_completed = v[0];
      d.sectors_read = v[2];
      d.writes_completed = v[4];
      d.sectors_written = v[6];
      if (count >= 18) {
        d.discards_completed = v[11];
        d.sectors_discarded = v[13];
      }
      if (count >= 20) d.flushes_completed = v[15];
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace hostprobe

namespace hostprobe {

Result<Statm> ParseStatm(std::string_view text) {
  auto lines = SplitLines(text, "statm");
  if (!lines) return lines.error();
  if (lines->size() != 1) return Malformed("statm", "expected one line");
  auto f = Fields(lines->front());
  if (f.size() != 7) return Malformed("statm", "expected 7 fields, got " + std::to_string(f.size()));
  uint64_t v[7];
  for (size_t i = 0; i < 7; ++i) {
    auto n = ParseU64(f[i]);
    if (!n) return Malformed("statm", "field " + std::to_string(i + 1) + " is not a number");
    v[i] = *n;
  }
  // Field 5 (lib) is always 0 since 2.6; field 7 (dt) too.
  return Statm{v[0], v[1], v[2], v[3], v[5]};
}

Result<PidStatusMemory> ParsePidStatusMemory(std::string_view text) {
  constexpr std::string_view kFile = "status";
  auto lines = SplitLines(text, kFile);
  if (!lines) return lines.error();
  std::optional<uint64_t> rss, anon, file, shmem, swap, data, stack;
  const std::pair<std::string_view, std::optional<uint64_t>*> wanted[] = {
      {"VmRSS", &rss},   {"RssAnon", &anon}, {"RssFile", &file}, {"RssShmem", &shmem},
      {"VmSwap", &swap}, {"VmData", &data},  {"VmStk", &stack},
  };
  for (size_t n = 0; n < lines->size(); ++n) {
    std::string_view line = (*lines)[n];
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon);
    for (const auto& [key, slot] : wanted) {
      if (name != key) continue;
      if (auto st = SetKibField(kFile, n + 1, key, line.substr(colon + 1), slot); !st.ok()) return st.error();
    }
  }
  PidStatusMemory m;
  if (!rss) return m;
  for (const auto& [key, slot] : wanted)
    if (!slot->has_value()) return Malformed(kFile, "VmRSS without " + std::string(key));
  m.has_mm = true;
  m.rss_bytes = *rss;
  m.anon_bytes = *anon;
  m.file_bytes = *file;
  m.shmem_bytes = *shmem;
  m.swap_bytes = *swap;
  m.data_bytes = *data + *stack;
  return m;
}

Result<PidStat> ParsePidStat(std::string_view text) {
  // Not split into lines first: comm is printed raw (any byte but NUL, so
  // newlines and ')' too), and a process may name itself anything.
  if (text.empty()) return Malformed("stat", "empty");
  if (text.back() != '\n') return Malformed("stat", "truncated (no newline at the end)");
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || text.substr(digits, 2) != " (") return Malformed("stat", "no \"pid (\"");
  const size_t open = digits + 2;
  // No field after comm holds a ')', so the last one closes it.
  const size_t close = text.rfind(')');
  if (close == std::string_view::npos || close < open) return Malformed("stat", "no (comm)");
  std::string_view after = text.substr(close + 1, text.size() - close - 2);  // without the final '\n'
  if (after.find('\n') != std::string_view::npos) return Malformed("stat", "expected one line after comm");
  // Fields after comm start at 3 (state); start time is field 22.
  auto rest = Fields(after);
  constexpr size_t kStartTime = 22 - 3;
  if (rest.size() <= kStartTime) return Malformed("stat", "too few fields");
  auto start = ParseU64(rest[kStartTime]);
  if (!start) return Malformed("stat", "start time is not a number");
  auto flags = ParseU64(rest[9 - 3]);
  if (!flags) return Malformed("stat", "flags are not a number");
  return PidStat{std::string(text.substr(open, close - open)), *flags, *start};
}

Result<std::string> ParsePidComm(std::string_view text) {
  // comm followed by one '\n'; comm itself may end in (or be) newlines.
  if (text.empty() || text.back() != '\n') return Malformed("comm", "truncated (no newline at the end)");
  return std::string(text.substr(0, text.size() - 1));
}

Result<std::optional<BpfMapFdinfo>> ParseBpfMapFdinfo(std::string_view text) {
  auto lines = SplitLines(text, "fdinfo");
  if (!lines) return lines.error();
  BpfMapFdinfo info;
  bool is_map = false, has_memlock = false;
  for (std::string_view line : *lines) {
    auto f = Fields(line);
    if (f.size() != 2) continue;
    if (f[0] == "map_type:" || f[0] == "memlock:" || f[0] == "map_id:") {
      auto n = ParseU64(f[1]);
      if (!n) return Malformed("fdinfo", std::string(f[0]) + " is not a number");
      if (f[0] == "map_type:") {
        is_map = true;
        info.map_type = static_cast<uint32_t>(*n);
      } else if (f[0] == "memlock:") {
        has_memlock = true;
        info.memlock = *n;
      } else {
        info.map_id = static_cast<uint32_t>(*n);
      }
    }
  }
  if (!is_map) return std::optional<BpfMapFdinfo>();
  if (!has_memlock) return Malformed("fdinfo", "a map without memlock");
  return std::optional<BpfMapFdinfo>(info);
}

Result<std::optional<std::string>> ParsePidCgroupV2(std::string_view text) {
  auto lines = SplitLines(text, "cgroup");
  if (!lines) return lines.error();
  for (std::string_view line : *lines) {
    if (line.substr(0, 3) != "0::") continue;
    std::string_view path = line.substr(3);
    if (path.empty() || path.front() != '/') return Malformed("cgroup", "v2 path is not absolute");
    return std::optional<std::string>(std::string(path));
  }
  return std::optional<std::string>();
}

}  // namespace hostprobe
