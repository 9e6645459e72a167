// Routes libbpf's messages to spdlog and remembers the latest warnings, so a
// failed load or attach can be reported with libbpf's own reason. What is
// remembered belongs to the thread whose libbpf call printed it (libbpf
// prints from the calling thread) and to the current operation: each
// operation starts with BeginLibbpfOperation(), so its failure never carries
// a warning left by an earlier one or by another thread.
#pragma once

#include <string>

#include "core/result.h"

namespace hostprobe {

// Installs the print callback. Idempotent.
void InstallLibbpfLogger();

// Forgets this thread's remembered warning and verifier reason. Call at the
// start of each operation (open-configure-load of a skeleton, an attach)
// whose failure LibbpfFailure or LastLibbpfWarning reports.
void BeginLibbpfOperation();

// This thread's most recent libbpf warning line (not verifier log) since
// BeginLibbpfOperation() or the last LibbpfFailure, trimmed; empty if none.
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
// warning of this operation appended as the reason when there is one, the
// verifier's reason when it refused a program in this operation, and
// PermissionHint(err). Both are reported once: this clears them.
Error LibbpfFailure(const std::string& what, int err);

}  // namespace hostprobe
