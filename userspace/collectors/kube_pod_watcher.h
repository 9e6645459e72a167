// Keeps this node's pods from the Kubernetes API server in the background, so
// per-cgroup series can be joined with namespace, pod and container names. A
// scrape only ever reads the last state: it never waits for the API server.
//
// One LIST at resourceVersion=0 (served from the API server's watch cache,
// not from etcd), then a WATCH from the list's resourceVersion that streams
// each change as it happens; the watch is resumed where it left off when the
// server ends it, and only a "410 Gone" (the version is too old) or an error
// lists again. A node thus costs the API server one list at start and an
// idle stream, not a list every interval.
#pragma once

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/collector.h"
#include "core/kube_pods.h"

namespace hostprobe {

class KubePodWatcher final : public Collector {
 public:
  struct Config {
    std::string api_url;     // "https://10.0.0.1:443"; http:// for tests
    std::string node_name;   // spec.nodeName to select on
    std::string token_file;  // bearer token, re-read on every request (tokens rotate)
    std::string ca_file;     // CA bundle for https; empty: the system's
    // Wait before listing again after a failure; health allows 3 of them.
    std::chrono::milliseconds interval = std::chrono::seconds(30);
    std::chrono::milliseconds timeout = std::chrono::seconds(10);    // connect, and the whole LIST
    std::chrono::seconds watch_timeout = std::chrono::seconds(300);  // server-side end of one WATCH
  };

  // Starts the background thread; the first list is attempted at once.
  explicit KubePodWatcher(Config config);
  ~KubePodWatcher() override;  // stops and joins (within about a second)
  KubePodWatcher(const KubePodWatcher&) = delete;
  KubePodWatcher& operator=(const KubePodWatcher&) = delete;

  std::string name() const override { return "kubernetes"; }
  std::vector<HookStatus> hooks() const override { return {}; }
  // Unhealthy before the first list, and when neither a list nor the watch
  // has answered for three intervals.
  CollectorHealth health() override;

  // The latest state (empty before the first list).
  std::shared_ptr<const PodDirectory> directory() const;

  uint64_t lists() const { return lists_.load(); }      // LIST requests made
  uint64_t watches() const { return watches_.load(); }  // WATCH requests made

 private:
  enum class WatchEnd { kServerClosed, kGone, kFailed, kStopped };
  void Run();
  Result<PodDirectory> ListOnce();
  WatchEnd WatchOnce(std::string* error);
  // One request for this node's pods (`query` after the field selector):
  // a bounded LIST, or a long-lived WATCH stream when `stream`.
  struct Transfer {
    CURLcode rc = CURLE_OK;
    long status = 0;
  };
  Transfer Perform(const std::string& query, curl_write_callback write, void* data, bool stream);
  bool Stopping() const;
  void Touch();  // the API server answered

  const Config config_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::atomic<bool> stop_flag_{false};  // read by curl's progress callback
  std::shared_ptr<const PodDirectory> directory_;
  std::chrono::steady_clock::time_point last_contact_{};
  bool listed_ = false;
  std::string last_error_;
  std::atomic<uint64_t> lists_{0}, watches_{0};
  std::thread thread_;
};

}  // namespace hostprobe
