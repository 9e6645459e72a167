// The cgroup2 mount found in mountinfo text, the host-versus-own choice and
// the hybrid-root normalisation. On text the strict mountinfo parser accepts
// (and that only uses the single-space layout the kernel prints), the lenient
// line scanner must name the same cgroup2 mount point.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/cgroup.h"
#include "core/procfs.h"
#include "fuzz_check.h"

namespace {

// Stands in for "can this directory be read": any fixed, input-dependent answer will do.
bool EvenLength(const std::string& path) { return path.size() % 2 == 0; }
bool EndsUnified(const std::string& path) { return path.ends_with("/unified"); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::optional<std::string> found = hostprobe::FindCgroup2Mount(text);
  if (found) FUZZ_CHECK(text.find("cgroup2") != std::string_view::npos);

  // Differential check against ParseMountinfo. Skipped where the two differ on
  // purpose or on text the kernel never prints: other whitespace, escapes
  // (which could spell "cgroup2" in the fstype), or a root/options field of "-".
  auto mounts = hostprobe::ParseMountinfo(text);
  if (mounts && text.find_first_of("\t\v\f\r\\") == std::string_view::npos) {
    bool comparable = true;
    std::optional<std::string> expected;
    for (const auto& m : *mounts) {
      if (m.root == "-" || m.options == "-") comparable = false;
      if (!expected && m.fstype == "cgroup2") expected = m.mount_point;
    }
    if (comparable) FUZZ_CHECK(found == expected);
  }

  // The host's view is the whole text, this process's view the text after its first line.
  const size_t nl = text.find('\n');
  const std::string_view self = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  const std::optional<std::string> chosen = hostprobe::ChooseCgroup2Root(text, self, "/host//", EvenLength);
  if (found && EvenLength("/host" + *found)) {
    FUZZ_CHECK(chosen == "/host" + *found);
  } else {
    FUZZ_CHECK(chosen == hostprobe::FindCgroup2Mount(self));
  }

  if (found) {
    const std::string normalized = hostprobe::NormalizeCgroup2Root(*found, EndsUnified);
    FUZZ_CHECK(normalized == *found || normalized == *found + "/unified" || normalized == *found + "unified");
  }
  return 0;
}
