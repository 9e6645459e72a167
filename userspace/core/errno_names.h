// Symbolic errno names ("ENOENT"): glibc's (strerrorname_np), and the
// kernel-internal codes (ERESTARTSYS...) that syscall exit tracepoints can
// observe and glibc does not name.
#pragma once

#include <cstdint>
#include <string>

namespace hostprobe {

// "ENOENT" for 2; "errno_<n>" for numbers with no name.
std::string ErrnoName(uint32_t err);

}  // namespace hostprobe
