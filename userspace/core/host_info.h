// What host this is (time zone, kernel release, OS name) and whether its
// clock is synchronized. The parsers are pure; ReadHostInfo reads files
// under a root path so a sensor in a container can read the host's /etc
// (--rootfs /host), and takes the two system calls it needs as functions so
// tests can fake them.
#pragma once

#include <sys/timex.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace hostprobe {

struct HostInfo {
  std::string timezone;  // IANA name ("Europe/Berlin"), else an abbreviation ("CET")
  std::string kernel;    // uname -r
  std::string os;        // PRETTY_NAME of os-release
  bool operator==(const HostInfo&) const = default;
};

// Zone name from where /etc/localtime points: the path after the last
// "zoneinfo/" directory, without the "posix/" or "right/" variant prefix
// ("../usr/share/zoneinfo/posix/Europe/Berlin" -> "Europe/Berlin"). nullopt
// when the target is not inside a zoneinfo directory or the name is not a
// plausible zone name.
std::optional<std::string> ZoneFromLocaltimeTarget(std::string_view target);

// Zone name from the text of /etc/timezone (Debian): its first line, trimmed.
std::optional<std::string> ZoneFromTimezoneFile(std::string_view text);

// PRETTY_NAME from os-release(5) text, with shell quoting and escapes undone.
// nullopt when the key is absent or empty.
std::optional<std::string> PrettyNameFromOsRelease(std::string_view text);

struct HostInfoSystem {
  std::function<std::optional<std::string>()> kernel_release;     // uname(2) release
  std::function<std::optional<std::string>()> zone_abbreviation;  // localtime_r's tm_zone
};

// uname(2) and localtime_r(3) of this process.
HostInfoSystem RealHostInfoSystem();

// Reads <rootfs>/etc/localtime (the link target), <rootfs>/etc/timezone,
// <rootfs>/etc/os-release or <rootfs>/usr/lib/os-release. Fields that cannot
// be found are "unknown" (os: "Linux" when os-release has no PRETTY_NAME,
// as os-release(5) specifies). The zone abbreviation fallback is this
// process's own local zone: inside a container, the container's.
HostInfo ReadHostInfo(const std::string& rootfs, const HostInfoSystem& system);

// The kernel clock's synchronization state, as adjtimex(2) reports it.
struct ClockState {
  bool synchronized = false;           // STA_UNSYNC clear and the state is not TIME_ERROR
  double max_error_seconds = 0;        // timex.maxerror (µs)
  double estimated_error_seconds = 0;  // timex.esterror (µs)
};

// Pure. `state` is adjtimex's return value (TIME_OK, ..., TIME_ERROR).
ClockState ClockStateFromTimex(int state, const struct timex& tx);

}  // namespace hostprobe
