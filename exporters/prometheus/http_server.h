// One HTTP port for /metrics, /healthz and / (civetweb underneath,
// prometheus-cpp's TextSerializer for the exposition).
#pragma once

#include <prometheus/collectable.h>

#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/collector.h"
#include "core/result.h"
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
    // Optional last step over the merged families (adds pod names).
    std::function<void(std::vector<prometheus::MetricFamily>&)> enrich;
    // Optional cap on series per family, applied after enrich.
    std::shared_ptr<SeriesLimiter> limiter;
  };

  // Binds `listen` ("HOST:PORT", "[::1]:PORT"). Fails with a message saying
  // what to do when the port is taken or not permitted.
  static Result<std::unique_ptr<HttpServer>> Start(const std::string& listen, Handlers handlers);
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

 private:
  explicit HttpServer(Handlers handlers) : handlers_(std::move(handlers)) {}
  static int HandleRequest(mg_connection* conn, void* self);
  int Handle(mg_connection* conn);

  Handlers handlers_;
  mg_context* ctx_ = nullptr;
  mutable std::mutex scrape_mu_;
  mutable std::vector<double> last_durations_;  // seconds per collectable, previous scrape
  std::shared_mutex gate_;
  bool closed_ = false;  // guarded by gate_
};

}  // namespace hostprobe
