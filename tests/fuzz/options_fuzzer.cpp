// Flag parsing: the input is argv, NUL-separated. Accepted options respect
// every documented bound, and the listen address the sensor would bind
// (ListenAddress()) parses back to the same host and port.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/options.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> args{"hostprobe"};
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('\0', start);
    if (end == std::string_view::npos) end = text.size();
    args.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  auto o = hostprobe::ParseOptions(args);
  if (!o) {
    FUZZ_CHECK(!o.error().message.empty());
    return 0;
  }
  FUZZ_CHECK(o->listen_port != 0 && !o->listen_host.empty());
  FUZZ_CHECK(o->sample_interval >= std::chrono::milliseconds(1) && o->leak_window.count() > 0);
  // The leak detector's rule, in the milliseconds main hands on.
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  FUZZ_CHECK(duration_cast<milliseconds>(o->leak_window).count() / 36 >=
             duration_cast<milliseconds>(o->sample_interval).count());
  FUZZ_CHECK(o->top_processes <= 100000);
  FUZZ_CHECK(o->cgroup_root.empty() || o->cgroup_root.front() == '/');
  FUZZ_CHECK(!o->procfs.empty() && o->procfs.front() == '/');
  FUZZ_CHECK(!o->rootfs.empty() && o->rootfs.front() == '/');
  const std::string_view level = o->log_level;
  FUZZ_CHECK(level == "trace" || level == "debug" || level == "info" || level == "warn" || level == "error");

  auto listen = hostprobe::ParseOptions({"hostprobe", "--listen", o->ListenAddress()});
  FUZZ_CHECK(listen.ok());
  FUZZ_CHECK(listen->listen_host == o->listen_host && listen->listen_port == o->listen_port);
  return 0;
}
