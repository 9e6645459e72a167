// Host info parsers: a zone name is a plausible IANA name taken from the
// input (no "." or ".." component, so it can never walk out of zoneinfo);
// PRETTY_NAME is non-empty and only found where the key is.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/host_info.h"
#include "fuzz_check.h"

namespace {

void CheckZone(const std::string& zone) {
  FUZZ_CHECK(!zone.empty() && zone.size() <= 128);
  FUZZ_CHECK(zone.front() != '/' && zone.back() != '/');
  for (char c : zone) {
    FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
               c == '_' || c == '-' || c == '+' || c == '.');
  }
  const std::string slashed = "/" + zone + "/";
  FUZZ_CHECK(slashed.find("/./") == std::string::npos && slashed.find("/../") == std::string::npos);
  FUZZ_CHECK(slashed.find("//") == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto zone = hostprobe::ZoneFromLocaltimeTarget(text)) {
    CheckZone(*zone);
    FUZZ_CHECK(text.ends_with(*zone));
    FUZZ_CHECK(text.find("zoneinfo/") != std::string_view::npos);
  }
  if (auto zone = hostprobe::ZoneFromTimezoneFile(text)) {
    CheckZone(*zone);
    FUZZ_CHECK(text.substr(0, text.find('\n')).find(*zone) != std::string_view::npos);
  }
  if (auto pretty = hostprobe::PrettyNameFromOsRelease(text)) {
    FUZZ_CHECK(!pretty->empty());
    FUZZ_CHECK(text.find("PRETTY_NAME=") != std::string_view::npos);
    FUZZ_CHECK(pretty->size() <= text.size());
  }
  return 0;
}
