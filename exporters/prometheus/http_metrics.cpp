#include "exporters/prometheus/http_metrics.h"

#include <spdlog/spdlog.h>

#include <limits>
#include <map>
#include <tuple>

#include "core/labels.h"
#include "core/pod_attribution.h"
#include "exporters/prometheus/family_builder.h"

namespace hostprobe {

using prometheus::MetricType;

namespace {

void Merge(HttpStats& to, const HttpStats& from) {
  to.count += from.count;
  to.sum_ns += from.sum_ns;
  for (size_t i = 0; i < from.slots.size(); ++i) to.slots[i] += from.slots[i];
}

// A metric of one cgroup: labels cgroup, pod_uid, container_id, then `extra`.
prometheus::ClientMetric& AddCgroupMetric(prometheus::MetricFamily& f, const std::string& path,
                                          std::initializer_list<std::pair<const char*, std::string>> extra) {
  PodAttribution a = ParsePodAttribution(path);
  prometheus::ClientMetric m;
  m.label.push_back({"cgroup", path});
  m.label.push_back({"pod_uid", std::move(a.pod_uid)});
  m.label.push_back({"container_id", std::move(a.container_id)});
  for (const auto& [k, v] : extra) m.label.push_back({k, SanitizeLabelValue(v)});
  f.metric.push_back(std::move(m));
  return f.metric.back();
}

void SetHistogram(prometheus::ClientMetric& m, const HttpStats& s) {
  auto h = HttpDurationHistogram(s.slots, s.sum_ns);
  m.histogram.sample_count = h.count;
  m.histogram.sample_sum = h.sum_seconds;
  for (size_t i = 0; i < h.upper_bounds_seconds.size(); ++i)
    m.histogram.bucket.push_back({h.cumulative_counts[i], h.upper_bounds_seconds[i]});
  m.histogram.bucket.push_back({h.count, std::numeric_limits<double>::infinity()});
}

}  // namespace

CumulativeHistogram HttpDurationHistogram(std::span<const uint64_t> slots, uint64_t sum_ns) {
  return Log2ToCumulative(slots, sum_ns, 16, 34, 1);
}

HttpFamilies BuildHttpFamilies(const HttpSnapshot& snap,
                               const std::function<std::optional<std::string>(uint64_t)>& cgroup_name) {
  HttpFamilies out;
  auto available = MakeFamily("hostprobe_http_tracker_available",
                              "1 when HTTP/1.x requests are derived from syscalls (tp_btf hooks on x86_64), "
                              "0 otherwise.",
                              MetricType::Gauge);
  AddGauge(available, {}, snap.available ? 1 : 0);
  out.families.push_back(std::move(available));
  if (!snap.available) return out;

  auto name = [&](uint64_t id) -> std::optional<std::string> {
    auto path = cgroup_name(id);
    if (!path) {
      out.unresolved_cgroups.push_back(id);
      return std::nullopt;
    }
    return SanitizeLabelValue(*path);
  };

  // Ordered maps: the output does not depend on the kernel's hash order.
  std::map<std::tuple<std::string, uint16_t, std::string>, uint64_t> server_counts;
  std::map<std::pair<std::string, uint16_t>, HttpStats> server_durations;
  for (const HttpServerCounts& c : snap.server) {
    auto path = name(c.cgroup_id);
    if (!path) continue;
    server_counts[{*path, c.port, HttpStatusClassLabel(c.status_class)}] += c.stats.count;
    Merge(server_durations[{*path, c.port}], c.stats);
  }
  std::map<std::tuple<std::string, std::string, std::string>, uint64_t> client_counts;
  std::map<std::string, HttpStats> client_durations;
  for (const HttpClientCounts& c : snap.client) {
    auto path = name(c.cgroup_id);
    if (!path) continue;
    client_counts[{*path, c.comm, HttpStatusClassLabel(c.status_class)}] += c.stats.count;
    Merge(client_durations[*path], c.stats);
  }

  auto server_requests =
      MakeFamily("hostprobe_http_server_requests_total",
                 "HTTP/1.x requests answered by processes of a cgroup, by local listening port and status "
                 "class of the response (from syscalls).",
                 MetricType::Counter);
  for (const auto& [k, n] : server_counts)
    AddCgroupMetric(server_requests, std::get<0>(k),
                    {{"port", std::to_string(std::get<1>(k))}, {"status_class", std::get<2>(k)}})
        .counter.value = static_cast<double>(n);
  auto server_duration = MakeFamily("hostprobe_http_server_request_duration_seconds",
                                    "Time from reading an HTTP/1.x request's first bytes to writing the "
                                    "response's first bytes, by cgroup and local listening port.",
                                    MetricType::Histogram);
  for (const auto& [k, s] : server_durations)
    SetHistogram(AddCgroupMetric(server_duration, k.first, {{"port", std::to_string(k.second)}}), s);
  auto client_requests =
      MakeFamily("hostprobe_http_client_requests_total",
                 "HTTP/1.x requests made by processes of a cgroup on connections they opened, by process "
                 "name and status class of the response (from syscalls).",
                 MetricType::Counter);
  for (const auto& [k, n] : client_counts)
    AddCgroupMetric(client_requests, std::get<0>(k),
                    {{"comm", std::get<1>(k)}, {"status_class", std::get<2>(k)}})
        .counter.value = static_cast<double>(n);
  auto client_duration = MakeFamily("hostprobe_http_client_request_duration_seconds",
                                    "Time from writing an HTTP/1.x request's first bytes to reading the "
                                    "response's first bytes, by cgroup.",
                                    MetricType::Histogram);
  for (const auto& [path, s] : client_durations) SetHistogram(AddCgroupMetric(client_duration, path, {}), s);

  const auto& st = snap.self_stats;
  auto unpaired = MakeFamily("hostprobe_http_tracker_unpaired_total",
                             "HTTP/1.x messages that could not be paired, by kind: request (another request "
                             "was in flight on the connection: pipelining), response (no request in flight).",
                             MetricType::Counter);
  AddCounter(unpaired, {{"kind", "request"}}, static_cast<double>(st[HP_HTTP_STAT_UNPAIRED_REQUESTS]));
  AddCounter(unpaired, {{"kind", "response"}}, static_cast<double>(st[HP_HTTP_STAT_UNPAIRED_RESPONSES]));
  auto conns = MakeFamily("hostprobe_http_tracker_connections_total",
                          "TCP connections seen by the HTTP tracker, by event: tracked (accepted or "
                          "connected), closed (dropped at close), exited (still open when their process "
                          "exited, dropped then; the rest age out of the LRU map).",
                          MetricType::Counter);
  AddCounter(conns, {{"event", "tracked"}}, static_cast<double>(st[HP_HTTP_STAT_CONNS_TRACKED]));
  AddCounter(conns, {{"event", "closed"}}, static_cast<double>(st[HP_HTTP_STAT_CONNS_CLOSED]));
  AddCounter(conns, {{"event", "exited"}}, static_cast<double>(st[HP_HTTP_STAT_CONNS_EXITED]));
  auto misses = MakeFamily("hostprobe_http_tracker_parse_misses_total",
                           "Reads and writes on tracked connections whose first bytes start no HTTP/1.x "
                           "message (bodies, continuations, other protocols).",
                           MetricType::Counter);
  AddCounter(misses, {}, static_cast<double>(st[HP_HTTP_STAT_PARSE_MISSES]));
  auto read_failed = MakeFamily(
      "hostprobe_http_tracker_buffer_read_failures_total",
      "Reads and writes on tracked connections whose user buffer could not be read.", MetricType::Counter);
  AddCounter(read_failed, {}, static_cast<double>(st[HP_HTTP_STAT_READ_FAILED]));
  auto failures =
      MakeFamily("hostprobe_bpf_map_update_failures_total",
                 "Kernel-side updates that failed because a map was full, by map.", MetricType::Counter);
  AddCounter(failures, {{"map", "http_conns"}}, static_cast<double>(st[HP_HTTP_STAT_CONN_MAP_FULL]));
  AddCounter(failures, {{"map", "http_server"}}, static_cast<double>(st[HP_HTTP_STAT_SERVER_MAP_FULL]));
  AddCounter(failures, {{"map", "http_client"}}, static_cast<double>(st[HP_HTTP_STAT_CLIENT_MAP_FULL]));
  AddCounter(failures, {{"map", "http_procs"}}, static_cast<double>(st[HP_HTTP_STAT_PROC_MAP_FULL]));

  for (auto* f : {&server_requests, &server_duration, &client_requests, &client_duration, &unpaired, &conns,
                  &misses, &read_failed, &failures})
    out.families.push_back(std::move(*f));
  return out;
}

HttpMetrics::HttpMetrics(HttpSource& source, CgroupResolver& cgroups) : source_(source), labeler_(cgroups) {}

std::vector<prometheus::MetricFamily> HttpMetrics::Collect() const {
  auto snap = source_.ReadHttp();
  std::lock_guard lock(mu_);
  if (!snap) {
    ++read_errors_;
    spdlog::error("http: {}", snap.error().message);
    return {ReadErrorsFamily("http", read_errors_)};
  }
  auto built = BuildHttpFamilies(*snap, [this](uint64_t id) { return labeler_.Name(id); });
  if (auto gone = labeler_.Sweep(built.unresolved_cgroups); !gone.empty()) {
    spdlog::debug("http: dropping series of {} removed cgroups", gone.size());
    source_.ForgetHttpCgroups(gone);
  }
  built.families.push_back(ReadErrorsFamily("http", read_errors_));
  return std::move(built.families);
}

}  // namespace hostprobe
