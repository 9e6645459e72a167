// TLS for the HTTP endpoint: civetweb does the handshakes and I/O through the
// OpenSSL it loads at run time; this file makes that loading work with
// OpenSSL 3 and configures the server context from a web config.
#pragma once

#include <string>

#include "core/result.h"
#include "core/web_config.h"

namespace hostprobe {

// Loads the OpenSSL 3 compatibility objects (openssl3_compat.c) from the
// directory of the running executable or from <that directory>/../lib/hostprobe,
// then initializes civetweb's TLS. Fails saying which file is missing.
Status LoadOpenSslForCivetweb();

// Sets up `ssl_ctx` (an SSL_CTX*, as civetweb's init_ssl callback passes it):
// certificate chain and key, client certificate policy and CAs, protocol
// versions, TLS 1.2 cipher suites, curves. Errors name the file or setting
// and carry OpenSSL's reason.
Status ConfigureTlsContext(void* ssl_ctx, const TlsServerConfig& tls);

}  // namespace hostprobe
