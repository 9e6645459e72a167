// Routes libbpf's messages to spdlog and remembers the latest warnings, so a
// failed load or attach can be reported with libbpf's own reason.
#pragma once

#include <string>

#include "core/result.h"

namespace hostprobe {

// Installs the print callback. Idempotent.
void InstallLibbpfLogger();

// The most recent libbpf warning line (not verifier log), trimmed; empty if none.
std::string LastLibbpfWarning();

// Human-readable form of a libbpf error code (negative errno or libbpf's own).
std::string LibbpfError(int err);

// For a refusal (EPERM, EACCES) of bpf() or perf_event_open(): which of the
// capabilities that gate them the calling thread holds and lacks, so the log
// says what to grant, or that capabilities were not the reason. Empty for any
// other error. Starts with a space: append it to LibbpfError(err).
std::string PermissionHint(int err);

// An Error for a failed libbpf call `what` (e.g. "load diskio BPF programs
// (tp_btf)") that returned `err` (negative errno), with libbpf's latest
// warning appended as the reason when there is one, and the verifier's reason
// when a program was refused since the last failure reported, and
// PermissionHint(err).
Error LibbpfFailure(const std::string& what, int err);

}  // namespace hostprobe
