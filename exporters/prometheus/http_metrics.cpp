#include "exporters/prometheus/http_metrics.h"

#include <string>
#include <tuple>
#include <utility>

#include "exporters/prometheus/family_builder.h"

namespace hostprobe {

using prometheus::MetricType;

namespace {

void Merge(HttpStats& to, const HttpStats& from) {
  to.count += from.count;
  to.sum_ns += from.sum_ns;
  for (size_t i = 0; i < from.slots.size(); ++i) to.slots[i] += from.slots[i];
}

CumulativeHistogram DurationOf(const HttpStats& s) { return HttpDurationHistogram(s.slots, s.sum_ns); }

}  // namespace

CumulativeHistogram HttpDurationHistogram(std::span<const uint64_t> slots, uint64_t sum_ns) {
  return Log2ToCumulative(slots, sum_ns, 16, 34, 1);
}

CgroupFamilies BuildHttpFamilies(const HttpSnapshot& snap, const CgroupNameFn& cgroup_name) {
  CgroupFamilies out;
  auto available = MakeFamily("hostprobe_http_tracker_available",
                              "1 when HTTP/1.x requests are derived from syscalls (tp_btf hooks on x86_64), "
                              "0 otherwise.",
                              MetricType::Gauge);
  AddGauge(available, {}, snap.available ? 1 : 0);
  out.families.push_back(std::move(available));
  if (!snap.available) return out;

  CgroupPaths paths(cgroup_name);
  using ServerKey = std::tuple<std::string, uint16_t, std::string>;  // cgroup, port, status class
  auto server_counts = SumByCgroup<uint64_t>(
      snap.server, paths,
      [](const std::string& path, const HttpServerCounts& c) {
        return ServerKey(path, c.port, HttpStatusClassLabel(c.status_class));
      },
      [](uint64_t& n, const HttpServerCounts& c) { n += c.stats.count; });
  auto server_durations = SumByCgroup<HttpStats>(
      snap.server, paths,
      [](const std::string& path, const HttpServerCounts& c) { return std::pair(path, c.port); },
      [](HttpStats& s, const HttpServerCounts& c) { Merge(s, c.stats); });
  using ClientKey = std::tuple<std::string, std::string, std::string>;  // cgroup, comm, status class
  auto client_counts = SumByCgroup<uint64_t>(
      snap.client, paths,
      [](const std::string& path, const HttpClientCounts& c) {
        return ClientKey(path, c.comm, HttpStatusClassLabel(c.status_class));
      },
      [](uint64_t& n, const HttpClientCounts& c) { n += c.stats.count; });
  auto client_durations = SumByCgroupPath<HttpStats>(
      snap.client, paths, [](HttpStats& s, const HttpClientCounts& c) { Merge(s, c.stats); });
  out.unresolved_cgroups = paths.TakeUnresolved();

  auto server_requests =
      MakeFamily("hostprobe_http_server_requests_total",
                 "HTTP/1.x requests answered by processes of a cgroup, by local listening port and status "
                 "class of the response (from syscalls).",
                 MetricType::Counter);
  for (const auto& [k, n] : server_counts)
    AddCgroupCounter(server_requests, std::get<0>(k),
                     {{"port", std::to_string(std::get<1>(k))}, {"status_class", std::get<2>(k)}},
                     static_cast<double>(n));
  auto server_duration = MakeFamily("hostprobe_http_server_request_duration_seconds",
                                    "Time from reading an HTTP/1.x request's first bytes to writing the "
                                    "response's first bytes, by cgroup and local listening port.",
                                    MetricType::Histogram);
  for (const auto& [k, s] : server_durations)
    SetHistogram(AddCgroupMetric(server_duration, k.first, {{"port", std::to_string(k.second)}}),
                 DurationOf(s));
  auto client_requests =
      MakeFamily("hostprobe_http_client_requests_total",
                 "HTTP/1.x requests made by processes of a cgroup on connections they opened, by process "
                 "name and status class of the response (from syscalls).",
                 MetricType::Counter);
  for (const auto& [k, n] : client_counts)
    AddCgroupCounter(client_requests, std::get<0>(k),
                     {{"comm", std::get<1>(k)}, {"status_class", std::get<2>(k)}}, static_cast<double>(n));
  auto client_duration = MakeFamily("hostprobe_http_client_request_duration_seconds",
                                    "Time from writing an HTTP/1.x request's first bytes to reading the "
                                    "response's first bytes, by cgroup.",
                                    MetricType::Histogram);
  for (const auto& [path, s] : client_durations)
    SetHistogram(AddCgroupMetric(client_duration, path, {}), DurationOf(s));

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
  auto failures = MapUpdateFailuresFamily({{"http_conns", st[HP_HTTP_STAT_CONN_MAP_FULL]},
                                           {"http_server", st[HP_HTTP_STAT_SERVER_MAP_FULL]},
                                           {"http_client", st[HP_HTTP_STAT_CLIENT_MAP_FULL]},
                                           {"http_procs", st[HP_HTTP_STAT_PROC_MAP_FULL]}});

  for (auto* f : {&server_requests, &server_duration, &client_requests, &client_duration, &unpaired, &conns,
                  &misses, &read_failed, &failures})
    out.families.push_back(std::move(*f));
  return out;
}

HttpMetrics::HttpMetrics(HttpSource& source, CgroupResolver& cgroups)
    : source_(source), collect_("http", cgroups) {}

std::vector<prometheus::MetricFamily> HttpMetrics::Collect() const {
  return collect_.Collect([&] { return source_.ReadHttp(); }, BuildHttpFamilies,
                          [&](const std::vector<uint64_t>& gone) { source_.ForgetHttpCgroups(gone); });
}

}  // namespace hostprobe
