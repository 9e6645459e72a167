#include "collectors/clock_collector.h"

#include <cerrno>
#include <cstring>

namespace hostprobe {
namespace {

ClockCollector::Config WithDefaults(ClockCollector::Config c) {
  if (!c.adjtimex) c.adjtimex = [](struct timex* tx) { return adjtimex(tx); };
  HostInfoSystem real = RealHostInfoSystem();
  if (!c.system.kernel_release) c.system.kernel_release = real.kernel_release;
  if (!c.system.zone_abbreviation) c.system.zone_abbreviation = real.zone_abbreviation;
  return c;
}

}  // namespace

ClockCollector::ClockCollector(Config config) : config_(WithDefaults(std::move(config))) {}

Result<ClockState> ClockCollector::ReadClockState() const {
  struct timex tx {};
  tx.modes = 0;  // read only: needs no CAP_SYS_TIME and changes nothing
  errno = 0;
  int state = config_.adjtimex(&tx);
  if (state < 0) {
    const int err = errno != 0 ? errno : EINVAL;
    std::string message = "adjtimex: ";
    message += std::strerror(err);
    return Error{std::move(message), err};
  }
  return ClockStateFromTimex(state, tx);
}

CollectorHealth ClockCollector::health() {
  auto st = ReadClockState();
  if (!st) return {false, st.error().message};
  return {true, ""};
}

ClockSnapshot ClockCollector::ReadClock() {
  ClockSnapshot snap;
  snap.host = ReadHostInfo(config_.rootfs, config_.system);
  auto clock = ReadClockState();
  if (clock)
    snap.clock = *clock;
  else
    snap.clock_error = clock.error().message;
  return snap;
}

}  // namespace hostprobe
