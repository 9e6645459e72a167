// /proc/meminfo: accepted values are whole KiB in bytes (no overflow), and
// printing them back as meminfo gives the same values.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/procfs.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = hostprobe::ParseMeminfo(text);
  if (!m) {
    FUZZ_CHECK(m.error().message.starts_with("malformed /proc/meminfo"));
    return 0;
  }
  FUZZ_CHECK(!text.empty() && text.back() == '\n');
  FUZZ_CHECK(m->total_bytes % 1024 == 0);

  std::string printed = "MemTotal:  " + std::to_string(m->total_bytes / 1024) + " kB\n";
  auto add = [&printed](const char* key, const std::optional<uint64_t>& v) {
    if (!v) return;
    FUZZ_CHECK(*v % 1024 == 0);
    printed += std::string(key) + ":\t" + std::to_string(*v / 1024) + " kB\n";
  };
  add("MemFree", m->free_bytes);
  add("MemAvailable", m->available_bytes);
  add("Buffers", m->buffers_bytes);
  add("Cached", m->cached_bytes);
  add("SwapTotal", m->swap_total_bytes);
  add("SwapFree", m->swap_free_bytes);
  auto again = hostprobe::ParseMeminfo(printed);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->total_bytes == m->total_bytes);
  FUZZ_CHECK(again->free_bytes == m->free_bytes);
  FUZZ_CHECK(again->available_bytes == m->available_bytes);
  FUZZ_CHECK(again->buffers_bytes == m->buffers_bytes);
  FUZZ_CHECK(again->cached_bytes == m->cached_bytes);
  FUZZ_CHECK(again->swap_total_bytes == m->swap_total_bytes);
  FUZZ_CHECK(again->swap_free_bytes == m->swap_free_bytes);
  return 0;
}
