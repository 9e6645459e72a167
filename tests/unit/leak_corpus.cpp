#include "leak_corpus.h"

#include <dirent.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>

#include "core/leak_detector.h"
#include "core/memory_limit.h"

namespace hostprobe::corpus {

bool Trace::leaks() const {
  auto it = meta.find("variant");
  return it != meta.end() && it->second == "leak";
}

uint64_t Trace::limit_bytes() const {
  auto it = meta.find("limit_bytes");
  return it == meta.end() ? 0 : std::strtoull(it->second.c_str(), nullptr, 10);
}

namespace {

// "key=value key2=value2" after "# ".
std::map<std::string, std::string> Pairs(const std::string& line) {
  std::map<std::string, std::string> out;
  std::istringstream in(line);
  std::string word;
  while (in >> word) {
    auto eq = word.find('=');
    if (eq != std::string::npos) out[word.substr(0, eq)] = word.substr(eq + 1);
  }
  return out;
}

}  // namespace

std::optional<Trace> LoadTrace(const std::string& path, std::string* error) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) {
    *error = path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  Trace t;
  std::string base = path.substr(path.find_last_of('/') + 1);
  t.name = base.substr(0, base.find(".csv"));
  char buf[4096];
  bool header_seen = false;
  while (gzgets(f, buf, sizeof buf) != nullptr) {
    std::string line(buf);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line.empty()) continue;
    if (line[0] == '#') {
      auto kv = Pairs(line.substr(1));
      if (auto e = kv.find("end"); e != kv.end()) {
        t.end = e->second;
        t.end_s = std::atoll(kv["at_s"].c_str());
      } else if (line.rfind("# oom_kill ", 0) != 0) {
        // "# key=value": one pair a line.
        std::istringstream in(line.substr(1));
        std::string word;
        in >> word;
        auto eq = word.find('=');
        if (eq != std::string::npos) t.meta[word.substr(0, eq)] = word.substr(eq + 1);
      }
      continue;
    }
    if (!header_seen) {  // t_s,pid,anon_bytes,...
      header_seen = true;
      continue;
    }
    Row r;
    unsigned long long a = 0, s = 0, w = 0, fi = 0, rs = 0;
    long long ts = 0;
    int pid = 0;
    if (std::sscanf(line.c_str(), "%lld,%d,%llu,%llu,%llu,%llu,%llu", &ts, &pid, &a, &s, &w, &fi, &rs) != 7) {
      gzclose(f);
      *error = path + ": bad row: " + line;
      return std::nullopt;
    }
    r.t_s = ts;
    r.pid = pid;
    r.anon = a, r.shmem = s, r.swap = w, r.file = fi, r.rss = rs;
    t.rows.push_back(r);
  }
  gzclose(f);
  if (t.rows.empty()) {
    *error = path + ": no samples";
    return std::nullopt;
  }
  if (t.end_s == 0) t.end_s = t.rows.back().t_s;
  return t;
}

std::vector<std::string> TraceFiles(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 7 && n.compare(n.size() - 7, 7, ".csv.gz") == 0) out.push_back(dir + "/" + n);
    }
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

ReplayResult Replay(const Trace& trace, std::chrono::milliseconds interval, std::chrono::milliseconds window,
                    int64_t phase_s) {
  // Times on a clock that does not start at 0 (as CLOCK_BOOTTIME would not).
  constexpr int64_t kBase = 3'600'000;
  const int64_t step_s = std::max<int64_t>(1, interval.count() / 1000);
  LeakTracker procs(LeakScalesFor(interval, window));
  LeakTracker cgroup(LeakScalesFor(interval, window));
  std::map<int32_t, int64_t> first_seen;  // pid -> t_s
  std::map<int32_t, bool> was;            // pid -> suspected at the previous sample (0: the cgroup)
  ReplayResult out;
  const uint64_t limit = trace.limit_bytes();

  auto suspicion = [&](const LeakVerdict& v, int64_t t_s, int32_t pid, uint64_t used) {
    Suspicion s;
    s.at_s = t_s;
    s.window_s = v.window_ms / 1000;
    s.growth_bytes_per_second = v.growth_bytes_per_second;
    s.pid = pid;
    if (limit > 0) {
      MemoryHeadroom h;
      h.source = LimitSource::kCgroupV1;
      h.limit_bytes = limit;
      h.used_bytes = used;
      s.forecast_s = ExhaustionSeconds(h, v.growth_bytes_per_second);
    }
    return s;
  };

  size_t i = 0;
  while (i < trace.rows.size()) {
    const int64_t t_s = trace.rows[i].t_s;
    size_t j = i;
    while (j < trace.rows.size() && trace.rows[j].t_s == t_s) ++j;
    if (t_s % step_s != phase_s % step_s) {
      i = j;
      continue;
    }
    const int64_t now = kBase + t_s * 1000;
    uint64_t cgroup_used = 0;
    bool any_process = false;
    for (size_t k = i; k < j; ++k) {
      const Row& r = trace.rows[k];
      if (r.pid == 0) {
        cgroup_used = r.judged();
        continue;
      }
      any_process = true;
      auto [it, fresh] = first_seen.try_emplace(r.pid, t_s);
      procs.Observe({r.pid, static_cast<uint64_t>(it->second)}, kBase + it->second * 1000, now, r.judged());
    }
    procs.ForgetNotSeenSince(now);
    for (auto& [key, v] : procs.JudgeAll(now)) {
      bool& before = was[key.pid];
      if (v.suspected && !before) {
        ++out.flag_episodes;
        if (!out.process.suspected()) out.process = suspicion(v, t_s, key.pid, cgroup_used);
      }
      before = v.suspected;
    }
    // The cgroup is judged while it has a process, as the sensor does.
    if (any_process) {
      cgroup.Observe({1, 0}, kBase, now, cgroup_used);
      LeakVerdict v = *cgroup.Judge({1, 0}, now);
      if (v.suspected && !was[0]) {
        ++out.flag_episodes;
        if (!out.cgroup.suspected()) out.cgroup = suspicion(v, t_s, 0, cgroup_used);
      }
      was[0] = v.suspected;
    }
    out.judged_until_s = t_s;
    i = j;
  }
  return out;
}

}  // namespace hostprobe::corpus

namespace hostprobe::corpus {

WalkResult SimulateRandomWalks(std::chrono::milliseconds interval, std::chrono::milliseconds window,
                               double step_bytes, int processes, double hours, uint64_t seed) {
  constexpr int64_t kBase = 3'600'000;
  std::mt19937_64 gen(seed);
  // Gaussian by hand: the standard distributions differ between libraries.
  auto uniform = [&] { return (static_cast<double>(gen() >> 11) + 0.5) * 0x1.0p-53; };
  auto gauss = [&] { return std::sqrt(-2 * std::log(uniform())) * std::cos(2 * M_PI * uniform()); };
  const auto scales = LeakScalesFor(interval, window);
  LeakTracker tracker(scales);
  const int64_t iv = interval.count();
  const int64_t samples = static_cast<int64_t>(hours * 3'600'000.0 / static_cast<double>(iv));
  std::vector<double> x(static_cast<size_t>(processes), 256.0 * (1 << 20));
  std::vector<bool> was(static_cast<size_t>(processes), false);
  WalkResult out;
  for (int64_t k = 0; k < samples; ++k) {
    const int64_t now = kBase + k * iv;
    for (int p = 0; p < processes; ++p) {
      double& v = x[static_cast<size_t>(p)];
      v += step_bytes * gauss();
      if (v < 16.0 * (1 << 20)) v = 32.0 * (1 << 20) - v;
      tracker.Observe({p + 1, 1}, kBase, now, static_cast<uint64_t>(v));
    }
    for (auto& [key, verdict] : tracker.JudgeAll(now)) {
      auto idx = static_cast<size_t>(key.pid - 1);
      if (verdict.suspected && !was[idx]) {
        ++out.episodes;
        for (int s = 0; s < 8; ++s)
          if (verdict.suspecting_scales & (1u << s)) {
            ++out.by_scale[s];
            break;
          }
      }
      was[idx] = verdict.suspected;
    }
  }
  out.process_hours = hours * processes;
  return out;
}

}  // namespace hostprobe::corpus
