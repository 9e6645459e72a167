// Lists this node's pods from the Kubernetes API server in the background, so
// per-cgroup series can carry namespace, pod and container names. A scrape
// only ever reads the last list: it never waits for the API server.
#pragma once

#include <chrono>
#include <condition_variable>
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
    std::string token_file;  // bearer token, re-read on every list (tokens rotate)
    std::string ca_file;     // CA bundle for https; empty: the system's
    std::chrono::milliseconds interval = std::chrono::seconds(30);
    std::chrono::milliseconds timeout = std::chrono::seconds(10);
  };

  // Starts the background thread; the first list is attempted at once.
  explicit KubePodWatcher(Config config);
  ~KubePodWatcher() override;  // stops and joins (at most one request timeout)
  KubePodWatcher(const KubePodWatcher&) = delete;
  KubePodWatcher& operator=(const KubePodWatcher&) = delete;

  std::string name() const override { return "kubernetes"; }
  std::vector<HookStatus> hooks() const override { return {}; }
  // Unhealthy when no list has succeeded for three intervals.
  CollectorHealth health() override;

  // The latest successful list (empty before the first).
  std::shared_ptr<const PodDirectory> directory() const;

 private:
  void Run();
  Result<PodDirectory> ListOnce() const;

  const Config config_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::shared_ptr<const PodDirectory> directory_;
  std::chrono::steady_clock::time_point last_success_{};
  std::string last_error_;
  std::thread thread_;
};

}  // namespace hostprobe
