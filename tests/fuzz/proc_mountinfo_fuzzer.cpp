// /proc/<pid>/mountinfo and the filesystem selection built on it: one mount
// per line, absolute mount points, and a selection that is a subsequence of
// the mounts with no pseudo filesystem and no device+root twice.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <tuple>

#include "core/procfs.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto mounts = hostprobe::ParseMountinfo(text);
  if (!mounts) {
    FUZZ_CHECK(mounts.error().message.starts_with("malformed mountinfo"));
    return 0;
  }
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  FUZZ_CHECK(mounts->size() == lines && lines > 0);
  for (const auto& m : *mounts) {
    FUZZ_CHECK(!m.mount_point.empty() && m.mount_point.front() == '/');
    FUZZ_CHECK(!m.fstype.empty());
    FUZZ_CHECK(!m.root.empty() && !m.options.empty());
  }

  const auto selected = hostprobe::SelectFilesystems(*mounts);
  std::set<std::tuple<uint32_t, uint32_t, std::string>> devices;
  size_t next = 0;  // selected must be a subsequence of mounts
  for (const auto& s : selected) {
    while (next < mounts->size() &&
           !((*mounts)[next].mount_id == s.mount_id && (*mounts)[next].mount_point == s.mount_point))
      ++next;
    FUZZ_CHECK(next < mounts->size());
    ++next;
    FUZZ_CHECK(!hostprobe::IsPseudoFilesystem(s.fstype));
    FUZZ_CHECK(!s.mount_point.starts_with("/proc") || (s.mount_point.size() > 5 && s.mount_point[5] != '/'));
    FUZZ_CHECK(devices.emplace(s.major, s.minor, s.root).second);
  }
  return 0;
}
