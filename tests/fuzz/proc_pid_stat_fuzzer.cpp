// /proc/<pid>/stat and /proc/<pid>/comm: a process names itself (any bytes
// but NUL, PR_SET_NAME), and the kernel prints the name raw. For any such
// name, the line the kernel would print parses back to exactly that name,
// flags and start time. The input itself is parsed too: what is accepted
// ends in a newline and has its name between the pid's " (" and the last ')'.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/procfs.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto raw = hostprobe::ParsePidStat(text); raw) {
    FUZZ_CHECK(!text.empty() && text.back() == '\n');
    // The name is what lies between the pid's " (" and the last ')'.
    const size_t open = text.find(" (") + 2;
    FUZZ_CHECK(text.substr(open, raw->comm.size()) == raw->comm);
    FUZZ_CHECK(text.size() > open + raw->comm.size() && text[open + raw->comm.size()] == ')');
    FUZZ_CHECK(text.find(')', open + raw->comm.size() + 1) == std::string_view::npos);
  } else {
    FUZZ_CHECK(raw.error().message.starts_with("malformed stat"));
  }

  // The first 8 bytes pick the start time (and flags), the rest is the name.
  uint64_t start = 0;
  std::memcpy(&start, data, std::min<size_t>(size, sizeof(start)));
  std::string comm;
  for (size_t i = sizeof(start); i < size; ++i)
    if (data[i] != 0) comm += static_cast<char>(data[i]);
  const uint64_t flags = start >> 7;
  const std::string line = "4242 (" + comm + ") S 1 4242 4242 0 -1 " + std::to_string(flags) +
                           " 96 0 0 0 0 0 0 0 20 0 1 0 " + std::to_string(start) +
                           " 3133440 360 18446744073709551615 94428153458688 0 0\n";
  auto stat = hostprobe::ParsePidStat(line);
  FUZZ_CHECK(stat.ok());
  FUZZ_CHECK(stat->comm == comm);
  FUZZ_CHECK(stat->start_ticks == start);
  FUZZ_CHECK(stat->flags == flags);

  auto from_comm = hostprobe::ParsePidComm(comm + "\n");
  FUZZ_CHECK(from_comm.ok());
  FUZZ_CHECK(*from_comm == comm);
  return 0;
}
