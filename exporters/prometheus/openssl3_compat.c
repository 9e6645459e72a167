/* Lets Debian 12's libcivetweb (built against the OpenSSL 1.1 API) use
 * OpenSSL 3. civetweb dlopen()s "libssl.so" and "libcrypto.so" and resolves
 * its functions with dlsym(); OpenSSL 3 turned SSL_get_peer_certificate into
 * a macro, so that lookup fails and civetweb refuses TLS. Built twice as a
 * shared object: once with SONAME libssl.so (this function, linked to
 * libssl.so.3) and once with SONAME libcrypto.so (empty, linked to
 * libcrypto.so.3). Loaded by path before civetweb starts TLS, so the dynamic
 * loader hands them to civetweb's dlopen() by SONAME, and dlsym() on them
 * finds everything else in the real libraries they depend on. See
 * tls_context.cpp, LoadOpenSslForCivetweb. */
#ifdef HOSTPROBE_COMPAT_SSL
#include <openssl/ssl.h>

#undef SSL_get_peer_certificate
X509 *SSL_get_peer_certificate(const SSL *ssl);
X509 *SSL_get_peer_certificate(const SSL *ssl) { return SSL_get1_peer_certificate(ssl); }
#else
/* An object needs one symbol; this one names what the library is for. */
int hostprobe_openssl3_crypto_compat(void);
int hostprobe_openssl3_crypto_compat(void) { return 3; }
#endif
