// One HTTP port for /metrics, /healthz and / (civetweb underneath,
// text_format.h for the exposition).
#pragma once

#include <prometheus/collectable.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/basic_auth.h"
#include "core/collector.h"
#include "core/result.h"
#include "core/web_config.h"
#include "exporters/prometheus/series_limit.h"

struct mg_context;
struct mg_connection;

namespace hostprobe {

// Concatenates families that share a name, keeping the first HELP and TYPE,
// so several collectables may each contribute to one family.
std::vector<prometheus::MetricFamily> MergeFamilies(std::vector<prometheus::MetricFamily> in);

// Thread-safe after Start(): requests are served by civetweb's worker threads.
class HttpServer {
 public:
  struct Handlers {
    // Named so the time each one takes per scrape can be exported.
    std::vector<std::pair<std::string, std::shared_ptr<prometheus::Collectable>>> collectables;
    std::function<HealthReport()> health;
    // Optional cap on series per family, applied to the merged families.
    std::shared_ptr<SeriesLimiter> limiter;
  };

  // Binds `listen` ("HOST:PORT", "[::1]:PORT"). Fails with a message saying
  // what to do when the port is taken or not permitted, or the TLS setup of
  // `web` (from --web-config) cannot be used. With basic_auth_users, every
  // path but /healthz needs credentials (see docs/security.md).
  static Result<std::unique_ptr<HttpServer>> Start(const std::string& listen, Handlers handlers,
                                                   WebConfig web = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Stops handing requests to the handlers: waits for requests in flight,
  // then answers 503 to any that arrive later. After Close() the collectors
  // behind the handlers may be destroyed. (mg_stop, in the destructor, can
  // take up to 2 s because civetweb's accept loop polls with that timeout;
  // a process that is exiting need not wait for it.)
  void Close();

  // The exposition served on /metrics (uncompressed).
  std::string RenderMetrics() const;

  // Called from civetweb's log callback on its worker threads.
  void CountTlsHandshakeFailure() { tls_failures_.fetch_add(1, std::memory_order_relaxed); }

 private:
  HttpServer(Handlers handlers, WebConfig web);
  static int HandleRequest(mg_connection* conn, void* self);
  static int InitTls(void* ssl_ctx, void* self);
  int Handle(mg_connection* conn);
  // False (after answering 401) when basic auth is on and the request's
  // credentials are missing or wrong.
  bool Authorized(mg_connection* conn, const std::string& path, bool head);

  Handlers handlers_;
  const WebConfig web_;
  std::unique_ptr<BasicAuthenticator> auth_;  // null without basic_auth_users
  std::string tls_error_;                     // set by InitTls when the TLS setup fails
  std::atomic<uint64_t> unauthorized_{0};
  std::atomic<uint64_t> tls_failures_{0};
  mg_context* ctx_ = nullptr;
  mutable std::mutex scrape_mu_;
  mutable std::atomic<size_t> last_size_{0};    // of the previous exposition, to reserve for the next
  mutable std::vector<double> last_durations_;  // seconds per collectable, previous scrape
  std::shared_mutex gate_;
  bool closed_ = false;  // guarded by gate_
};

}  // namespace hostprobe
