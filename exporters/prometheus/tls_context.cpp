#include "exporters/prometheus/tls_context.h"

#include <civetweb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <vector>

namespace hostprobe {
namespace {

std::string OpenSslReason() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "no reason given by OpenSSL";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

// Client certificates are asked for but not judged (RequestClientCert,
// RequireAnyClientCert): any chain passes.
int AcceptAnyCertificate(int, X509_STORE_CTX*) { return 1; }

}  // namespace

Status InitTlsForCivetweb() {
  static const bool ok = (mg_init_library(MG_FEATURES_TLS) & MG_FEATURES_TLS) != 0;
  if (!ok) return Error{"civetweb could not initialize OpenSSL: " + OpenSslReason(), EINVAL};
  return Ok{};
}

Status ConfigureTlsContext(void* raw, const TlsServerConfig& tls) {
  SSL_CTX* ctx = static_cast<SSL_CTX*>(raw);
  ERR_clear_error();
  const int min = tls.min_version == TlsVersion::kTls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
  const int max = tls.max_version == TlsVersion::kTls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (SSL_CTX_set_min_proto_version(ctx, min) != 1 || SSL_CTX_set_max_proto_version(ctx, max) != 1)
    return Error{"cannot set the TLS versions: " + OpenSslReason(), EINVAL};
  if (SSL_CTX_use_certificate_chain_file(ctx, tls.cert_file.c_str()) != 1)
    return Error{"cert_file " + tls.cert_file + " is not a usable PEM certificate: " + OpenSslReason(),
                 EINVAL};
  if (SSL_CTX_use_PrivateKey_file(ctx, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    // A good key for another certificate fails here already, checked against the certificate.
    const bool mismatch = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
    return Error{
        "key_file " + tls.key_file +
            (mismatch ? " does not match cert_file " + tls.cert_file : " is not a usable PEM private key") +
            ": " + OpenSslReason(),
        EINVAL};
  }
  if (SSL_CTX_check_private_key(ctx) != 1)
    return Error{
        "key_file " + tls.key_file + " does not match cert_file " + tls.cert_file + ": " + OpenSslReason(),
        EINVAL};
  if (!tls.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, tls.client_ca_file.c_str(), nullptr) != 1)
      return Error{
          "client_ca_file " + tls.client_ca_file + " holds no usable PEM certificate: " + OpenSslReason(),
          EINVAL};
    // Tells clients which CAs are accepted, so they pick the right certificate.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str()))
      SSL_CTX_set_client_CA_list(ctx, names);
  }
  switch (tls.client_auth) {
    case ClientAuth::kNoClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
      break;
    case ClientAuth::kRequestClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, AcceptAnyCertificate);
      break;
    case ClientAuth::kRequireAnyClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, AcceptAnyCertificate);
      break;
    case ClientAuth::kVerifyClientCertIfGiven:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
      break;
    case ClientAuth::kRequireAndVerifyClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  // Without a session id context OpenSSL refuses to resume sessions once
  // client certificates are involved.
  static const unsigned char kSessionContext[] = "hostprobe";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1);

  if (!tls.cipher_suites.empty()) {
    // The config names suites the IANA way (as Go does); OpenSSL has its own
    // names. Look every suite OpenSSL knows up by its standard name.
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> all(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
    if (!all || SSL_CTX_set_cipher_list(all.get(), "ALL:COMPLEMENTOFALL:@SECLEVEL=0") != 1)
      return Error{"cannot list OpenSSL's cipher suites: " + OpenSslReason(), EINVAL};
    STACK_OF(SSL_CIPHER)* known = SSL_CTX_get_ciphers(all.get());
    std::string list;
    for (const auto& want : tls.cipher_suites) {
      const SSL_CIPHER* found = nullptr;
      for (int i = 0; i < sk_SSL_CIPHER_num(known) && found == nullptr; ++i) {
        const SSL_CIPHER* c = sk_SSL_CIPHER_value(known, i);
        const char* standard = SSL_CIPHER_standard_name(c);
        if (standard != nullptr && want == standard) found = c;
      }
      if (found == nullptr) return Error{"cipher suite " + want + " is not known to OpenSSL", EINVAL};
      if (std::string(SSL_CIPHER_get_version(found)) == "TLSv1.3")
        return Error{"cipher suite " + want + " is a TLS 1.3 suite; cipher_suites applies to TLS 1.2 only",
                     EINVAL};
      list += (list.empty() ? "" : ":") + std::string(SSL_CIPHER_get_name(found));
    }
    if (SSL_CTX_set_cipher_list(ctx, list.c_str()) != 1)
      return Error{"cipher_suites cannot be used (" + list + "): " + OpenSslReason(), EINVAL};
  }
  if (tls.prefer_server_cipher_suites)
    SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  else
    SSL_CTX_clear_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (!tls.curves.empty()) {
    std::string groups;
    for (const auto& g : tls.curves) groups += (groups.empty() ? "" : ":") + g;
    if (SSL_CTX_set1_groups_list(ctx, groups.c_str()) != 1)
      return Error{"curve_preferences cannot be used (" + groups + "): " + OpenSslReason(), EINVAL};
  }
  return Ok{};
}

}  // namespace hostprobe
