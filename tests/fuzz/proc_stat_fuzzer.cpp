// /proc/stat: whatever is accepted is newline-terminated, has one entry per
// distinct cpuN line, and survives being printed back and parsed again.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "core/procfs.h"
#include "fuzz_check.h"

namespace {

using hostprobe::CpuTicks;

std::string Line(const std::string& label, const CpuTicks& t) {
  return label + " " + std::to_string(t.user) + " " + std::to_string(t.nice) + " " +
         std::to_string(t.system) + " " + std::to_string(t.idle) + " " + std::to_string(t.iowait) + " " +
         std::to_string(t.irq) + " " + std::to_string(t.softirq) + " " + std::to_string(t.steal) + "\n";
}

bool Same(const CpuTicks& a, const CpuTicks& b) {
  return a.user == b.user && a.nice == b.nice && a.system == b.system && a.idle == b.idle &&
         a.iowait == b.iowait && a.irq == b.irq && a.softirq == b.softirq && a.steal == b.steal;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto stat = hostprobe::ParseProcStat(text);
  if (!stat) {
    FUZZ_CHECK(stat.error().message.starts_with("malformed /proc/stat"));
    return 0;
  }
  FUZZ_CHECK(!text.empty() && text.back() == '\n');
  std::set<uint32_t> cores;
  for (const auto& c : stat->cores) FUZZ_CHECK(cores.insert(c.cpu).second);

  std::string printed = Line("cpu", stat->total);
  for (const auto& c : stat->cores) printed += Line("cpu" + std::to_string(c.cpu), c.ticks);
  auto again = hostprobe::ParseProcStat(printed);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(Same(again->total, stat->total));
  FUZZ_CHECK(again->cores.size() == stat->cores.size());
  for (size_t i = 0; i < stat->cores.size(); ++i) {
    FUZZ_CHECK(again->cores[i].cpu == stat->cores[i].cpu);
    FUZZ_CHECK(Same(again->cores[i].ticks, stat->cores[i].ticks));
  }

  const hostprobe::CpuSeconds s = hostprobe::TicksToSeconds(stat->total, 100);
  FUZZ_CHECK(s.user >= 0 && s.nice >= 0 && s.system >= 0 && s.idle >= 0 && s.iowait >= 0 && s.irq >= 0 &&
             s.softirq >= 0 && s.steal >= 0);
  return 0;
}
