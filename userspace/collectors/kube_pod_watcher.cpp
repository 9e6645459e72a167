#include "collectors/kube_pod_watcher.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

namespace hostprobe {
namespace {

size_t AppendBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

std::string ReadTrimmed(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

KubePodWatcher::KubePodWatcher(Config config)
    : config_(std::move(config)), directory_(std::make_shared<PodDirectory>()) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  thread_ = std::thread([this] { Run(); });
}

KubePodWatcher::~KubePodWatcher() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::shared_ptr<const PodDirectory> KubePodWatcher::directory() const {
  std::lock_guard lock(mu_);
  return directory_;
}

CollectorHealth KubePodWatcher::health() {
  std::lock_guard lock(mu_);
  // Never listed yet counts as stale whatever the steady clock says (it
  // starts near zero at boot).
  if (last_success_ == std::chrono::steady_clock::time_point{} ||
      std::chrono::steady_clock::now() - last_success_ > 3 * config_.interval)
    return {false, "no pod list from the API server for " +
                       std::to_string(3 * config_.interval.count() / 1000) +
                       " s: " + (last_error_.empty() ? "none yet" : last_error_)};
  return {true, ""};
}

void KubePodWatcher::Run() {
  for (;;) {
    auto listed = ListOnce();
    {
      std::unique_lock lock(mu_);
      if (listed.ok()) {
        if (last_error_.size() || last_success_ == std::chrono::steady_clock::time_point{})
          spdlog::info("kubernetes: {} pods on node {}", listed->pods.size(), config_.node_name);
        directory_ = std::make_shared<const PodDirectory>(std::move(listed.value()));
        last_success_ = std::chrono::steady_clock::now();
        last_error_.clear();
      } else {
        if (last_error_ != listed.error().message) spdlog::warn("kubernetes: {}", listed.error().message);
        last_error_ = listed.error().message;
      }
      if (wake_.wait_for(lock, config_.interval, [this] { return stop_; })) return;
    }
  }
}

Result<PodDirectory> KubePodWatcher::ListOnce() const {
  const std::string url = config_.api_url + "/api/v1/pods?fieldSelector=spec.nodeName%3D" + config_.node_name;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Error{"curl_easy_init failed", ENOMEM};
  std::string body;
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Accept: application/json");
  if (!config_.token_file.empty()) {
    std::string token = ReadTrimmed(config_.token_file);
    if (!token.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // gzip if the server offers it
  if (!config_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, config_.ca_file.c_str());
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) return Error{"list pods from " + config_.api_url + ": " + curl_easy_strerror(rc), EIO};
  if (status != 200)
    return Error{
        "list pods from " + config_.api_url + ": HTTP " + std::to_string(status) +
            (status == 401 || status == 403 ? " (check the service account token and RBAC: pods list)" : ""),
        EIO};
  return ParsePodList(body);
}

}  // namespace hostprobe
