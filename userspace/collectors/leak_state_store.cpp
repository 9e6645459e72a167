#include "collectors/leak_state_store.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/leak_state.h"

namespace hostprobe {
namespace {

constexpr const char* kName = "leak state";

// Writes all of `data` to `path` through a temporary file in the same
// directory, so that a reader sees the old file or the new one, never half.
bool WriteAtomically(const std::string& dir, const std::string& path, const std::string& data,
                     std::string* error) {
  const std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "create " + tmp + ": " + std::strerror(errno);
    return false;
  }
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = "write " + tmp + ": " + std::strerror(errno);
      close(fd);
      unlink(tmp.c_str());
      return false;
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    *error = "fsync " + tmp + ": " + std::strerror(errno);
    close(fd);
    unlink(tmp.c_str());
    return false;
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    *error = "rename " + tmp + ": " + std::strerror(errno);
    unlink(tmp.c_str());
    return false;
  }
  // The rename itself survives a crash once the directory is synced.
  if (int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return true;
}

}  // namespace

std::string ReadBootId(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
  return line;
}

LeakStateStore::LeakStateStore(std::string dir, std::string boot_id, const LeakParams& params,
                               const char* file_name)
    : dir_(std::move(dir)),
      boot_id_(std::move(boot_id)),
      sample_interval_ms_(params.sample_interval_ms),
      window_ms_(params.window_ms) {
  if (dir_.empty()) return;
  path_ = dir_ + "/" + file_name;
  if (boot_id_.empty()) {
    spdlog::warn("{}: the boot id could not be read: leak histories are not kept across restarts", kName);
    return;
  }
  // Made if missing (the DaemonSet's hostPath is DirectoryOrCreate anyway).
  if (mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
    spdlog::warn("{}: cannot create {}: {}: leak histories are not kept across restarts", kName, dir_,
                 std::strerror(errno));
    return;
  }
  if (access(dir_.c_str(), W_OK | X_OK) != 0) {
    spdlog::warn("{}: {} is not writable ({}): leak histories are not kept across restarts", kName, dir_,
                 std::strerror(errno));
    return;
  }
  enabled_ = true;
}

std::vector<LeakStateEntry> LeakStateStore::Load() {
  if (!enabled_) return {};
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    spdlog::info("{}: no saved leak histories in {} (a first start)", kName, path_);
    return {};
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto state = DecodeLeakState(ss.str());
  if (!state) {
    spdlog::warn("{}: ignoring {}: {}", kName, path_, state.error().message);
    return {};
  }
  if (state->boot_id != boot_id_) {
    spdlog::info("{}: ignoring {}: saved in another boot", kName, path_);
    return {};
  }
  if (state->sample_interval_ms != sample_interval_ms_ || state->window_ms != window_ms_) {
    spdlog::warn("{}: ignoring {}: saved with --sample-interval {} ms and --leak-window {} ms, now {} and {}",
                 kName, path_, state->sample_interval_ms, state->window_ms, sample_interval_ms_, window_ms_);
    return {};
  }
  restored_ = state->entries.size();
  return std::move(state->entries);
}

void LeakStateStore::MaybeSave(const LeakTracker& tracker, int64_t now_ms, bool force,
                               int64_t min_interval_ms) {
  if (!enabled_) return;
  if (!force && last_save_ms_ >= 0 && now_ms - last_save_ms_ < min_interval_ms) return;
  last_save_ms_ = now_ms;
  LeakState state;
  state.boot_id = boot_id_;
  state.sample_interval_ms = sample_interval_ms_;
  state.window_ms = window_ms_;
  state.entries = tracker.Export(kMaxProcesses);
  std::string error;
  if (WriteAtomically(dir_, path_, EncodeLeakState(state), &error)) {
    ++saves_;
    if (warned_) spdlog::info("{}: saving to {} works again", kName, path_);
    warned_ = false;
    return;
  }
  ++save_failures_;
  if (!warned_)
    spdlog::warn("{}: {} (leak histories will not survive a restart until this works)", kName, error);
  warned_ = true;
}

}  // namespace hostprobe
