#include "exporters/prometheus/http_server.h"

#include <civetweb.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>
#include <map>
#include <sstream>

#include "exporters/prometheus/family_builder.h"
#include "exporters/prometheus/gzip.h"
#include "exporters/prometheus/text_format.h"
#include "exporters/prometheus/tls_context.h"

namespace hostprobe {
namespace {

constexpr const char* kLanding = R"(<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>hostprobe</title></head>
<body><h1>hostprobe</h1>
<p>eBPF host telemetry sensor, version )" HOSTPROBE_VERSION R"(.</p>
<ul><li><a href="/metrics">/metrics</a> &mdash; Prometheus metrics</li>
<li><a href="/healthz">/healthz</a> &mdash; readiness: health of every collector</li>
<li><a href="/livez">/livez</a> &mdash; liveness: the process serves</li></ul>
</body></html>
)";

void Send(mg_connection* conn, int status, const char* reason, const char* content_type,
          const std::string& body, bool head, const char* extra_headers = "") {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
            status, reason, content_type, body.size(), extra_headers);
  if (!head && !body.empty()) {
    int written = mg_write(conn, body.data(), body.size());
    if (written < 0 || static_cast<size_t>(written) != body.size())
      spdlog::debug("http: client went away after {} of {} bytes", written, body.size());
  }
}

// Workers serve one connection each, from accept until the response is sent
// or request_timeout_ms passes, so a client that connects and sends nothing
// holds a worker for that long. civetweb starts kPrespawnWorkers at start-up
// and one more whenever a connection arrives and none is idle, up to
// kMaxWorkers; a started worker stays (idle, parked on a condition variable)
// until the server stops. So the sensor at rest keeps two, Prometheus's
// sequential scrapes reuse them, and 64 idle connections still leave
// workers for scrapes (tests/integration/web_integration_test.cpp opens them).
constexpr const char* kPrespawnWorkers = "2";
constexpr const char* kMaxWorkers = "80";
// Longest a client may take to send its request (and to read the response):
// Prometheus sends a scrape request at once; slow or stalled clients are cut off.
constexpr const char* kRequestTimeoutMs = "5000";
// Request line plus headers; more gets an error status, not a bigger buffer.
// A scrape with basic auth needs well under 1 KiB.
constexpr const char* kMaxRequestBytes = "8192";

// civetweb reports why a bind failed only through its log callback, on the
// thread that called mg_start2; keep the first message for the error.
thread_local std::string t_start_error;

int LogMessage(const mg_connection* conn, const char* message) {
  spdlog::debug("http: {}", message);
  // civetweb reports a failed TLS handshake (no or a rejected client
  // certificate, plain HTTP on the TLS port, an old protocol) only here.
  if (conn != nullptr && std::strncmp(message, "sslize error", 12) == 0) {
    if (mg_context* ctx = mg_get_context(conn); ctx != nullptr && mg_get_user_data(ctx) != nullptr)
      static_cast<HttpServer*>(mg_get_user_data(ctx))->CountTlsHandshakeFailure();
  }
  if (t_start_error.empty()) t_start_error = message;
  return 1;
}

}  // namespace

std::vector<prometheus::MetricFamily> MergeFamilies(std::vector<prometheus::MetricFamily> in) {
  std::vector<prometheus::MetricFamily> out;
  std::map<std::string, size_t> index;
  for (auto& f : in) {
    auto [it, inserted] = index.emplace(f.name, out.size());
    if (inserted) {
      out.push_back(std::move(f));
    } else {
      auto& dst = out[it->second].metric;
      dst.insert(dst.end(), std::make_move_iterator(f.metric.begin()),
                 std::make_move_iterator(f.metric.end()));
    }
  }
  return out;
}

HttpServer::HttpServer(Handlers handlers, WebConfig web)
    : handlers_(std::move(handlers)), web_(std::move(web)) {
  if (!web_.basic_auth_users.empty()) auth_ = std::make_unique<BasicAuthenticator>(web_.basic_auth_users);
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& listen, Handlers handlers,
                                                      WebConfig web) {
  const bool tls = web.tls.enabled;
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(handlers), std::move(web)));
  if (tls) {
    if (auto st = InitTlsForCivetweb(); !st) return st.error();
  } else {
    mg_init_library(0);
  }
  // A trailing 's' makes civetweb speak TLS on the port.
  const std::string ports = listen + (tls ? "s" : "");
  std::vector<const char*> options = {"listening_ports",    ports.c_str(),       "num_threads",
                                      kMaxWorkers,          "prespawn_threads",  kPrespawnWorkers,
                                      "request_timeout_ms", kRequestTimeoutMs,   "max_request_size",
                                      kMaxRequestBytes,     "enable_keep_alive", "no"};
  if (tls) {
    // 4: TLS 1.2 and later; InitTls narrows it to the configured versions.
    options.insert(options.end(), {"ssl_protocol_version", "4"});
  }
  options.push_back(nullptr);
  mg_callbacks callbacks{};
  callbacks.log_message = LogMessage;
  if (tls) callbacks.init_ssl = &HttpServer::InitTls;
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = server.get();
  init.configuration_options = options.data();
  char errbuf[256] = {};
  mg_error_data error{};
  error.text = errbuf;
  error.text_buffer_size = sizeof(errbuf);
  t_start_error.clear();
  server->ctx_ = mg_start2(&init, &error);
  if (server->ctx_ == nullptr) {
    if (!server->tls_error_.empty()) return Error{"TLS setup failed: " + server->tls_error_, EINVAL};
    std::string why = !t_start_error.empty() ? t_start_error : errbuf[0] ? errbuf : "unknown error";
    return Error{"cannot listen on " + listen + " (" + why +
                     "): the port is taken, the address is not local, or binding is not permitted; "
                     "free the port or choose "
                     "another address with --listen HOST:PORT",
                 EADDRINUSE};
  }
  mg_set_request_handler(server->ctx_, "/", &HttpServer::HandleRequest, server.get());
  return server;
}

int HttpServer::InitTls(void* ssl_ctx, void* self) {
  auto* server = static_cast<HttpServer*>(self);
  if (auto st = ConfigureTlsContext(ssl_ctx, server->web_.tls); !st) {
    server->tls_error_ = st.error().message;
    return -1;
  }
  return 1;  // the context is complete: civetweb must not load certificates itself
}

bool HttpServer::Authorized(mg_connection* conn, const std::string& path, bool head) {
  // /healthz and /livez answer without credentials so kubelet probes keep
  // working; they tell only whether collectors run and whether the process
  // serves (docs/security.md).
  if (!auth_ || path == "/healthz" || path == "/livez") return true;
  const char* header = mg_get_header(conn, "Authorization");
  if (header != nullptr) {
    if (auto creds = ParseBasicAuthorization(header); creds && auth_->Verify(creds->user, creds->password))
      return true;
  }
  unauthorized_.fetch_add(1, std::memory_order_relaxed);
  spdlog::debug("http: 401 for {} ({})", path, header == nullptr ? "no credentials" : "wrong credentials");
  Send(conn, 401, "Unauthorized", "text/plain; charset=utf-8", "unauthorized\n", head,
       "WWW-Authenticate: Basic realm=\"hostprobe\"\r\n");
  return false;
}

HttpServer::~HttpServer() {
  if (ctx_ != nullptr) mg_stop(ctx_);
}

void HttpServer::Close() {
  std::unique_lock lock(gate_);
  closed_ = true;
}

int HttpServer::HandleRequest(mg_connection* conn, void* self) {
  return static_cast<HttpServer*>(self)->Handle(conn);
}

std::string HttpServer::RenderMetrics() const {
  const auto scrape_start = std::chrono::steady_clock::now();
  std::vector<prometheus::MetricFamily> all;
  std::vector<double> durations;
  for (const auto& [name, c] : handlers_.collectables) {
    const auto start = std::chrono::steady_clock::now();
    auto fams = c->Collect();
    durations.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    all.insert(all.end(), std::make_move_iterator(fams.begin()), std::make_move_iterator(fams.end()));
  }
  {
    // Reported one scrape late: the figure for this scrape is not known
    // until it has been serialized.
    std::lock_guard lock(scrape_mu_);
    auto f =
        MakeFamily("hostprobe_scrape_collector_duration_seconds",
                   "Time the previous scrape spent collecting, by collector.", prometheus::MetricType::Gauge);
    for (size_t i = 0; i < last_durations_.size() && i < handlers_.collectables.size(); ++i)
      AddGauge(f, {{"collector", handlers_.collectables[i].first}}, last_durations_[i]);
    all.push_back(std::move(f));
    last_durations_ = durations;
  }
  {
    auto f = MakeFamily("hostprobe_http_unauthorized_requests_total",
                        "Requests refused with 401: missing or wrong basic auth credentials.",
                        prometheus::MetricType::Counter);
    AddCounter(f, {}, static_cast<double>(unauthorized_.load(std::memory_order_relaxed)));
    all.push_back(std::move(f));
    auto t = MakeFamily("hostprobe_http_tls_handshake_failures_total",
                        "TLS handshakes that failed: no or a rejected client certificate, plain HTTP on the "
                        "TLS port, a protocol version or cipher not allowed.",
                        prometheus::MetricType::Counter);
    AddCounter(t, {}, static_cast<double>(tls_failures_.load(std::memory_order_relaxed)));
    all.push_back(std::move(t));
  }
  auto merged = MergeFamilies(std::move(all));
  if (handlers_.limiter) handlers_.limiter->Apply(merged);
  EscapeHelp(merged);
  const auto serialize_start = std::chrono::steady_clock::now();
  std::string out;
  out.reserve(last_size_.load(std::memory_order_relaxed) * 9 / 8);  // one allocation as a rule
  AppendTextFormat(out, merged);
  last_size_.store(out.size(), std::memory_order_relaxed);
  const auto end = std::chrono::steady_clock::now();
  spdlog::debug("scrape: {} families, {:.1f} ms collecting, {:.1f} ms serializing", merged.size(),
                std::chrono::duration<double, std::milli>(serialize_start - scrape_start).count(),
                std::chrono::duration<double, std::milli>(end - serialize_start).count());
  return out;
}

int HttpServer::Handle(mg_connection* conn) {
  const mg_request_info* req = mg_get_request_info(conn);
  const std::string method = req->request_method ? req->request_method : "";
  const std::string path = req->local_uri ? req->local_uri : "";
  const bool head = method == "HEAD";
  std::shared_lock lock(gate_);
  if (closed_) {
    Send(conn, 503, "Service Unavailable", "text/plain; charset=utf-8", "shutting down\n", head);
    return 503;
  }
  if (!Authorized(conn, path, head)) return 401;
  if (method != "GET" && !head) {
    Send(conn, 405, "Method Not Allowed", "text/plain; charset=utf-8", "method not allowed\n", false,
         "Allow: GET, HEAD\r\n");
    return 405;
  }
  if (path == "/metrics") {
    std::string body = RenderMetrics();
    const char* accept = mg_get_header(conn, "Accept-Encoding");
    if (accept != nullptr && AcceptsGzip(accept)) {
      if (auto gz = Gzip(body); gz.ok()) {
        Send(conn, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", *gz, head,
             "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n");
        return 200;
      }
    }
    Send(conn, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", body, head);
    return 200;
  }
  if (path == "/healthz") {
    HealthReport report = handlers_.health();
    if (report.healthy) {
      Send(conn, 200, "OK", "text/plain; charset=utf-8", report.text, head);
      return 200;
    }
    Send(conn, 503, "Service Unavailable", "text/plain; charset=utf-8", report.text, head);
    return 503;
  }
  // Liveness: this process accepts and answers requests. Nothing a
  // collector does changes it, so a kubelet never restarts the sensor (and
  // loses its counters and histories) for a part that cannot work on this
  // node; /healthz says that.
  if (path == "/livez") {
    Send(conn, 200, "OK", "text/plain; charset=utf-8", "ok\n", head);
    return 200;
  }
  if (path == "/") {
    Send(conn, 200, "OK", "text/html; charset=utf-8", kLanding, head);
    return 200;
  }
  Send(conn, 404, "Not Found", "text/plain; charset=utf-8", "not found; try /metrics, /healthz or /livez\n",
       head);
  return 404;
}

}  // namespace hostprobe
