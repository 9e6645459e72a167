// TLS for the HTTP endpoint: civetweb (third_party/civetweb, linked against
// OpenSSL 3) does the handshakes and I/O; this file initializes it for TLS and
// configures the server context from a web config.
#pragma once

#include <string>

#include "core/result.h"
#include "core/web_config.h"

namespace hostprobe {

// Initializes civetweb's TLS (once per process; later calls return the first
// result).
Status InitTlsForCivetweb();

// Sets up `ssl_ctx` (an SSL_CTX*, as civetweb's init_ssl callback passes it):
// certificate chain and key, client certificate policy and CAs, protocol
// versions, TLS 1.2 cipher suites, curves. Errors name the file or setting
// and carry OpenSSL's reason.
Status ConfigureTlsContext(void* ssl_ctx, const TlsServerConfig& tls);

}  // namespace hostprobe
