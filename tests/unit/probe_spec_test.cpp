#include "core/probe_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "temp_dir.h"

namespace hostprobe {
namespace {

using ::testing::HasSubstr;

const std::string kFixtures = std::string(HOSTPROBE_FIXTURES) + "/events";

ProbeSpec Uprobe(std::string name, std::string binary, std::string symbol, bool latency = false) {
  ProbeSpec s;
  s.name = std::move(name);
  s.binary = std::move(binary);
  s.symbol = std::move(symbol);
  s.latency = latency;
  return s;
}

ProbeSpec Usdt(std::string name, std::string binary, std::string provider, std::string probe) {
  ProbeSpec s;
  s.name = std::move(name);
  s.binary = std::move(binary);
  s.kind = ProbeKind::kUsdt;
  s.usdt_provider = std::move(provider);
  s.usdt_name = std::move(probe);
  return s;
}

std::string ErrorOf(std::string_view text) {
  auto r = ParseProbeSpec(text);
  EXPECT_FALSE(r.ok()) << "accepted: " << text;
  return r.ok() ? "" : r.error().message;
}

TEST(ParseProbeSpecTest, FunctionProbe) {
  auto r = ParseProbeSpec("checkout=/opt/shop/server:handle_checkout");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, Uprobe("checkout", "/opt/shop/server", "handle_checkout"));
}

TEST(ParseProbeSpecTest, LatencyProbe) {
  auto r = ParseProbeSpec("q=/usr/lib/x86_64-linux-gnu/libpq.so.5:PQexec:latency");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, Uprobe("q", "/usr/lib/x86_64-linux-gnu/libpq.so.5", "PQexec", true));
}

TEST(ParseProbeSpecTest, UsdtProbe) {
  auto r = ParseProbeSpec("gc=/usr/bin/node:usdt:node:gc__start");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, Usdt("gc", "/usr/bin/node", "node", "gc__start"));
}

TEST(ParseProbeSpecTest, AcceptsBareNamesMangledAndVersionedSymbols) {
  auto bare = ParseProbeSpec("m=libc.so.6:malloc");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->binary, "libc.so.6");
  auto mangled = ParseProbeSpec("_x9=/bin/app:_ZN4shop8checkoutEv");
  ASSERT_TRUE(mangled.ok());
  EXPECT_EQ(mangled->name, "_x9");
  EXPECT_EQ(mangled->symbol, "_ZN4shop8checkoutEv");
  auto versioned = ParseProbeSpec("m=/lib/libc.so.6:malloc@GLIBC_2.2.5");
  ASSERT_TRUE(versioned.ok());
  EXPECT_EQ(versioned->symbol, "malloc@GLIBC_2.2.5");
}

TEST(ParseProbeSpecTest, TrimsSurroundingWhitespace) {
  auto r = ParseProbeSpec("  name = /bin/app:main  \r\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, Uprobe("name", "/bin/app", "main"));
}

TEST(ParseProbeSpecTest, ToStringRoundTrips) {
  for (const char* text : {"a=/bin/x:f", "b=/bin/x:f:latency", "c=/bin/x:usdt:p:n"}) {
    auto r = ParseProbeSpec(text);
    ASSERT_TRUE(r.ok()) << text;
    EXPECT_EQ(r->ToString(), text);
  }
}

TEST(ParseProbeSpecTest, RejectsEveryMalformedForm) {
  EXPECT_THAT(ErrorOf(""), HasSubstr("expected NAME=BINARY:SYMBOL"));
  EXPECT_THAT(ErrorOf("   "), HasSubstr("expected NAME=BINARY:SYMBOL"));
  EXPECT_THAT(ErrorOf("/bin/app:main"), HasSubstr("no '='"));
  EXPECT_THAT(ErrorOf("=/bin/app:main"), HasSubstr("empty probe name"));
  EXPECT_THAT(ErrorOf(" =/bin/app:main"), HasSubstr("empty probe name"));
  EXPECT_THAT(ErrorOf("9lives=/bin/app:main"), HasSubstr("must match [a-zA-Z_][a-zA-Z0-9_]*"));
  EXPECT_THAT(ErrorOf("my-probe=/bin/app:main"), HasSubstr("\"my-probe\" must match"));
  EXPECT_THAT(ErrorOf("a.b=/bin/app:main"), HasSubstr("must match"));
  EXPECT_THAT(ErrorOf("caf\xc3\xa9=/bin/app:main"), HasSubstr("must match"));
  EXPECT_THAT(ErrorOf("a b=/bin/app:main"), HasSubstr("must match"));
  EXPECT_THAT(ErrorOf("a="), HasSubstr("missing symbol"));
  EXPECT_THAT(ErrorOf("a=/bin/app"), HasSubstr("missing symbol"));
  EXPECT_THAT(ErrorOf("a=/bin/app:"), HasSubstr("missing symbol"));
  EXPECT_THAT(ErrorOf("a=:main"), HasSubstr("missing binary"));
  EXPECT_THAT(ErrorOf("a=/bin/my app:main"), HasSubstr("whitespace"));
  EXPECT_THAT(ErrorOf("a=/bin/app:ma in"), HasSubstr("whitespace"));
  EXPECT_THAT(ErrorOf("a=/bin/app:main:lat"), HasSubstr("unknown suffix \"lat\""));
  EXPECT_THAT(ErrorOf("a=/bin/app:main:LATENCY"), HasSubstr("unknown suffix \"LATENCY\""));
  EXPECT_THAT(ErrorOf("a=/bin/app:main:"), HasSubstr("empty suffix"));
  EXPECT_THAT(ErrorOf("a=/bin/app:main:latency:x"), HasSubstr("too many"));
  EXPECT_THAT(ErrorOf("a=/bin/app:shop::checkout"), HasSubstr("ELF (mangled) symbol name"));
  EXPECT_THAT(ErrorOf("a=/bin/app:usdt"), HasSubstr("NAME=BINARY:usdt:PROVIDER:PROBE"));
  EXPECT_THAT(ErrorOf("a=/bin/app:usdt:node"), HasSubstr("NAME=BINARY:usdt:PROVIDER:PROBE"));
  EXPECT_THAT(ErrorOf("a=/bin/app:usdt::gc"), HasSubstr("NAME=BINARY:usdt:PROVIDER:PROBE"));
  EXPECT_THAT(ErrorOf("a=/bin/app:usdt:node:"), HasSubstr("NAME=BINARY:usdt:PROVIDER:PROBE"));
  EXPECT_THAT(ErrorOf("a=/bin/app:usdt:node:gc:latency"),
              HasSubstr(":latency applies only to function probes"));
  EXPECT_THAT(ErrorOf("a=/bin/app:usdt:no-de:gc"), HasSubstr("USDT provider \"no-de\""));
  EXPECT_THAT(ErrorOf("a=/bin/app:usdt:node:g.c"), HasSubstr("USDT probe \"g.c\""));
}

TEST(ParseProbeSpecTest, ErrorsQuoteTheSpec) {
  EXPECT_THAT(ErrorOf("x=/bin/app:main:fast"), HasSubstr("invalid probe \"x=/bin/app:main:fast\""));
}

TEST(ParseProbeSpecsTest, KeepsOrderAndRejectsDuplicateNames) {
  auto ok = ParseProbeSpecs({"a=/bin/x:f", "b=/bin/x:g:latency"});
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[0].name, "a");
  EXPECT_EQ((*ok)[1].name, "b");

  auto dup = ParseProbeSpecs({"a=/bin/x:f", "a=/bin/y:g"});
  ASSERT_FALSE(dup.ok());
  EXPECT_THAT(dup.error().message, HasSubstr("probe name \"a\" is defined twice"));
  EXPECT_THAT(dup.error().message, HasSubstr("--probe a=/bin/x:f"));
  EXPECT_THAT(dup.error().message, HasSubstr("--probe a=/bin/y:g"));

  auto bad = ParseProbeSpecs({"a=/bin/x:f", "b"});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, HasSubstr("--probe: invalid probe \"b\""));
  EXPECT_EQ(bad.error().err, EINVAL);
}

TEST(ParseProbeConfigTest, SkipsCommentsAndBlankLines) {
  auto r = ParseProbeConfig(
      "# header\n"
      "\n"
      "a=/bin/x:f\n"
      "   # indented comment\n"
      "b=/bin/x:g:latency   # trailing comment\n"
      "c=/opt/a#b/bin:main\n"
      "\t\n"
      "d=/bin/x:usdt:p:n",  // no final newline
      "probes.conf");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0], Uprobe("a", "/bin/x", "f"));
  EXPECT_EQ((*r)[1], Uprobe("b", "/bin/x", "g", true));
  EXPECT_EQ((*r)[2], Uprobe("c", "/opt/a#b/bin", "main")) << "a '#' inside a path is not a comment";
  EXPECT_EQ((*r)[3], Usdt("d", "/bin/x", "p", "n"));
}

TEST(ParseProbeConfigTest, EmptyFileHasNoProbes) {
  auto r = ParseProbeConfig("", "empty.conf");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  auto comments = ParseProbeConfig("# nothing\n\n   \n", "c.conf");
  ASSERT_TRUE(comments.ok());
  EXPECT_TRUE(comments->empty());
}

TEST(ParseProbeConfigTest, ErrorsNameTheLine) {
  auto r = ParseProbeConfig("a=/bin/x:f\n\n# c\nb=/bin/x\n", "my.conf");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("my.conf:4: invalid probe \"b=/bin/x\": missing symbol"));
}

TEST(ParseProbeConfigTest, DuplicatesNameBothLines) {
  auto r = ParseProbeConfig("a=/bin/x:f\nb=/bin/x:g\na=/bin/x:h\n", "my.conf");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message,
              HasSubstr("my.conf:3: probe name \"a\" is defined twice (my.conf:1 and my.conf:3)"));
}

TEST(ParseProbeConfigTest, CrlfLines) {
  auto r = ParseProbeConfig("a=/bin/x:f\r\nb=/bin/x:g:latency\r\n", "dos.conf");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_TRUE((*r)[1].latency);
}

TEST(LoadProbeSpecsTest, FlagsThenConfigFile) {
  auto r = LoadProbeSpecs({"first=/bin/x:f"}, kFixtures + "/probes.conf");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ((*r)[0].name, "first");
  EXPECT_EQ((*r)[1], Uprobe("checkout", "/opt/shop/bin/server", "_ZN4shop8checkoutEv", true));
  EXPECT_EQ((*r)[2], Uprobe("db_query", "/usr/lib/x86_64-linux-gnu/libpq.so.5", "PQexec"));
  EXPECT_EQ((*r)[3], Uprobe("odd_path", "/opt/a#b/bin", "main"));
  EXPECT_EQ((*r)[4], Usdt("gc", "/usr/bin/node", "node", "gc__start"));
}

TEST(LoadProbeSpecsTest, NoConfigFile) {
  auto r = LoadProbeSpecs({}, "");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(LoadProbeSpecsTest, ConfigErrorsCarryFileAndLine) {
  auto r = LoadProbeSpecs({}, kFixtures + "/probes_bad_line3.conf");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("--probe-config: " + kFixtures + "/probes_bad_line3.conf:3: "));
  EXPECT_THAT(r.error().message, HasSubstr("unknown suffix \"fast\""));
}

TEST(LoadProbeSpecsTest, MissingConfigFile) {
  auto r = LoadProbeSpecs({}, kFixtures + "/no-such-file.conf");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message,
              HasSubstr("--probe-config: cannot read " + kFixtures + "/no-such-file.conf"));
  EXPECT_EQ(r.error().err, ENOENT);
}

TEST(LoadProbeSpecsTest, NameInFlagAndFileIsADuplicate) {
  auto r = LoadProbeSpecs({"gc=/bin/x:f"}, kFixtures + "/probes.conf");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("probe name \"gc\" is defined twice (--probe gc=/bin/x:f and " +
                                           kFixtures + "/probes.conf:7)"));
}

TEST(LoadProbeSpecsTest, AtMostMaxProbes) {
  std::vector<std::string> flags;
  for (size_t i = 0; i < kMaxProbes; ++i) {
    std::string spec = "p";
    spec += std::to_string(i);
    spec += "=/bin/x:f";
    flags.push_back(spec);
  }
  ASSERT_TRUE(LoadProbeSpecs(flags, "").ok());
  test_util::TempDir dir;
  const std::string conf = dir.path() + "/one-more.conf";
  std::ofstream(conf) << "extra=/bin/x:f\n";
  auto r = LoadProbeSpecs(flags, conf);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("too many probes: 65 given, at most 64"));
}

}  // namespace
}  // namespace hostprobe
