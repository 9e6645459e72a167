// Routes libbpf's messages to spdlog and remembers the latest warnings, so a
// failed load or attach can be reported with libbpf's own reason.
#pragma once

#include <string>

namespace hostprobe {

// Installs the print callback. Idempotent.
void InstallLibbpfLogger();

// The most recent libbpf warning line (not verifier log), trimmed; empty if none.
std::string LastLibbpfWarning();

// Human-readable form of a libbpf error code (negative errno or libbpf's own).
std::string LibbpfError(int err);

}  // namespace hostprobe
