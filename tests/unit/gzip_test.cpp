#include "exporters/prometheus/gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>
#include <string_view>

namespace hostprobe {
namespace {

// Inflates gzip or zlib data (15 + 32: detect the header).
std::string Inflate(std::string_view in) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 32), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[16384];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      ADD_FAILURE() << "inflate: " << rc;
      break;
    }
    out.append(buf, sizeof(buf) - zs.avail_out);
  } while (rc != Z_STREAM_END);
  EXPECT_EQ(zs.avail_in, 0u) << "trailing bytes after the gzip stream";
  inflateEnd(&zs);
  return out;
}

void ExpectGzipOf(std::string_view in) {
  Result<std::string> gz = Gzip(in);
  ASSERT_TRUE(gz.ok()) << gz.error().message;
  ASSERT_GE(gz->size(), 18u);  // 10-byte header + 8-byte trailer at least
  EXPECT_EQ(static_cast<uint8_t>((*gz)[0]), 0x1f);
  EXPECT_EQ(static_cast<uint8_t>((*gz)[1]), 0x8b);
  EXPECT_EQ(static_cast<uint8_t>((*gz)[2]), 8);  // deflate
  EXPECT_EQ(Inflate(*gz), in);
}

TEST(GzipTest, RoundTripsText) { ExpectGzipOf("hostprobe_syscalls_total{syscall=\"getppid\"} 20000\n"); }

TEST(GzipTest, RoundTripsEmpty) { ExpectGzipOf(""); }

TEST(GzipTest, RoundTripsBinaryWithNul) { ExpectGzipOf(std::string_view("a\0b\xff\x00", 5)); }

TEST(GzipTest, CompressesRepetitiveText) {
  std::string text;
  for (int i = 0; i < 5000; ++i)
    text += "hostprobe_syscalls_total{syscall=\"sys_" + std::to_string(i % 50) + "\"} 1\n";
  ExpectGzipOf(text);
  EXPECT_LT(Gzip(text)->size(), text.size() / 5);
}

TEST(GzipTest, RoundTripsIncompressibleData) {
  // Random bytes grow under deflate; the output buffer must allow for it.
  std::mt19937 rng(7);
  std::string data(1 << 20, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  ExpectGzipOf(data);
}

TEST(AcceptsGzipTest, Values) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("deflate, gzip"));
  EXPECT_TRUE(AcceptsGzip("GZIP"));
  EXPECT_TRUE(AcceptsGzip("Gzip"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_TRUE(AcceptsGzip("br, gzip;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("gzip, deflate, br"));
  EXPECT_TRUE(AcceptsGzip("  gzip  "));
  EXPECT_TRUE(AcceptsGzip("gzip ; q=1.0"));
  EXPECT_TRUE(AcceptsGzip("gzip;q=0.001"));
  EXPECT_TRUE(AcceptsGzip("*;q=0, gzip"));  // the explicit entry wins

  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip; q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0.000"));
  EXPECT_FALSE(AcceptsGzip("*;q=0"));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip(","));
  EXPECT_FALSE(AcceptsGzip("deflate, br"));
  EXPECT_FALSE(AcceptsGzip("gzipx"));
  EXPECT_FALSE(AcceptsGzip("xgzip"));
  EXPECT_FALSE(AcceptsGzip("br;q=1, gzip;q=0"));
}

// RFC 9110 12.5.3: "*" matches any coding not explicitly listed in the
// header, so a gzip explicitly refused with q=0 stays refused.
TEST(AcceptsGzipTest, ExplicitRefusalBeatsWildcard) { EXPECT_FALSE(AcceptsGzip("gzip;q=0, *")); }

}  // namespace
}  // namespace hostprobe
