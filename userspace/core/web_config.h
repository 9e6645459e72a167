// --web-config: TLS and basic auth for the HTTP endpoint, in the web
// configuration format of the Prometheus exporter-toolkit (YAML):
//
//   tls_server_config:
//     cert_file: server.crt          # PEM; relative paths are relative to this file
//     key_file: server.key
//     client_ca_file: ca.crt         # optional: CAs that sign client certificates
//     client_auth_type: RequireAndVerifyClientCert   # default NoClientCert
//     min_version: TLS12             # TLS12 (default) or TLS13
//     max_version: TLS13             # default TLS13
//     cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]   # TLS 1.2 only; IANA names
//     prefer_server_cipher_suites: true
//     curve_preferences: [X25519, CurveP256]
//   basic_auth_users:
//     prometheus: $2y$10$...         # bcrypt hash
//
// Parsing is strict, as exporter-toolkit's is: an unknown key, a duplicate
// key or a value of the wrong shape is an error naming its line. TLS 1.0 and
// 1.1 are refused (RFC 8996 deprecates them; Debian's OpenSSL disables them).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"

namespace hostprobe {

enum class ClientAuth {
  kNoClientCert,                // no certificate asked for
  kRequestClientCert,           // asked for, not required, not verified
  kRequireAnyClientCert,        // required, not verified
  kVerifyClientCertIfGiven,     // not required; verified against client_ca_file if sent
  kRequireAndVerifyClientCert,  // required and verified against client_ca_file
};

enum class TlsVersion { kTls12, kTls13 };

struct TlsServerConfig {
  bool enabled = false;   // false: plain HTTP
  std::string cert_file;  // absolute (resolved against the config file's directory)
  std::string key_file;
  std::string client_ca_file;  // empty: none
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  TlsVersion min_version = TlsVersion::kTls12;
  TlsVersion max_version = TlsVersion::kTls13;
  std::vector<std::string> cipher_suites;  // IANA names; empty: OpenSSL's defaults
  bool prefer_server_cipher_suites = true;
  std::vector<std::string> curves;  // OpenSSL group names ("X25519", "P-256"); empty: defaults
};

struct WebConfig {
  TlsServerConfig tls;
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash; empty: no auth
};

// Parses the text of a web config. Errors read "line N: ..." (1-based).
// Relative file names are resolved against `base_dir`. Checks shapes and
// names only; LoadWebConfig also checks that the files can be read.
Result<WebConfig> ParseWebConfig(std::string_view yaml, const std::string& base_dir);

// Reads and parses `path`, then checks that every file it names can be read.
// Errors start with "web config <path>: ".
Result<WebConfig> LoadWebConfig(const std::string& path);

const char* ClientAuthName(ClientAuth auth);

}  // namespace hostprobe
