// The endpoint under --web-config: TLS (versions, client certificates),
// basic auth, bad configs, idle connections, oversized requests. A throwaway
// CA, server and client certificates are made with the openssl CLI per test;
// requests go through the curl and openssl CLIs. Needs root (the sensor loads
// eBPF); skipped otherwise.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

namespace hostprobe::testing {
namespace {

using ::testing::HasSubstr;

constexpr const char* kSensor = HOSTPROBE_BIN;
// bcrypt (cost 4, to keep tests quick) of "s3cret pass".
constexpr const char* kHash = "$2y$04$abcdefghijklmnopqrstuuoBpIrM0OnplXjsOI8DWYJTHUhJDuUv.";
constexpr const char* kCredentials = "prometheus:s3cret pass";

#define REQUIRE_ROOT() \
  if (geteuid() != 0) GTEST_SKIP() << "integration tests load eBPF programs: run them as root"

struct CurlResult {
  int rc = -1;      // curl's exit status: 0 when an HTTP response arrived
  int status = 0;   // HTTP status, 0 when none
  std::string out;  // headers (with -D -) and whatever else curl printed
};

class WebTest : public ::testing::Test {
 protected:
  void SetUp() override {
    REQUIRE_ROOT();
    std::string tmpl = "/tmp/hostprobe_web_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    // A CA, a server certificate for 127.0.0.1 signed by it, a client
    // certificate signed by it, and a self-signed client certificate.
    const std::string ec = "ec_paramgen_curve:P-256";
    ASSERT_EQ(Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", ec, "-nodes", "-keyout", P("ca.key"),
                       "-out", P("ca.crt"), "-days", "2", "-subj", "/CN=hostprobe test CA"}),
              0);
    for (const char* who : {"server", "client"}) {
      const std::string w = who;
      ASSERT_EQ(Openssl({"req", "-newkey", "ec", "-pkeyopt", ec, "-nodes", "-keyout", P(w + ".key"), "-out",
                         P(w + ".csr"), "-subj", "/CN=" + w}),
                0);
      std::ofstream(P(w + ".ext")) << (w == "server" ? "subjectAltName=IP:127.0.0.1\n"
                                                     : "extendedKeyUsage=clientAuth\n");
      ASSERT_EQ(Openssl({"x509", "-req", "-in", P(w + ".csr"), "-CA", P("ca.crt"), "-CAkey", P("ca.key"),
                         "-CAcreateserial", "-out", P(w + ".crt"), "-days", "2", "-extfile", P(w + ".ext")}),
                0);
    }
    ASSERT_EQ(Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", ec, "-nodes", "-keyout",
                       P("stranger.key"), "-out", P("stranger.crt"), "-days", "2", "-subj", "/CN=stranger"}),
              0);
  }

  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::string P(const std::string& name) const { return dir_ + "/" + name; }

  int Openssl(std::vector<std::string> args) {
    args.insert(args.begin(), "openssl");
    std::string out;
    int rc = RunCommand(args, &out);
    if (rc != 0) ADD_FAILURE() << "openssl failed: " << out;
    return rc;
  }

  std::string WriteConfig(const std::string& name, const std::string& text) {
    std::ofstream(P(name)) << text;
    return P(name);
  }

  // curl against the sensor; `args` go before the URL.
  CurlResult Curl(uint16_t port, const std::string& path, std::vector<std::string> args,
                  const std::string& scheme = "https") {
    std::vector<std::string> argv = {"curl", "-s", "-o",       "/dev/null",
                                     "-D",   "-",  "-w",       "status=%{http_code}\n",
                                     "-m",   "20", "--cacert", P("ca.crt")};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(scheme + "://127.0.0.1:" + std::to_string(port) + path);
    CurlResult r;
    r.rc = RunCommand(argv, &r.out);
    if (size_t at = r.out.rfind("status="); at != std::string::npos)
      r.status = std::atoi(r.out.c_str() + at + 7);
    return r;
  }

  // Waits until /healthz answers 200 over TLS (SensorProcess::WaitHealthy speaks plain HTTP).
  bool WaitHealthyTls(SensorProcess& sensor, std::vector<std::string> client_args = {}) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < until) {
      if (Curl(sensor.port(), "/healthz", client_args).status == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  std::string TlsConfig(const std::string& extra = "") {
    return "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n" + extra;
  }
  std::string AuthConfig() { return std::string("basic_auth_users:\n  prometheus: ") + kHash + "\n"; }

  std::string dir_;
};

TEST_F(WebTest, HttpsScrapeNeedsTheRightPassword) {
  SensorProcess sensor(kSensor, {"--web-config", WriteConfig("web.yml", TlsConfig() + AuthConfig())});
  ASSERT_TRUE(sensor.Start());
  ASSERT_TRUE(WaitHealthyTls(sensor)) << sensor.Log();  // /healthz needs no credentials

  auto none = Curl(sensor.port(), "/metrics", {});
  EXPECT_EQ(none.status, 401) << none.out;
  EXPECT_THAT(none.out, HasSubstr("WWW-Authenticate: Basic realm=\"hostprobe\""));
  EXPECT_EQ(Curl(sensor.port(), "/metrics", {"-u", "prometheus:s3cret pasS"}).status, 401);
  EXPECT_EQ(Curl(sensor.port(), "/metrics", {"-u", "grafana:s3cret pass"}).status, 401);
  EXPECT_EQ(Curl(sensor.port(), "/", {"-H", "Authorization: Bearer s3cret"}).status, 401);
  EXPECT_EQ(Curl(sensor.port(), "/nope", {}).status, 401);  // no hint of which paths exist

  const std::string body = P("metrics.txt");
  std::string out;
  ASSERT_EQ(RunCommand({"curl", "-sf", "--cacert", P("ca.crt"), "-u", kCredentials, "-o", body,
                        "https://127.0.0.1:" + std::to_string(sensor.port()) + "/metrics"},
                       &out),
            0)
      << out;
  Exposition e = ParseExposition(ReadFile(body));
  EXPECT_EQ(Value(e, "hostprobe_build_info{version=\"" HOSTPROBE_VERSION "\"}"), 1);
  EXPECT_EQ(Value(e, "hostprobe_http_unauthorized_requests_total"), 5);
  // With credentials, the other answers are as without TLS.
  EXPECT_EQ(Curl(sensor.port(), "/nope", {"-u", kCredentials}).status, 404);
  EXPECT_EQ(Curl(sensor.port(), "/metrics", {"-u", kCredentials, "-X", "POST"}).status, 405);
  EXPECT_EQ(Curl(sensor.port(), "/", {"-u", kCredentials}).status, 200);

  // Plain HTTP to the TLS port gets no HTTP answer at all.
  auto plain = HttpRequest(sensor.port(), "GET", "/healthz");
  EXPECT_TRUE(!plain.has_value() || plain->status == 0) << plain->status;
  EXPECT_EQ(sensor.Stop(SIGTERM, std::chrono::seconds(5)), 0);
}

TEST_F(WebTest, BasicAuthWithoutTls) {
  SensorProcess sensor(kSensor, {"--web-config", WriteConfig("web.yml", AuthConfig())});
  ASSERT_TRUE(sensor.Start());
  ASSERT_TRUE(sensor.WaitHealthy()) << sensor.Log();
  EXPECT_EQ(HttpRequest(sensor.port(), "GET", "/metrics")->status, 401);
  // The kubelet's probes need no credentials.
  EXPECT_EQ(HttpRequest(sensor.port(), "GET", "/healthz")->status, 200);
  EXPECT_EQ(HttpRequest(sensor.port(), "GET", "/livez")->status, 200);
  // "prometheus:s3cret pass" in base64.
  auto ok = HttpRequest(sensor.port(), "GET", "/metrics",
                        {"Authorization: Basic cHJvbWV0aGV1czpzM2NyZXQgcGFzcw=="});
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->status, 200);
  EXPECT_THAT(ok->body, HasSubstr("hostprobe_build_info"));
  EXPECT_EQ(sensor.Stop(SIGTERM, std::chrono::seconds(5)), 0);
}

TEST_F(WebTest, OnlyTls12AndLater) {
  SensorProcess sensor(kSensor, {"--web-config", WriteConfig("web.yml", TlsConfig())});
  ASSERT_TRUE(sensor.Start());
  ASSERT_TRUE(WaitHealthyTls(sensor)) << sensor.Log();
  const std::string target = "127.0.0.1:" + std::to_string(sensor.port());
  // The client is told to allow TLS 1.1 and its weak ciphers; the refusal
  // (alert 70, protocol_version) can only come from the server.
  std::string out;
  RunCommand({"sh", "-c",
              "openssl s_client -connect " + target + " -tls1_1 -cipher DEFAULT@SECLEVEL=0 </dev/null 2>&1"},
             &out);
  EXPECT_THAT(out, HasSubstr("alert protocol version")) << out;
  EXPECT_EQ(Curl(sensor.port(), "/healthz", {"--tlsv1.2", "--tls-max", "1.2"}).status, 200);
  EXPECT_EQ(Curl(sensor.port(), "/healthz", {"--tlsv1.3"}).status, 200);
  EXPECT_EQ(sensor.Stop(SIGTERM, std::chrono::seconds(5)), 0);
}

TEST_F(WebTest, MinVersionTls13RefusesTls12) {
  SensorProcess sensor(kSensor,
                       {"--web-config", WriteConfig("web.yml", TlsConfig("  min_version: TLS13\n"))});
  ASSERT_TRUE(sensor.Start());
  ASSERT_TRUE(WaitHealthyTls(sensor)) << sensor.Log();
  auto r = Curl(sensor.port(), "/healthz", {"--tlsv1.2", "--tls-max", "1.2"});
  EXPECT_NE(r.rc, 0);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(sensor.Stop(SIGTERM, std::chrono::seconds(5)), 0);
}

TEST_F(WebTest, ClientCertificateRequired) {
  SensorProcess sensor(
      kSensor, {"--web-config",
                WriteConfig("web.yml", TlsConfig("  client_ca_file: ca.crt\n"
                                                 "  client_auth_type: RequireAndVerifyClientCert\n"))});
  ASSERT_TRUE(sensor.Start());
  const std::vector<std::string> cert = {"--cert", P("client.crt"), "--key", P("client.key")};
  ASSERT_TRUE(WaitHealthyTls(sensor, cert)) << sensor.Log();
  EXPECT_EQ(Curl(sensor.port(), "/metrics", cert).status, 200);
  auto without = Curl(sensor.port(), "/metrics", {});
  EXPECT_NE(without.rc, 0);
  EXPECT_EQ(without.status, 0) << without.out;
  auto stranger = Curl(sensor.port(), "/metrics", {"--cert", P("stranger.crt"), "--key", P("stranger.key")});
  EXPECT_NE(stranger.rc, 0);
  EXPECT_EQ(stranger.status, 0) << stranger.out;
  // Both refusals are counted.
  const std::string body = P("metrics.txt");
  std::string out;
  ASSERT_EQ(
      RunCommand({"curl", "-sf", "--cacert", P("ca.crt"), "--cert", P("client.crt"), "--key", P("client.key"),
                  "-o", body, "https://127.0.0.1:" + std::to_string(sensor.port()) + "/metrics"},
                 &out),
      0)
      << out;
  EXPECT_EQ(Value(ParseExposition(ReadFile(body)), "hostprobe_http_tls_handshake_failures_total"), 2);
  EXPECT_EQ(sensor.Stop(SIGTERM, std::chrono::seconds(5)), 0);
}

TEST_F(WebTest, ClientCertificateVerifiedIfGiven) {
  SensorProcess sensor(
      kSensor,
      {"--web-config", WriteConfig("web.yml", TlsConfig("  client_ca_file: ca.crt\n"
                                                        "  client_auth_type: VerifyClientCertIfGiven\n"))});
  ASSERT_TRUE(sensor.Start());
  ASSERT_TRUE(WaitHealthyTls(sensor)) << sensor.Log();
  EXPECT_EQ(Curl(sensor.port(), "/metrics", {}).status, 200);
  EXPECT_EQ(Curl(sensor.port(), "/metrics", {"--cert", P("client.crt"), "--key", P("client.key")}).status,
            200);
  EXPECT_EQ(Curl(sensor.port(), "/metrics", {"--cert", P("stranger.crt"), "--key", P("stranger.key")}).status,
            0);
  EXPECT_EQ(sensor.Stop(SIGTERM, std::chrono::seconds(5)), 0);
}

TEST_F(WebTest, BadWebConfigExitsOneWithOneLine) {
  std::ofstream(P("wrong.key")) << "not a key\n";
  const std::pair<std::string, std::string> cases[] = {
      {P("missing.yml"), "cannot read it"},
      {WriteConfig("unknown.yml", TlsConfig("  ca_file: ca.crt\n")), "line 4: unknown key \"ca_file\""},
      {WriteConfig("hash.yml", "basic_auth_users:\n  prometheus: plaintext\n"), "line 2: the password of"},
      {WriteConfig("yaml.yml", "tls_server_config: [\n"), "bad YAML"},
      {WriteConfig("nocert.yml", "tls_server_config:\n  cert_file: none.crt\n  key_file: server.key\n"),
       "cert_file " + P("none.crt") + " cannot be read"},
      {WriteConfig("tls11.yml", TlsConfig("  min_version: TLS11\n")), "TLS 1.0 and 1.1 are deprecated"},
      // Found when the TLS context is built, after the collectors started.
      {WriteConfig("badkey.yml", "tls_server_config:\n  cert_file: server.crt\n  key_file: wrong.key\n"),
       "key_file " + P("wrong.key") + " is not a usable PEM private key"},
      {WriteConfig("mismatch.yml", "tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n"),
       "does not match cert_file"},
  };
  for (const auto& [config, reason] : cases) {
    std::string out;
    int rc = RunCommand(
        {kSensor, "--listen", "127.0.0.1:" + std::to_string(FreePort()), "--web-config", config}, &out);
    EXPECT_EQ(rc, 1) << config << ": " << out;
    // The last line is the failure: it names the file and the reason.
    while (!out.empty() && out.back() == '\n') out.pop_back();
    const std::string last = out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
    EXPECT_THAT(last, HasSubstr("hostprobe: web config " + config + ": ")) << out;
    EXPECT_THAT(last, HasSubstr(reason)) << out;
  }
}

TEST_F(WebTest, IdleConnectionsDoNotBlockAScrape) {
  SensorProcess sensor(kSensor, {"--web-config", WriteConfig("web.yml", TlsConfig() + AuthConfig())});
  ASSERT_TRUE(sensor.Start());
  ASSERT_TRUE(WaitHealthyTls(sensor)) << sensor.Log();
  // 64 clients connect and then send nothing (not even a TLS hello).
  std::vector<int> idle;
  for (int i = 0; i < 64; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(sensor.port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    idle.push_back(fd);
  }
  // Give the server time to hand each of them to a worker.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // Success is what is asserted; curl's limit only has to be below the
  // server's request timeout (5 s), after which the idle connections would
  // be dropped and any scrape would get through.
#ifndef __SANITIZE_ADDRESS__
  const char* limit = "4";
#else
  // Under AddressSanitizer the sensor is several times slower; the sanitized
  // run checks that the scrape completes, the release run that it is prompt.
  const char* limit = "15";
#endif
  auto r = Curl(sensor.port(), "/metrics", {"-u", kCredentials, "-m", limit});
  EXPECT_EQ(r.status, 200) << r.out;
  for (int fd : idle) close(fd);
  EXPECT_EQ(sensor.Stop(SIGTERM, std::chrono::seconds(5)), 0);
}

TEST_F(WebTest, OversizedHeaderGetsAnErrorNotAHang) {
  SensorProcess sensor(kSensor, {"--web-config", WriteConfig("web.yml", TlsConfig() + AuthConfig())});
  ASSERT_TRUE(sensor.Start());
  ASSERT_TRUE(WaitHealthyTls(sensor)) << sensor.Log();
  auto r =
      Curl(sensor.port(), "/metrics", {"-u", kCredentials, "-H", "X-Padding: " + std::string(20000, 'a')});
  EXPECT_EQ(r.rc, 0) << r.out;  // an answer, within curl's 20 s
  EXPECT_GE(r.status, 400) << r.out;
  EXPECT_LT(r.status, 500) << r.out;
  // And the server still serves afterwards.
  EXPECT_EQ(Curl(sensor.port(), "/metrics", {"-u", kCredentials}).status, 200);
  EXPECT_EQ(sensor.Stop(SIGTERM, std::chrono::seconds(5)), 0);
}

}  // namespace
}  // namespace hostprobe::testing
