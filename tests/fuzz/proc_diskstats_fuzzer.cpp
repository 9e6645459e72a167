// /proc/diskstats: one entry per line, and what was read survives being
// printed back in the 14/18/20-field format that carries it.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/procfs.h"
#include "fuzz_check.h"

namespace {

std::string Line(const hostprobe::DiskStat& d) {
  auto n = [](uint64_t v) { return " " + std::to_string(v); };
  // reads merged sectors ms, writes merged sectors ms, in-flight io-ms weighted-ms
  std::string s = std::to_string(d.major) + " " + std::to_string(d.minor) + " " + d.name +
                  n(d.reads_completed) + " 0" + n(d.sectors_read) + " 0" + n(d.writes_completed) + " 0" +
                  n(d.sectors_written) + " 0 0 0 0";
  if (d.discards_completed || d.flushes_completed)
    s += n(d.discards_completed.value_or(0)) + " 0" + n(d.sectors_discarded.value_or(0)) + " 0";
  if (d.flushes_completed) s += n(*d.flushes_completed) + " 0";
  return s + "\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto disks = hostprobe::ParseDiskstats(text);
  if (!disks) {
    FUZZ_CHECK(disks.error().message.starts_with("malformed /proc/diskstats"));
    return 0;
  }
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  FUZZ_CHECK(disks->size() == lines);
  std::string printed;
  for (const auto& d : *disks) {
    FUZZ_CHECK(!d.name.empty());
    FUZZ_CHECK(d.discards_completed.has_value() == d.sectors_discarded.has_value());
    printed += Line(d);
  }
  auto again = hostprobe::ParseDiskstats(printed);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->size() == disks->size());
  for (size_t i = 0; i < disks->size(); ++i) {
    const auto &a = (*again)[i], &d = (*disks)[i];
    FUZZ_CHECK(a.major == d.major && a.minor == d.minor && a.name == d.name);
    FUZZ_CHECK(a.reads_completed == d.reads_completed && a.sectors_read == d.sectors_read);
    FUZZ_CHECK(a.writes_completed == d.writes_completed && a.sectors_written == d.sectors_written);
    FUZZ_CHECK(a.discards_completed.value_or(0) == d.discards_completed.value_or(0));
    FUZZ_CHECK(a.sectors_discarded.value_or(0) == d.sectors_discarded.value_or(0));
    FUZZ_CHECK(a.flushes_completed == d.flushes_completed);
  }
  return 0;
}
