// The HTTP/1.x recogniser shared with the BPF program (bpf/http.h) on byte
// prefixes as a read or write would see them, and the family builder.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

#include "core/http_snapshot.h"
#include "exporters/prometheus/http_metrics.h"
#include "exposition_util.h"

namespace hostprobe {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Classified {
  int kind;
  uint32_t status_class;
};

// As the BPF program does: at most HP_HTTP_PREFIX bytes of what the call
// returned.
Classified Classify(std::string_view bytes) {
  unsigned char buf[HP_HTTP_PREFIX] = {};
  const size_t n = bytes.size() < HP_HTTP_PREFIX ? bytes.size() : HP_HTTP_PREFIX;
  for (size_t i = 0; i < n; ++i) buf[i] = static_cast<unsigned char>(bytes[i]);
  Classified c{};
  c.kind = hp_http_classify(buf, static_cast<unsigned int>(n), &c.status_class);
  return c;
}

TEST(HttpRecogniser, EveryMethodStartsARequest) {
  for (const char* m :
       {"GET ", "POST ", "PUT ", "HEAD ", "DELETE ", "PATCH ", "OPTIONS ", "CONNECT ", "TRACE "}) {
    EXPECT_EQ(Classify(std::string(m) + "/index.html HTTP/1.1\r\nHost: x\r\n\r\n").kind, HP_HTTP_REQUEST)
        << m;
    EXPECT_EQ(Classify(m).kind, HP_HTTP_REQUEST) << m;  // the method and its space are enough
  }
}

TEST(HttpRecogniser, PartialMethodOrMissingSpaceIsNotARequest) {
  EXPECT_EQ(Classify("GE").kind, HP_HTTP_NONE);
  EXPECT_EQ(Classify("GET").kind, HP_HTTP_NONE);
  EXPECT_EQ(Classify("GETX /").kind, HP_HTTP_NONE);
  EXPECT_EQ(Classify("OPTION").kind, HP_HTTP_NONE);
  EXPECT_EQ(Classify("get / HTTP/1.1").kind, HP_HTTP_NONE);      // methods are case-sensitive
  EXPECT_EQ(Classify("PRI * HTTP/2.0\r\n").kind, HP_HTTP_NONE);  // HTTP/2 preface: out of scope
}

TEST(HttpRecogniser, StatusLinesByClass) {
  struct Case {
    const char* line;
    uint32_t cls;
  } cases[] = {
      {"HTTP/1.1 200 OK\r\n", 2},    {"HTTP/1.0 404 Not Found\r\n", 4}, {"HTTP/1.1 500 Internal", 5},
      {"HTTP/1.1 101 Switching", 1}, {"HTTP/1.1 301 Moved", 3},         {"HTTP/1.1 204\r\n", 2},
      {"HTTP/1.1 600 Odd\r\n", 0},   {"HTTP/1.1 099 Odd\r\n", 0},       {"HTTP/1.1 2x0 OK\r\n", 0},
      {"HTTP/1.1 2000 OK\r\n", 0},
  };
  for (const auto& c : cases) {
    auto r = Classify(c.line);
    EXPECT_EQ(r.kind, HP_HTTP_RESPONSE) << c.line;
    EXPECT_EQ(r.status_class, c.cls) << c.line;
  }
}

TEST(HttpRecogniser, StatusLineSplitAcrossWritesIsAResponseOfClassOther) {
  // A server that writes "HTTP/1.1 " and the code separately: the first write
  // starts the response, the class cannot be told.
  auto r = Classify("HTTP/1.1 ");
  EXPECT_EQ(r.kind, HP_HTTP_RESPONSE);
  EXPECT_EQ(r.status_class, 0u);
  r = Classify("HTTP/1.1 20");
  EXPECT_EQ(r.kind, HP_HTTP_RESPONSE);
  EXPECT_EQ(r.status_class, 0u);
  // Exactly the three digits: the class is known.
  r = Classify("HTTP/1.1 503");
  EXPECT_EQ(r.kind, HP_HTTP_RESPONSE);
  EXPECT_EQ(r.status_class, 5u);
  // Too short to be a status line at all, and its continuation.
  EXPECT_EQ(Classify("HTTP/1.").kind, HP_HTTP_NONE);
  EXPECT_EQ(Classify("HTTP/1.1").kind, HP_HTTP_NONE);
  EXPECT_EQ(Classify("0 OK\r\nContent-Length: 2\r\n").kind, HP_HTTP_NONE);
}

TEST(HttpRecogniser, OtherVersionsAreNotHttp1) {
  EXPECT_EQ(Classify("HTTP/2 200\r\n").kind, HP_HTTP_NONE);
  EXPECT_EQ(Classify("HTTP/1.2 200 OK").kind, HP_HTTP_NONE);
  EXPECT_EQ(Classify("HTTP/1.1200 OK").kind, HP_HTTP_NONE);
}

TEST(HttpRecogniser, PipelinedRequestsAreOneStartPerBuffer) {
  // Two requests in one read: the buffer starts one request (the second is
  // not seen; the kernel side pairs one request per connection).
  auto r = Classify("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.kind, HP_HTTP_REQUEST);
}

TEST(HttpRecogniser, NonHttpDataAndGarbage) {
  EXPECT_EQ(Classify("").kind, HP_HTTP_NONE);
  EXPECT_EQ(Classify("hello\n").kind, HP_HTTP_NONE);
  EXPECT_EQ(Classify(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)).kind,
            HP_HTTP_NONE);  // TLS ClientHello: out of scope
  EXPECT_EQ(Classify(std::string("\0\0\0\0GET ", 8)).kind, HP_HTTP_NONE);
  EXPECT_EQ(Classify("{\"jsonrpc\":\"2.0\"}").kind, HP_HTTP_NONE);
  EXPECT_EQ(Classify("Content-Length: 5\r\n").kind, HP_HTTP_NONE);  // a header continuation
  EXPECT_EQ(Classify("PUTS").kind, HP_HTTP_NONE);
  EXPECT_EQ(Classify("HEADER ").kind, HP_HTTP_NONE);
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  EXPECT_EQ(Classify(all_bytes).kind, HP_HTTP_NONE);
}

TEST(HttpRecogniser, LooksAtNoMoreThanThePrefix) {
  unsigned char buf[64] = {};
  std::string_view s = "GET / HTTP/1.1\r\n";
  for (size_t i = 0; i < s.size(); ++i) buf[i] = static_cast<unsigned char>(s[i]);
  uint32_t cls = 7;
  EXPECT_EQ(hp_http_classify(buf, 64, &cls), HP_HTTP_REQUEST);
  EXPECT_EQ(cls, 0u);
}

TEST(HttpStatusClassLabel, Names) {
  EXPECT_EQ(HttpStatusClassLabel(1), "1xx");
  EXPECT_EQ(HttpStatusClassLabel(5), "5xx");
  EXPECT_EQ(HttpStatusClassLabel(0), "other");
  EXPECT_EQ(HttpStatusClassLabel(9), "other");
}

HttpStats Stats(uint64_t count, uint64_t ns_each) {
  HttpStats s;
  s.count = count;
  s.sum_ns = count * ns_each;
  unsigned slot = 0;
  while ((ns_each >> (slot + 1)) != 0) ++slot;
  s.slots[slot] = count;
  return s;
}

constexpr char kPod[] =
    "/kubepods/besteffort/pod6d3b2a1c-1111-2222-3333-444455556666/"
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST(HttpFamilies, ServerAndClientSeriesWithPodLabels) {
  HttpSnapshot snap;
  snap.available = true;
  snap.server.push_back({7, 8080, 2, Stats(90, 1'000'000)});
  snap.server.push_back({7, 8080, 4, Stats(5, 1'000'000)});
  snap.server.push_back({7, 8080, 5, Stats(3, 50'000'000)});
  snap.server.push_back({8, 8080, 2, Stats(2, 1'000'000)});  // same path as 7: summed
  snap.server.push_back({99, 80, 2, Stats(1, 1'000)});       // unknown cgroup
  snap.client.push_back({7, "ab", 2, Stats(10, 2'000'000)});
  snap.self_stats[HP_HTTP_STAT_UNPAIRED_RESPONSES] = 4;
  snap.self_stats[HP_HTTP_STAT_CONN_MAP_FULL] = 1;
  snap.self_stats[HP_HTTP_STAT_CONNS_EXITED] = 6;
  snap.self_stats[HP_HTTP_STAT_PROC_MAP_FULL] = 2;
  auto built = BuildHttpFamilies(snap, [](uint64_t id) -> std::optional<std::string> {
    if (id == 7 || id == 8) return std::string(kPod);
    return std::nullopt;
  });
  EXPECT_EQ(built.unresolved_cgroups, std::vector<uint64_t>{99});
  const std::string text = test::Serialize(built.families);
  const std::string labels =
      std::string("cgroup=\"") + kPod +
      "\",pod_uid=\"6d3b2a1c-1111-2222-3333-444455556666\",container_id=\"0123456789abcdef"
      "0123456789abcdef0123456789abcdef0123456789abcdef\"";
  EXPECT_THAT(text, HasSubstr("hostprobe_http_server_requests_total{" + labels +
                              ",port=\"8080\",status_class=\"2xx\"} 92"));
  EXPECT_THAT(text, HasSubstr("hostprobe_http_server_requests_total{" + labels +
                              ",port=\"8080\",status_class=\"4xx\"} 5"));
  EXPECT_THAT(text, HasSubstr("hostprobe_http_server_requests_total{" + labels +
                              ",port=\"8080\",status_class=\"5xx\"} 3"));
  EXPECT_THAT(text, HasSubstr("hostprobe_http_server_request_duration_seconds_count{" + labels +
                              ",port=\"8080\"} 100"));
  EXPECT_THAT(text, HasSubstr("hostprobe_http_client_requests_total{" + labels +
                              ",comm=\"ab\",status_class=\"2xx\"} 10"));
  EXPECT_THAT(text, HasSubstr("hostprobe_http_client_request_duration_seconds_count{" + labels + "} 10"));
  EXPECT_THAT(text, HasSubstr("hostprobe_http_tracker_unpaired_total{kind=\"response\"} 4"));
  EXPECT_THAT(text, HasSubstr("hostprobe_bpf_map_update_failures_total{map=\"http_conns\"} 1"));
  EXPECT_THAT(text, HasSubstr("hostprobe_bpf_map_update_failures_total{map=\"http_procs\"} 2"));
  EXPECT_THAT(text, HasSubstr("hostprobe_http_tracker_connections_total{event=\"exited\"} 6"));
  EXPECT_THAT(text, HasSubstr("hostprobe_http_tracker_available 1"));
  EXPECT_THAT(text, Not(HasSubstr("port=\"80\"")));
}

TEST(HttpFamilies, DurationBucketsPlaceFiftyMilliseconds) {
  auto h = HttpDurationHistogram(Stats(10, 50'000'000).slots, 500'000'000);
  ASSERT_FALSE(h.upper_bounds_seconds.empty());
  // 50 ms is in [2^25, 2^26) ns: counted from the 2^26 ns (67 ms) bound on.
  for (size_t i = 0; i < h.upper_bounds_seconds.size(); ++i)
    EXPECT_EQ(h.cumulative_counts[i], h.upper_bounds_seconds[i] >= 0.067 ? 10u : 0u)
        << h.upper_bounds_seconds[i];
}

TEST(HttpFamilies, UnavailableGivesOnlyTheGauge) {
  HttpSnapshot snap;
  auto built = BuildHttpFamilies(snap, [](uint64_t) { return std::optional<std::string>("/"); });
  ASSERT_EQ(built.families.size(), 1u);
  EXPECT_EQ(built.families[0].name, "hostprobe_http_tracker_available");
  EXPECT_EQ(built.families[0].metric[0].gauge.value, 0);
}

}  // namespace
}  // namespace hostprobe
