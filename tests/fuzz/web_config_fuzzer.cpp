// Web config parser (--web-config, exporter-toolkit YAML): never crashes on
// any input, and what it accepts is self-consistent: TLS files are absolute
// paths when TLS is on, versions are ordered, the modes that verify a client
// certificate have a CA to verify it with, and every user has a bcrypt hash.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/web_config.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = hostprobe::ParseWebConfig(text, "/etc/hostprobe/web");
  if (!parsed) {
    FUZZ_CHECK(!parsed.error().message.empty());
    return 0;
  }
  const hostprobe::TlsServerConfig& tls = parsed->tls;
  if (tls.enabled) {
    FUZZ_CHECK(!tls.cert_file.empty() && tls.cert_file.front() == '/');
    FUZZ_CHECK(!tls.key_file.empty() && tls.key_file.front() == '/');
    FUZZ_CHECK(tls.min_version <= tls.max_version);
    if (tls.client_auth == hostprobe::ClientAuth::kVerifyClientCertIfGiven ||
        tls.client_auth == hostprobe::ClientAuth::kRequireAndVerifyClientCert)
      FUZZ_CHECK(!tls.client_ca_file.empty());
  }
  for (const auto& [user, hash] : parsed->basic_auth_users) {
    FUZZ_CHECK(!user.empty());
    FUZZ_CHECK(hash.rfind("$2", 0) == 0);
  }
  return 0;
}
