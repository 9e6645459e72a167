#include "duration.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>

namespace hostprobe {
namespace {

struct Unit {
  std::string_view suffix;
  int64_t ns;
};

// Longest suffixes first so "ms" is not read as "m".
constexpr Unit kUnits[] = {
    {"ns", 1},
    {"us", 1'000},
    {"\xC2\xB5s", 1'000},  // µs
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"m", 60LL * 1'000'000'000},
    {"h", 3600LL * 1'000'000'000},
    {"d", 86400LL * 1'000'000'000},
    {"w", 7 * 86400LL * 1'000'000'000},
};

Error Bad(std::string_view text, std::string_view why) {
  return Error{"invalid duration \"" + std::string(text) + "\": " + std::string(why), EINVAL};
}

}  // namespace

Result<std::chrono::nanoseconds> ParseDuration(std::string_view text) {
  if (text.empty()) return Bad(text, "empty");
  std::string_view rest = text;
  long double total = 0;
  while (!rest.empty()) {
    size_t i = 0;
    bool digits = false, dot = false;
    while (i < rest.size() && ((rest[i] >= '0' && rest[i] <= '9') || (rest[i] == '.' && !dot))) {
      if (rest[i] == '.')
        dot = true;
      else
        digits = true;
      ++i;
    }
    if (!digits) return Bad(text, "expected a number, e.g. 10s, 500ms, 5m");
    // strtold, not stold: an absurd number is a bad flag, not an exception.
    std::string digits_text(rest.substr(0, i));
    errno = 0;
    long double number = std::strtold(digits_text.c_str(), nullptr);
    if (errno == ERANGE || !std::isfinite(number)) return Bad(text, "too large");
    rest.remove_prefix(i);
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (rest.substr(0, u.suffix.size()) == u.suffix &&
          (unit == nullptr || u.suffix.size() > unit->suffix.size())) {
        unit = &u;
      }
    }
    if (unit == nullptr) return Bad(text, "missing or unknown unit (ns, us, ms, s, m, h, d, w)");
    rest.remove_prefix(unit->suffix.size());
    total += number * static_cast<long double>(unit->ns);
    if (total > static_cast<long double>(std::numeric_limits<int64_t>::max())) return Bad(text, "too large");
  }
  auto ns = static_cast<int64_t>(std::llround(total));
  if (ns <= 0) return Bad(text, "must be greater than zero");
  return std::chrono::nanoseconds(ns);
}

std::string FormatDuration(std::chrono::nanoseconds d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string out;
  if (ns % 1'000'000'000 != 0) {
    if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
    if (ns % 1'000 == 0) return std::to_string(ns / 1'000) + "us";
    return std::to_string(ns) + "ns";
  }
  int64_t s = ns / 1'000'000'000;
  if (s >= 3600) {
    out += std::to_string(s / 3600) + "h";
    s %= 3600;
  }
  if (s >= 60) {
    out += std::to_string(s / 60) + "m";
    s %= 60;
  }
  if (s > 0) out += std::to_string(s) + "s";
  return out;
}

}  // namespace hostprobe
