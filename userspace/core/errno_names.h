// Symbolic errno names ("ENOENT"), including the kernel-internal restart
// codes (ERESTARTSYS...) that syscall exit tracepoints can observe.
#pragma once

#include <cstdint>
#include <string>

namespace hostprobe {

// "ENOENT" for 2; "errno_<n>" for numbers with no name.
std::string ErrnoName(uint32_t err);

}  // namespace hostprobe
