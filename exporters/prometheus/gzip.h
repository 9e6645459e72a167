#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace hostprobe {

// gzip (RFC 1952) of `in`, for Content-Encoding: gzip.
Result<std::string> Gzip(std::string_view in);

// True when an Accept-Encoding header value allows gzip (q=0 excluded).
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace hostprobe
