// Label value hygiene: whatever a process or cgroup is called, the value we
// export is valid UTF-8. Escaping for the text format is the serializer's job.
#pragma once

#include <string>
#include <string_view>

namespace hostprobe {

// Replaces every invalid UTF-8 sequence with U+FFFD and drops NUL bytes.
// Valid input comes back unchanged.
std::string SanitizeLabelValue(std::string_view raw);

}  // namespace hostprobe
