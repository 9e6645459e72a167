#include "collectors/host_collector.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <limits>
#include <set>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <utility>

namespace hostprobe {
namespace {

using Clock = std::chrono::steady_clock;

// mountinfo of a Kubernetes node with thousands of pods is a few MiB; far
// more than this means something is wrong with what we are reading.
constexpr size_t kMaxFileBytes = 64 << 20;

Result<std::string> ReadWholeFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    return Error::FromErrno("open " + path, e);
  }
  // /proc files report size 0: read until EOF.
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      return Error::FromErrno("read " + path, e);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxFileBytes) {
      close(fd);
      return Error{"read " + path + ": larger than " + std::to_string(kMaxFileBytes >> 20) + " MiB", EFBIG};
    }
  }
  close(fd);
  return out;
}

std::string StripTrailingSlashes(std::string path) {
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path;
}

uint64_t MulSaturating(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) return std::numeric_limits<uint64_t>::max();
  return r;
}

uint64_t TicksPerSecond(uint64_t configured) {
  if (configured != 0) return configured;
  long hz = sysconf(_SC_CLK_TCK);
  if (hz > 0) return static_cast<uint64_t>(hz);
  spdlog::warn("host: sysconf(_SC_CLK_TCK) failed; assuming 100 ticks per second");
  return 100;
}

constexpr const char* kPressureResources[] = {"cpu", "memory", "io"};

}  // namespace

FsUsage UsageFromStatvfs(const struct statvfs& st) {
  // f_frsize is the unit of the block counts; f_bsize is only the preferred
  // I/O size (they differ on some filesystems). glibc fills f_frsize, but
  // fall back rather than report 0 bytes.
  const uint64_t unit = st.f_frsize != 0 ? st.f_frsize : st.f_bsize;
  FsUsage u;
  u.size_bytes = MulSaturating(st.f_blocks, unit);
  u.avail_bytes = MulSaturating(st.f_bavail, unit);
  u.free_bytes = MulSaturating(st.f_bfree, unit);
  u.files = st.f_files;
  u.files_free = st.f_ffree;
  return u;
}

Result<struct statvfs> SystemStatvfs(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) {
    int e = errno;
    return Error::FromErrno("statvfs " + path, e);
  }
  return st;
}

// Everything the statvfs workers touch. Owned jointly by the collector and by
// every worker still running, so a worker stuck in the kernel for hours can
// finish after the collector is gone.
//
// Calls are queued to a small pool of workers instead of a thread each: a
// scrape's calls normally return in microseconds, one after the other, on a
// worker kept parked between scrapes. A call that has been running for
// kHandOff is presumed hung, and a queued call then gets a worker of its
// own, so one hung mount delays the others by kHandOff at most. A worker that
// finds nothing to do exits when another is already parked, and the parked
// one exits after kKeepAlive without work: the pool follows the load.
struct HostCollector::FsState {
  struct Mount {
    // All guarded by FsState::mu.
    bool in_flight = false;  // queued or running
    Clock::time_point started{};
    std::optional<FsUsage> usage;
    uint64_t errors = 0;
    std::string last_error;    // of the latest call; empty when it succeeded
    std::string logged_error;  // last_error as last logged, to log changes only
    bool logged_stuck = false;
  };
  struct Job {
    std::string path;
    std::shared_ptr<Mount> mount;
  };

  static constexpr std::chrono::milliseconds kHandOff{10};
  static constexpr std::chrono::minutes kKeepAlive{5};

  explicit FsState(StatvfsFn fn) : statvfs(std::move(fn)) {}

  const StatvfsFn statvfs;
  std::mutex mu;
  std::condition_variable done;                                    // a call returned
  std::unordered_map<std::string, std::shared_ptr<Mount>> mounts;  // by statvfs path
  size_t in_flight = 0;                                            // calls queued or running

  // The pool, guarded by `mu`.
  std::condition_variable work;           // a job was queued, or closing
  std::deque<Job> queue;                  // calls no worker has taken yet
  size_t idle = 0;                        // workers parked on `work`
  size_t starting = 0;                    // workers started that have not taken the lock yet
  std::multiset<Clock::time_point> busy;  // when each running call began
  bool closing = false;                   // the collector is gone: workers leave

  // With `mu` held. Queues a call for `path`; false (and `error`) when it
  // needed a worker and none could be started.
  static bool Start(const std::shared_ptr<FsState>& fs, const std::shared_ptr<Mount>& m,
                    const std::string& path, Clock::time_point now, std::string* error) {
    m->in_flight = true;
    m->started = now;
    ++fs->in_flight;
    fs->queue.push_back({path, m});
    if (fs->idle > 0) {
      fs->work.notify_one();  // it takes every queued call, one after the other
      return true;
    }
    if (!NeedsWorker(*fs, Clock::now())) return true;
    if (SpawnWorker(fs, error)) return true;
    fs->queue.pop_back();
    m->in_flight = false;
    --fs->in_flight;
    return false;
  }

  // With `mu` held: calls are queued and no worker will take them soon
  // (none parked or starting, and every running call has run kHandOff).
  static bool NeedsWorker(const FsState& fs, Clock::time_point now) {
    if (fs.queue.empty() || fs.idle > 0 || fs.starting > 0) return false;
    return fs.busy.empty() || *fs.busy.rbegin() + kHandOff <= now;
  }

  // With `mu` held: gives queued calls a worker when the running ones seem
  // hung. Returns when to look again: nullopt when nothing is queued, else
  // when the newest running call reaches kHandOff (or kHandOff from now while
  // a worker is on its way to the queue).
  static std::optional<Clock::time_point> Rebalance(const std::shared_ptr<FsState>& fs, Clock::time_point now,
                                                    std::string* error) {
    if (NeedsWorker(*fs, now)) SpawnWorker(fs, error);
    if (fs->queue.empty()) return std::nullopt;
    Clock::time_point next = now + kHandOff;
    if (fs->idle == 0 && fs->starting == 0 && !fs->busy.empty() && *fs->busy.rbegin() + kHandOff > now)
      next = *fs->busy.rbegin() + kHandOff;
    return next;
  }

  // With `mu` held.
  static bool SpawnWorker(const std::shared_ptr<FsState>& fs, std::string* error) {
    try {
      std::thread([fs] { fs->Work(); }).detach();
    } catch (const std::system_error& e) {
      // Thread creation is the one thing here that reports failure by throwing.
      *error = std::string("cannot start a statvfs thread: ") + e.what();
      return false;
    }
    ++fs->starting;
    return true;
  }

  void Work() {
    std::unique_lock lock(mu);
    --starting;
    for (;;) {
      if (closing) return;
      if (queue.empty()) {
        if (idle > 0) return;  // one parked worker is enough
        ++idle;
        const bool got = work.wait_for(lock, kKeepAlive, [this] { return closing || !queue.empty(); });
        --idle;
        if (!got || closing) return;
      }
      Job job = std::move(queue.front());
      queue.pop_front();
      const auto running = busy.insert(Clock::now());
      lock.unlock();
      Result<struct statvfs> r = statvfs(job.path);
      lock.lock();
      busy.erase(running);
      Mount& m = *job.mount;
      if (r.ok()) {
        m.usage = UsageFromStatvfs(*r);
        m.last_error.clear();
      } else {
        m.usage.reset();  // old figures would pass for current ones
        ++m.errors;
        m.last_error = r.error().message;
      }
      m.in_flight = false;
      --in_flight;
      done.notify_all();
    }
  }
};

HostCollector::HostCollector(Config config)
    : config_(std::move(config)),
      procfs_(StripTrailingSlashes(config_.procfs)),
      rootfs_(StripTrailingSlashes(config_.rootfs)),
      ticks_per_second_(TicksPerSecond(config_.ticks_per_second)),
      fs_(std::make_shared<FsState>(config_.statvfs ? config_.statvfs : StatvfsFn(SystemStatvfs))) {}

// Workers still in statvfs keep their own reference to fs_; nothing to wait
// for. Parked ones are told to leave.
HostCollector::~HostCollector() {
  std::lock_guard lock(fs_->mu);
  fs_->closing = true;
  fs_->work.notify_all();
}

std::string HostCollector::StatPath(const std::string& mount_point) const {
  if (rootfs_.empty()) return mount_point;
  if (mount_point == "/") return rootfs_;
  return rootfs_ + mount_point;
}

CollectorHealth HostCollector::health() {
  HostSnapshot scratch;
  if (Status s = ReadCpuAndMemory(scratch); !s.ok()) return {false, s.error().message};
  return {true, ""};
}

Result<HostSnapshot> HostCollector::Read() {
  HostSnapshot snap;
  if (Status s = ReadCpuAndMemory(snap); !s.ok()) return s.error();
  ReadPressure(snap);
  ReadFilesystems(snap);
  return snap;
}

Status HostCollector::ReadCpuAndMemory(HostSnapshot& snap) {
  const std::string stat_path = procfs_ + "/stat";
  auto stat_text = ReadWholeFile(stat_path);
  if (!stat_text.ok()) return stat_text.error();
  auto stat = ParseProcStat(*stat_text);
  if (!stat.ok()) return Error{stat_path + ": " + stat.error().message, stat.error().err};
  snap.cpu = TicksToSeconds(stat->total, ticks_per_second_);
  if (config_.per_cpu) {
    snap.cpu_cores.reserve(stat->cores.size());
    for (const CoreTicks& c : stat->cores)
      snap.cpu_cores.push_back({c.cpu, TicksToSeconds(c.ticks, ticks_per_second_)});
  }

  const std::string mem_path = procfs_ + "/meminfo";
  auto mem_text = ReadWholeFile(mem_path);
  if (!mem_text.ok()) return mem_text.error();
  auto mem = ParseMeminfo(*mem_text);
  if (!mem.ok()) return Error{mem_path + ": " + mem.error().message, mem.error().err};
  snap.memory = *mem;
  return Ok{};
}

void HostCollector::ReadPressure(HostSnapshot& snap) {
  for (size_t i = 0; i < std::size(kPressureResources); ++i) {
    const std::string path = procfs_ + "/pressure/" + kPressureResources[i];
    auto text = ReadWholeFile(path);
    if (!text.ok()) {
      // No CONFIG_PSI: no file. Booted with psi=0: no file on recent kernels,
      // EOPNOTSUPP on reading it on older ones. Neither is a failure.
      const int e = text.error().err;
      if (e == ENOENT || e == EOPNOTSUPP) {
        if (!pressure_absent_logged_[i].exchange(true))
          spdlog::info(
              "host: no pressure stall information for {} ({}); the kernel lacks CONFIG_PSI or "
              "was booted with psi=0, so hostprobe_pressure_stalled_seconds_total has no "
              "resource=\"{}\" series",
              kPressureResources[i], text.error().message, kPressureResources[i]);
        continue;
      }
      snap.problems.push_back(text.error().message);
      continue;
    }
    auto parsed = ParsePressure(*text);
    if (!parsed.ok()) {
      snap.problems.push_back(path + ": " + parsed.error().message);
      continue;
    }
    snap.pressure.push_back({kPressureResources[i], *parsed});
  }
}

void HostCollector::ReadFilesystems(HostSnapshot& snap) {
  // PID 1's view is the host's even when the sensor runs in a container
  // (with the host's /proc); our own is the fallback when PID 1 is not
  // readable (hidepid, no CAP_SYS_PTRACE).
  std::string source = procfs_ + "/1/mountinfo";
  auto text = ReadWholeFile(source);
  if (!text.ok()) {
    std::string self = procfs_ + "/self/mountinfo";
    auto fallback = ReadWholeFile(self);
    if (!fallback.ok()) {
      snap.problems.push_back(text.error().message + "; " + fallback.error().message);
      return;
    }
    if (!mountinfo_fallback_logged_.exchange(true))
      spdlog::info("host: {}; listing filesystems from {} (the sensor's own mount namespace) instead",
                   text.error().message, self);
    text = std::move(fallback);
    source = self;
  }
  auto mounts = ParseMountinfo(*text);
  if (!mounts.ok()) {
    snap.problems.push_back(source + ": " + mounts.error().message);
    return;
  }
  const std::vector<MountInfo> selected = SelectFilesystems(*mounts);

  FsState& fs = *fs_;
  const auto deadline = config_.statvfs_deadline;
  std::unique_lock lock(fs.mu);
  Clock::time_point now = Clock::now();
  // The scrape waits no longer than one deadline, whatever it finds.
  const Clock::time_point scrape_start = now;
  const Clock::time_point give_up = scrape_start + deadline;

  std::vector<std::pair<const MountInfo*, std::shared_ptr<FsState::Mount>>> current;
  std::deque<std::pair<std::string, std::shared_ptr<FsState::Mount>>> to_start;  // no call running yet
  std::unordered_set<std::string> paths;
  for (const MountInfo& mi : selected) {
    std::string path = StatPath(mi.mount_point);
    if (!paths.insert(path).second) continue;
    std::shared_ptr<FsState::Mount>& m = fs.mounts[path];
    if (!m) m = std::make_shared<FsState::Mount>();
    current.emplace_back(&mi, m);
    if (!m->in_flight) to_start.emplace_back(std::move(path), m);
  }

  // Forget mounts that are gone, unless a call on them is still running: it
  // holds a slot, and a mount that comes back must not get a second one.
  for (auto it = fs.mounts.begin(); it != fs.mounts.end();) {
    if (!paths.contains(it->first) && !it->second->in_flight)
      it = fs.mounts.erase(it);
    else
      ++it;
  }

  // Start calls as slots allow (they free up in microseconds unless mounts
  // hang), and wait for them until their deadline or ours, whichever is first.
  for (bool first = true;; first = false) {
    // Calls of the first batch share the scrape's start time, so one still
    // running when the scrape gives up has used exactly its deadline.
    const Clock::time_point stamp = first ? scrape_start : Clock::now();
    while (!to_start.empty() && fs.in_flight < std::max<size_t>(config_.max_statvfs_in_flight, 1)) {
      auto [path, m] = std::move(to_start.front());
      to_start.pop_front();
      if (m->in_flight) continue;  // a concurrent scrape started it meanwhile
      std::string error;
      if (!FsState::Start(fs_, m, path, stamp, &error)) {
        snap.problems.push_back(error);
        to_start.clear();  // the next attempt would fail the same way
      }
    }
    now = Clock::now();
    if (now >= give_up) break;
    std::string error;
    std::optional<Clock::time_point> wake = FsState::Rebalance(fs_, now, &error);
    if (!error.empty()) snap.problems.push_back(error);
    if (!to_start.empty() && !wake) wake = give_up;  // for a slot
    for (const auto& [mi, m] : current) {
      if (!m->in_flight || m->started + deadline <= now) continue;
      if (!wake || m->started + deadline < *wake) wake = m->started + deadline;
    }
    if (!wake) break;
    fs.done.wait_until(lock, std::min(*wake, give_up));
  }
  if (!to_start.empty()) {
    if (!cap_logged_.exchange(true))
      spdlog::warn(
          "host: {} statvfs calls outstanding (the cap, most of them hung); {} filesystems keep their "
          "previous figures until slots free up",
          fs.in_flight, to_start.size());
  } else {
    cap_logged_ = false;
  }

  now = Clock::now();
  snap.filesystems.reserve(current.size());
  for (const auto& [mi, m] : current) {
    FilesystemSnapshot f;
    f.device = mi->source;
    f.mount_point = mi->mount_point;
    f.fstype = mi->fstype;
    f.usage = m->usage;
    f.stuck = m->in_flight && now - m->started >= deadline;
    f.stat_errors = m->errors;
    if (f.stuck != m->logged_stuck) {
      if (f.stuck)
        spdlog::warn("host: statvfs on {} ({}) has not returned within {} ms; reported as stuck",
                     mi->mount_point, mi->fstype, deadline.count());
      else
        spdlog::info("host: statvfs on {} returned again", mi->mount_point);
      m->logged_stuck = f.stuck;
    }
    if (m->last_error != m->logged_error) {
      if (!m->last_error.empty()) spdlog::warn("host: {}", m->last_error);
      m->logged_error = m->last_error;
    }
    snap.filesystems.push_back(std::move(f));
  }
}

size_t HostCollector::statvfs_in_flight() const {
  std::lock_guard lock(fs_->mu);
  return fs_->in_flight;
}

std::optional<std::string> HostCollector::DeviceName(uint32_t major, uint32_t minor) {
  const uint64_t key = (static_cast<uint64_t>(major) << 32) | minor;
  std::lock_guard lock(dev_mu_);
  if (auto it = devices_.find(key); it != devices_.end()) return it->second;
  // A device we have not seen (hot-plugged, or made since the last read):
  // re-read, but not on every miss, as the eBPF side may ask about every I/O.
  const Clock::time_point now = Clock::now();
  if (devices_read_at_ && now - *devices_read_at_ < config_.diskstats_min_reread) return std::nullopt;
  devices_read_at_ = now;
  const std::string path = procfs_ + "/diskstats";
  auto text = ReadWholeFile(path);
  if (!text.ok()) {
    spdlog::debug("host: {}", text.error().message);
    return std::nullopt;
  }
  auto disks = ParseDiskstats(*text);
  if (!disks.ok()) {
    spdlog::debug("host: {}: {}", path, disks.error().message);
    return std::nullopt;
  }
  devices_.clear();
  for (const DiskStat& d : *disks) devices_[(static_cast<uint64_t>(d.major) << 32) | d.minor] = d.name;
  if (auto it = devices_.find(key); it != devices_.end()) return it->second;
  return std::nullopt;
}

}  // namespace hostprobe
