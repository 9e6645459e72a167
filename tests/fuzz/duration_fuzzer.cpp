// Durations: an accepted one is positive, and its shortest printed form
// parses back to exactly the same number of nanoseconds.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/duration.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto d = hostprobe::ParseDuration(text);
  if (!d) {
    FUZZ_CHECK(d.error().message.starts_with("invalid duration \""));
    return 0;
  }
  FUZZ_CHECK(d->count() > 0);
  const std::string printed = hostprobe::FormatDuration(*d);
  auto again = hostprobe::ParseDuration(printed);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *d);
  return 0;
}
