#include "core/duration.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>

namespace hostprobe {
namespace {

using namespace std::chrono_literals;
using std::chrono::nanoseconds;

nanoseconds Parse(std::string_view s) {
  auto r = ParseDuration(s);
  EXPECT_TRUE(r.ok()) << "\"" << s << "\": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : nanoseconds(-1);
}

TEST(DurationTest, SingleUnits) {
  EXPECT_EQ(Parse("500ms"), 500ms);
  EXPECT_EQ(Parse("10s"), 10s);
  EXPECT_EQ(Parse("5m"), 5min);
  EXPECT_EQ(Parse("1h"), 1h);
  EXPECT_EQ(Parse("2d"), 48h);
  EXPECT_EQ(Parse("1w"), 168h);
  EXPECT_EQ(Parse("100us"), 100us);
  EXPECT_EQ(Parse("100\xC2\xB5s"), 100us);  // µs
  EXPECT_EQ(Parse("10ns"), 10ns);
  EXPECT_EQ(Parse("1ns"), 1ns);
}

TEST(DurationTest, ChainedAndFractional) {
  EXPECT_EQ(Parse("1h30m"), 90min);
  EXPECT_EQ(Parse("1m30s"), 90s);
  EXPECT_EQ(Parse("1h1m1s1ms1us1ns"), 1h + 1min + 1s + 1ms + 1us + 1ns);
  EXPECT_EQ(Parse("1.5s"), 1500ms);
  EXPECT_EQ(Parse("0.5m"), 30s);
  EXPECT_EQ(Parse(".5s"), 500ms);
  EXPECT_EQ(Parse("2.25h"), 135min);
  EXPECT_EQ(Parse("0.1s"), 100ms);  // no binary fraction error
  EXPECT_EQ(Parse("0s1ns"), 1ns);
}

TEST(DurationTest, MinutesAndMillisecondsNotConfused) {
  EXPECT_EQ(Parse("5ms"), 5ms);
  EXPECT_EQ(Parse("5m5s"), 5min + 5s);
  EXPECT_EQ(Parse("5m5ms"), 5min + 5ms);
}

void ExpectInvalid(std::string_view s) {
  Result<nanoseconds> r = ParseDuration(s);
  ASSERT_FALSE(r.ok()) << "\"" << s << "\" parsed as " << r->count() << "ns";
  EXPECT_EQ(r.error().err, EINVAL);
  EXPECT_NE(r.error().message.find("invalid duration"), std::string::npos) << r.error().message;
}

TEST(DurationTest, Errors) {
  ExpectInvalid("");
  ExpectInvalid("10");
  ExpectInvalid("s");
  ExpectInvalid("10x");
  ExpectInvalid("-5s");
  ExpectInvalid("0s");
  ExpectInvalid("0ms0s");
  ExpectInvalid("1.2.3s");
  ExpectInvalid(".s");
  ExpectInvalid("1h ");
  ExpectInvalid(" 1h");
  ExpectInvalid("1 h");
  ExpectInvalid("1H");
  ExpectInvalid("1hm");
  ExpectInvalid("1e3s");
  ExpectInvalid("+5s");
  ExpectInvalid("0.0000000001ns");  // rounds to zero
  ExpectInvalid("10000000000000000000ns");
  ExpectInvalid("99999999999h");
  ExpectInvalid("1000000w");
  ExpectInvalid("9223372036854775807ns1ns");
}

TEST(DurationTest, LargestValue) {
  EXPECT_EQ(Parse("9223372036854775807ns"), nanoseconds::max());
  EXPECT_EQ(Parse("15250w"), 15250 * 168h);
}

// A number too long for long double must be an error, not an exception:
// ParseDuration feeds command-line input, and exceptions are reserved for
// programming errors (core/result.h).
TEST(DurationTest, HugeDigitStringIsAnErrorNotAnException) {
  const std::string huge = "1" + std::string(5000, '0') + "s";    // overflows long double
  const std::string tiny = "0." + std::string(5000, '0') + "1s";  // underflows it
  EXPECT_NO_THROW(EXPECT_FALSE(ParseDuration(huge).ok()));
  EXPECT_NO_THROW(EXPECT_FALSE(ParseDuration(tiny).ok()));
}

TEST(DurationTest, Format) {
  EXPECT_EQ(FormatDuration(90s), "1m30s");
  EXPECT_EQ(FormatDuration(500ms), "500ms");
  EXPECT_EQ(FormatDuration(1h), "1h");
  EXPECT_EQ(FormatDuration(90min), "1h30m");
  EXPECT_EQ(FormatDuration(1h + 1s), "1h1s");
  EXPECT_EQ(FormatDuration(48h), "48h");
  EXPECT_EQ(FormatDuration(10s), "10s");
  EXPECT_EQ(FormatDuration(30min), "30m");
  EXPECT_EQ(FormatDuration(1500ms), "1500ms");
  EXPECT_EQ(FormatDuration(100us), "100us");
  EXPECT_EQ(FormatDuration(10ns), "10ns");
  EXPECT_EQ(FormatDuration(1001ns), "1001ns");
  EXPECT_EQ(FormatDuration(0ns), "0s");
}

TEST(DurationTest, FormatThenParseRoundTrips) {
  for (nanoseconds d :
       {nanoseconds(1), nanoseconds(999), nanoseconds(1000), nanoseconds(123456789), nanoseconds(1500ms),
        nanoseconds(1s), nanoseconds(59s), nanoseconds(61s), nanoseconds(3599s), nanoseconds(3601s),
        nanoseconds(90min), nanoseconds(168h), nanoseconds(123h + 45min + 6s)}) {
    std::string text = FormatDuration(d);
    EXPECT_EQ(Parse(text), d) << text;
  }
  for (std::string_view s : {"90s", "500ms", "1h", "10s", "30m", "2d"}) {
    EXPECT_EQ(Parse(FormatDuration(Parse(s))), Parse(s)) << s;
  }
}

}  // namespace
}  // namespace hostprobe
