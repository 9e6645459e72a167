// Probe specs, one (--probe) and a config file of them (--probe-config): an
// accepted spec has an identifier name and ':'-free, blank-free binary and
// symbol, and its ToString() parses back to the same spec; a config has
// unique names and errors that say where.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "core/probe_spec.h"
#include "fuzz_check.h"

namespace {

bool IsIdentifier(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  }
  return true;
}

void CheckSpec(const hostprobe::ProbeSpec& spec) {
  FUZZ_CHECK(IsIdentifier(spec.name));
  FUZZ_CHECK(!spec.binary.empty() && spec.binary.find(':') == std::string::npos);
  FUZZ_CHECK(spec.binary.find_first_of(" \t\r\n") == std::string::npos);
  if (spec.kind == hostprobe::ProbeKind::kUsdt) {
    FUZZ_CHECK(IsIdentifier(spec.usdt_provider) && IsIdentifier(spec.usdt_name));
    FUZZ_CHECK(spec.symbol.empty() && !spec.latency);
  } else {
    FUZZ_CHECK(!spec.symbol.empty() && spec.symbol.find(':') == std::string::npos);
    FUZZ_CHECK(spec.usdt_provider.empty() && spec.usdt_name.empty());
  }
  auto again = hostprobe::ParseProbeSpec(spec.ToString());
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == spec);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto spec = hostprobe::ParseProbeSpec(text);
  if (spec) {
    CheckSpec(*spec);
  } else {
    FUZZ_CHECK(spec.error().message.starts_with("invalid probe \""));
  }

  auto config = hostprobe::ParseProbeConfig(text, "fuzz.conf");
  if (config) {
    std::set<std::string> names;
    for (const auto& s : *config) {
      CheckSpec(s);
      FUZZ_CHECK(names.insert(s.name).second);
    }
  } else {
    FUZZ_CHECK(config.error().message.starts_with("fuzz.conf:"));
  }
  return 0;
}
