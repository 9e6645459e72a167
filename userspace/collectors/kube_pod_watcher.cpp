#include "collectors/kube_pod_watcher.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <functional>
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

std::string Hint(long status) {
  return status == 401 || status == 403 ? " (check the service account token and RBAC: pods list, watch)"
                                        : "";
}

// What a WATCH request's callbacks share.
struct WatchState {
  std::string pending;  // bytes after the last newline
  PodDirectory* dir = nullptr;
  std::mutex* mu = nullptr;
  std::function<void()> publish;  // after events were applied
  bool gone = false;              // an ERROR event with code 410
  std::string error;              // another ERROR event or a malformed line
  uint64_t events = 0;
};

size_t OnWatchData(char* data, size_t size, size_t n, void* arg) {
  auto* st = static_cast<WatchState*>(arg);
  st->pending.append(data, size * n);
  bool applied = false;
  for (size_t nl; (nl = st->pending.find('\n')) != std::string::npos;) {
    std::string line = st->pending.substr(0, nl);
    st->pending.erase(0, nl + 1);
    if (line.empty() || line == "\r") continue;
    auto ev = ParsePodWatchEvent(line);
    if (!ev) {
      st->error = ev.error().message;
      return 0;  // abort the transfer: list again
    }
    if (ev->type == PodWatchEvent::Type::kError) {
      if (ev->error_code == 410)
        st->gone = true;
      else
        st->error = "watch error " + std::to_string(ev->error_code) + ": " + ev->error_message;
      return 0;
    }
    ApplyPodWatchEvent(*st->dir, *ev);
    ++st->events;
    applied = true;
  }
  if (applied) st->publish();
  return size * n;
}

int OnProgress(void* stop, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<std::atomic<bool>*>(stop)->load() ? 1 : 0;
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
  stop_flag_ = true;
  wake_.notify_all();
  thread_.join();
}

std::shared_ptr<const PodDirectory> KubePodWatcher::directory() const {
  std::lock_guard lock(mu_);
  return directory_;
}

bool KubePodWatcher::Stopping() const { return stop_flag_.load(); }

void KubePodWatcher::Touch() {
  std::lock_guard lock(mu_);
  last_contact_ = std::chrono::steady_clock::now();
}

CollectorHealth KubePodWatcher::health() {
  std::lock_guard lock(mu_);
  // Never listed yet counts as stale whatever the steady clock says (it
  // starts near zero at boot).
  if (!listed_)
    return {false,
            "no pod list from the API server yet: " + (last_error_.empty() ? "none yet" : last_error_)};
  if (std::chrono::steady_clock::now() - last_contact_ > 3 * config_.interval)
    return {false, "no answer from the API server for " +
                       std::to_string(3 * config_.interval.count() / 1000) +
                       " s: " + (last_error_.empty() ? "none yet" : last_error_)};
  return {true, ""};
}

void KubePodWatcher::Run() {
  while (!Stopping()) {
    auto listed = ListOnce();
    if (!listed.ok()) {
      std::unique_lock lock(mu_);
      if (last_error_ != listed.error().message) spdlog::warn("kubernetes: {}", listed.error().message);
      last_error_ = listed.error().message;
      if (wake_.wait_for(lock, config_.interval, [this] { return stop_; })) return;
      continue;
    }
    {
      std::lock_guard lock(mu_);
      if (!last_error_.empty() || !listed_)
        spdlog::info("kubernetes: {} pods on node {} (resourceVersion {}); watching for changes",
                     listed->pods.size(), config_.node_name, listed->resource_version);
      directory_ = std::make_shared<const PodDirectory>(std::move(listed.value()));
      last_contact_ = std::chrono::steady_clock::now();
      listed_ = true;
      last_error_.clear();
    }
    // Watch from the list's version; resume after each server-side end.
    for (;;) {
      std::string error;
      const auto started = std::chrono::steady_clock::now();
      WatchEnd end = WatchOnce(&error);
      if (end == WatchEnd::kStopped) return;
      if (end == WatchEnd::kServerClosed) {
        // A server that ends every watch at once is not asked again at once.
        if (std::chrono::steady_clock::now() - started < std::chrono::seconds(1)) {
          std::unique_lock lock(mu_);
          if (wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) return;
        }
        continue;
      }
      if (end == WatchEnd::kGone) {
        spdlog::info("kubernetes: watch expired (410 Gone); listing again");
        break;
      }
      std::unique_lock lock(mu_);
      if (last_error_ != error) spdlog::warn("kubernetes: watch: {}; listing again", error);
      last_error_ = error;
      // Not at once: a failing API server is not hammered.
      if (wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) return;
      break;
    }
  }
}

KubePodWatcher::Transfer KubePodWatcher::Perform(const std::string& query, curl_write_callback write,
                                                 void* data, bool stream) {
  Transfer t;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    t.rc = CURLE_FAILED_INIT;
    return t;
  }
  const std::string url =
      config_.api_url + "/api/v1/pods?fieldSelector=spec.nodeName%3D" + config_.node_name + "&" + query;
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Accept: application/json");
  if (!config_.token_file.empty()) {
    std::string token = ReadTrimmed(config_.token_file);  // re-read: tokens rotate
    if (!token.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, data);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  // The progress callback ends a transfer within a second of Stop.
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &stop_flag_);
  if (!config_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, config_.ca_file.c_str());
  if (stream) {
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.timeout.count()));
    // No overall timeout (the stream is long-lived); a connection that stays
    // silent well past the server's own timeout is dead.
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(config_.watch_timeout.count() + 60));
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // gzip if the server offers it
  }
  t.rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &t.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return t;
}

Result<PodDirectory> KubePodWatcher::ListOnce() {
  ++lists_;
  std::string body;
  // resourceVersion=0: any version the API server's cache holds will do,
  // so the list does not go to etcd.
  const Transfer t = Perform("resourceVersion=0", AppendBody, &body, /*stream=*/false);
  if (t.rc != CURLE_OK)
    return Error{"list pods from " + config_.api_url + ": " + curl_easy_strerror(t.rc), EIO};
  if (t.status != 200)
    return Error{"list pods from " + config_.api_url + ": HTTP " + std::to_string(t.status) + Hint(t.status),
                 EIO};
  return ParsePodList(body);
}

KubePodWatcher::WatchEnd KubePodWatcher::WatchOnce(std::string* error) {
  ++watches_;
  // A private copy to apply events to; published after each batch.
  PodDirectory dir = *directory();
  WatchState st;
  st.dir = &dir;
  st.publish = [this, &dir] {
    std::lock_guard lock(mu_);
    directory_ = std::make_shared<const PodDirectory>(dir);
    last_contact_ = std::chrono::steady_clock::now();
  };
  const Transfer t = Perform("watch=1&allowWatchBookmarks=true&resourceVersion=" + dir.resource_version +
                                 "&timeoutSeconds=" + std::to_string(config_.watch_timeout.count()),
                             OnWatchData, &st, /*stream=*/true);
  const CURLcode rc = t.rc;
  const long status = t.status;
  if (Stopping()) return WatchEnd::kStopped;
  if (status == 200) Touch();  // connected, whatever came of it
  if (st.gone || status == 410) return WatchEnd::kGone;
  if (!st.error.empty()) {
    *error = st.error;
    return WatchEnd::kFailed;
  }
  if (rc != CURLE_OK) {
    *error = std::string("watch pods on ") + config_.api_url + ": " + curl_easy_strerror(rc);
    return WatchEnd::kFailed;
  }
  if (status != 200) {
    *error = "watch pods on " + config_.api_url + ": HTTP " + std::to_string(status) + Hint(status);
    return WatchEnd::kFailed;
  }
  return WatchEnd::kServerClosed;
}

}  // namespace hostprobe
