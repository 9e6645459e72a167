#include "core/web_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/basic_auth.h"
#include "temp_dir.h"

namespace hostprobe {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kHash = "$2y$04$abcdefghijklmnopqrstuuoBpIrM0OnplXjsOI8DWYJTHUhJDuUv.";

std::string ErrorOf(const std::string& yaml) {
  auto r = ParseWebConfig(yaml, "/etc/hostprobe");
  EXPECT_FALSE(r.ok()) << yaml;
  return r.ok() ? "" : r.error().message;
}

TEST(WebConfig, FullConfigFixture) {
  std::ifstream in(std::string(HOSTPROBE_FIXTURES) + "/web/full.yml");
  std::stringstream ss;
  ss << in.rdbuf();
  auto r = ParseWebConfig(ss.str(), "/etc/hostprobe");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const TlsServerConfig& tls = r->tls;
  EXPECT_TRUE(tls.enabled);
  EXPECT_EQ(tls.cert_file, "/etc/hostprobe/certs/server.crt");  // relative to the config's directory
  EXPECT_EQ(tls.key_file, "/etc/hostprobe/server.key");         // absolute: unchanged
  EXPECT_EQ(tls.client_ca_file, "/etc/hostprobe/certs/ca.crt");
  EXPECT_EQ(tls.client_auth, ClientAuth::kRequireAndVerifyClientCert);
  EXPECT_EQ(tls.min_version, TlsVersion::kTls13);
  EXPECT_EQ(tls.max_version, TlsVersion::kTls13);
  EXPECT_EQ(tls.cipher_suites, (std::vector<std::string>{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                                                         "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"}));
  EXPECT_FALSE(tls.prefer_server_cipher_suites);
  EXPECT_EQ(tls.curves, (std::vector<std::string>{"X25519", "P-256"}));
  ASSERT_EQ(r->basic_auth_users.size(), 2u);
  EXPECT_EQ(r->basic_auth_users.at("prometheus"), kHash);
  EXPECT_EQ(r->basic_auth_users.at("grafana"),
            "$2a$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i");
}

// The example in docs/security.md is a valid config, and says what it says.
TEST(WebConfig, DocumentedExampleParses) {
  std::ifstream in(std::string(HOSTPROBE_FIXTURES) + "/../../../docs/security.md");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  const size_t section = doc.find("### The web config file");
  ASSERT_NE(section, std::string::npos);
  const size_t start = doc.find("```yaml\n", section);
  ASSERT_NE(start, std::string::npos);
  const size_t end = doc.find("```", start + 8);
  ASSERT_NE(end, std::string::npos);
  auto r = ParseWebConfig(doc.substr(start + 8, end - start - 8), "/etc/hostprobe/web");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->tls.enabled);
  EXPECT_EQ(r->tls.client_auth, ClientAuth::kRequireAndVerifyClientCert);
  ASSERT_EQ(r->basic_auth_users.count("prometheus"), 1u);
  EXPECT_TRUE(BcryptMatches("changeme", r->basic_auth_users.at("prometheus")));
}

TEST(WebConfig, DefaultsWhenOnlyCertAndKey) {
  auto r = ParseWebConfig("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n", "/d");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->tls.enabled);
  EXPECT_EQ(r->tls.min_version, TlsVersion::kTls12);
  EXPECT_EQ(r->tls.max_version, TlsVersion::kTls13);
  EXPECT_EQ(r->tls.client_auth, ClientAuth::kNoClientCert);
  EXPECT_TRUE(r->tls.prefer_server_cipher_suites);
  EXPECT_TRUE(r->basic_auth_users.empty());
}

TEST(WebConfig, EmptyFileAndEmptySectionsMeanPlainHttp) {
  for (const char* yaml :
       {"", "# nothing\n", "tls_server_config:\nbasic_auth_users:\n", "tls_server_config: {}\n"}) {
    auto r = ParseWebConfig(yaml, "/d");
    ASSERT_TRUE(r.ok()) << yaml << ": " << r.error().message;
    EXPECT_FALSE(r->tls.enabled) << yaml;
    EXPECT_TRUE(r->basic_auth_users.empty()) << yaml;
  }
}

TEST(WebConfig, AuthOnlyWithoutTls) {
  auto r = ParseWebConfig(std::string("basic_auth_users:\n  alice: ") + kHash + "\n", "/d");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->tls.enabled);
  EXPECT_EQ(r->basic_auth_users.at("alice"), kHash);
}

TEST(WebConfig, UnknownKeysAreErrorsWithLineNumbers) {
  EXPECT_EQ(ErrorOf("basic_auth_users: {}\ntls_config:\n  cert_file: a\n"),
            "line 2: unknown key \"tls_config\"; expected tls_server_config or basic_auth_users");
  EXPECT_EQ(ErrorOf("tls_server_config:\n  cert_file: a\n  key_file: b\n  cert: x\n"),
            "line 4: unknown key \"cert\" in tls_server_config");
  EXPECT_EQ(ErrorOf("http_server_config:\n  http2: false\n"),
            "line 1: http_server_config is not supported by hostprobe");
}

TEST(WebConfig, ClientAuthType) {
  const std::string base = "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: ca\n";
  const std::pair<const char*, ClientAuth> cases[] = {
      {"RequestClientCert", ClientAuth::kRequestClientCert},
      {"RequireAnyClientCert", ClientAuth::kRequireAnyClientCert},
      {"VerifyClientCertIfGiven", ClientAuth::kVerifyClientCertIfGiven},
      {"RequireAndVerifyClientCert", ClientAuth::kRequireAndVerifyClientCert}};
  for (const auto& [name, want] : cases) {
    auto r = ParseWebConfig(base + "  client_auth_type: " + name + "\n", "/d");
    ASSERT_TRUE(r.ok()) << name << ": " << r.error().message;
    EXPECT_EQ(r->tls.client_auth, want);
    EXPECT_STREQ(ClientAuthName(want), name);
  }
  EXPECT_THAT(ErrorOf(base + "  client_auth_type: RequireClientCerts\n"),
              StartsWith("line 5: unknown client_auth_type \"RequireClientCerts\"; expected NoClientCert,"));
  // A CA without a policy is a mistake exporter-toolkit refuses too.
  EXPECT_EQ(ErrorOf(base),
            "line 4: client_ca_file is set but client_auth_type is NoClientCert; set client_auth_type");
  // Verifying needs something to verify against.
  EXPECT_THAT(
      ErrorOf(
          "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: VerifyClientCertIfGiven\n"),
      HasSubstr("client_auth_type VerifyClientCertIfGiven needs client_ca_file"));
  auto any = ParseWebConfig(
      "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAnyClientCert\n", "/d");
  EXPECT_TRUE(any.ok());
}

TEST(WebConfig, TlsVersions) {
  const std::string base = "tls_server_config:\n  cert_file: a\n  key_file: b\n";
  EXPECT_EQ(ErrorOf(base + "  min_version: TLS11\n"),
            "line 4: min_version TLS11 is not supported: TLS 1.0 and 1.1 are deprecated (RFC 8996); use "
            "TLS12 or TLS13");
  EXPECT_THAT(ErrorOf(base + "  max_version: TLS10\n"),
              StartsWith("line 4: max_version TLS10 is not supported"));
  EXPECT_EQ(ErrorOf(base + "  min_version: TLS1.2\n"),
            "line 4: unknown min_version \"TLS1.2\"; expected TLS12 or TLS13");
  EXPECT_EQ(ErrorOf(base + "  min_version: TLS13\n  max_version: TLS12\n"),
            "line 5: min_version is above max_version");
  auto r = ParseWebConfig(base + "  min_version: TLS12\n  max_version: TLS12\n", "/d");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->tls.max_version, TlsVersion::kTls12);
}

TEST(WebConfig, MissingCertOrKey) {
  EXPECT_EQ(ErrorOf("tls_server_config:\n  key_file: b\n"), "line 2: tls_server_config needs cert_file");
  EXPECT_EQ(ErrorOf("tls_server_config:\n  cert_file: a\n"), "line 2: tls_server_config needs key_file");
}

TEST(WebConfig, BadHashes) {
  EXPECT_THAT(ErrorOf("basic_auth_users:\n  alice: secret\n"),
              StartsWith("line 2: the password of \"alice\" is not a bcrypt hash"));
  EXPECT_THAT(ErrorOf("basic_auth_users:\n  alice: $1$abc$def\n"), HasSubstr("htpasswd -nBC 10 alice"));
  // Cost 03 is below bcrypt's minimum; a truncated hash is not one.
  EXPECT_THAT(
      ErrorOf("basic_auth_users:\n  a: $2y$03$abcdefghijklmnopqrstuuoBpIrM0OnplXjsOI8DWYJTHUhJDuUv.\n"),
      HasSubstr("not a bcrypt hash"));
  EXPECT_THAT(
      ErrorOf("basic_auth_users:\n  a: $2y$04$abcdefghijklmnopqrstuuoBpIrM0OnplXjsOI8DWYJTHUhJDuUv\n"),
      HasSubstr("not a bcrypt hash"));
  EXPECT_THAT(ErrorOf(std::string("basic_auth_users:\n  'a:b': ") + kHash + "\n"),
              HasSubstr("must be non-empty and without ':'"));
}

TEST(WebConfig, BadYamlAndShapes) {
  EXPECT_THAT(ErrorOf("tls_server_config:\n  cert_file: [a\n"), StartsWith("line "));
  EXPECT_THAT(ErrorOf("tls_server_config:\n  cert_file: [a\n"), HasSubstr("bad YAML"));
  EXPECT_EQ(ErrorOf("- a\n- b\n"),
            "line 1: a web config is a mapping with tls_server_config and basic_auth_users");
  EXPECT_EQ(ErrorOf("tls_server_config: yes\n"), "line 1: tls_server_config must be a mapping");
  EXPECT_EQ(ErrorOf("tls_server_config:\n  cert_file: [a]\n"), "line 2: cert_file must be a string");
  EXPECT_EQ(ErrorOf("basic_auth_users:\n  a: x\n  a: y\n"), "line 3: duplicate key \"a\"");
  EXPECT_EQ(ErrorOf("a: 1\n---\nb: 2\n"), "line 2: more than one YAML document; a web config is one mapping");
  EXPECT_THAT(ErrorOf("basic_auth_users: &u\n  a: b\n"),
              HasSubstr("anchors, aliases and tags are not supported"));
  EXPECT_EQ(
      ErrorOf("tls_server_config:\n  cert_file: a\n  key_file: b\n  prefer_server_cipher_suites: maybe\n"),
      "line 4: prefer_server_cipher_suites must be true or false");
  EXPECT_THAT(
      ErrorOf("tls_server_config:\n  cert_file: a\n  key_file: b\n  curve_preferences: [CurveP224]\n"),
      StartsWith("line 4: unknown curve \"CurveP224\""));
  EXPECT_THAT(ErrorOf("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [AES128-SHA]\n"),
              StartsWith("line 4: cipher suite \"AES128-SHA\" is not an IANA name"));
}

TEST(WebConfig, LoadNamesTheFileAndChecksReadability) {
  test_util::TempDir dir;
  auto missing = LoadWebConfig(dir.path() + "/nope.yml");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message, StartsWith("web config " + dir.path() + "/nope.yml: cannot read it"));

  const std::string path = dir.path() + "/web.yml";
  std::ofstream(path) << "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n";
  std::ofstream(dir.path() + "/server.key") << "key";
  auto no_cert = LoadWebConfig(path);
  ASSERT_FALSE(no_cert.ok());
  EXPECT_THAT(no_cert.error().message,
              StartsWith("web config " + path + ": cert_file " + dir.path() + "/server.crt cannot be read"));

  std::ofstream(dir.path() + "/server.crt") << "cert";
  auto ok = LoadWebConfig(path);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->tls.cert_file, dir.path() + "/server.crt");

  std::ofstream(path) << "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  bogus: 1\n";
  auto bad = LoadWebConfig(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "web config " + path + ": line 4: unknown key \"bogus\" in tls_server_config");
}

}  // namespace
}  // namespace hostprobe
