// /proc/pressure/*: accepted averages are finite and non-negative, and the
// shortest fixed-point form of each parses back to the same double.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/procfs.h"
#include "fuzz_check.h"

namespace {

std::string Fixed(double v) {
  char buf[512];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  FUZZ_CHECK(ec == std::errc());
  return std::string(buf, end);
}

std::string Line(const char* kind, const hostprobe::PressureLine& p) {
  return std::string(kind) + " avg10=" + Fixed(p.avg10) + " avg60=" + Fixed(p.avg60) +
         " avg300=" + Fixed(p.avg300) + " total=" + std::to_string(p.total_us) + "\n";
}

void CheckLine(const hostprobe::PressureLine& p) {
  for (double v : {p.avg10, p.avg60, p.avg300}) FUZZ_CHECK(std::isfinite(v) && v >= 0);
}

bool Same(const hostprobe::PressureLine& a, const hostprobe::PressureLine& b) {
  return a.avg10 == b.avg10 && a.avg60 == b.avg60 && a.avg300 == b.avg300 && a.total_us == b.total_us;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto p = hostprobe::ParsePressure(text);
  if (!p) {
    FUZZ_CHECK(p.error().message.starts_with("malformed pressure file"));
    return 0;
  }
  FUZZ_CHECK(!text.empty() && text.back() == '\n');
  CheckLine(p->some);
  std::string printed = Line("some", p->some);
  if (p->full) {
    CheckLine(*p->full);
    printed += Line("full", *p->full);
  }
  auto again = hostprobe::ParsePressure(printed);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(Same(again->some, p->some));
  FUZZ_CHECK(again->full.has_value() == p->full.has_value());
  if (p->full) FUZZ_CHECK(Same(*again->full, *p->full));
  return 0;
}
