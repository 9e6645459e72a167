#include "core/labels.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "exposition_util.h"

namespace hostprobe {
namespace {

using test::IsValidUtf8;

#define HP_FFFD "\xEF\xBF\xBD"  // U+HP_FFFD, for splicing into literals
constexpr std::string_view kFffd = HP_FFFD;

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(LabelsTest, ValidatorSelfCheck) {
  EXPECT_TRUE(IsValidUtf8("abc\xC3\xA9"));
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xE6\x97"));
}

TEST(LabelsTest, ValidInputUnchanged) {
  for (std::string_view s : {
           std::string_view(""), std::string_view("/system.slice/ssh.service"),
           std::string_view("with space, \"quote\", back\\slash and\nnewline\t"),
           std::string_view("caf\xC3\xA9"),               // é
           std::string_view("\xE6\x97\xA5\xE6\x9C\xAC"),  // 日本
           std::string_view("\xF0\x9F\x98\x80 grin"),     // U+1F600
           std::string_view("\xF4\x8F\xBF\xBF"),          // U+10FFFF
           std::string_view("\xEE\x80\x80"),              // U+E000, just past surrogates
           std::string_view("\xED\x9F\xBF"),              // U+D7FF, just before them
           std::string_view("\xEF\xBF\xBD"),              // U+HP_FFFD itself
           std::string_view("\x01\x7F"),                  // controls are valid UTF-8
       }) {
    EXPECT_EQ(SanitizeLabelValue(s), s);
  }
}

TEST(LabelsTest, InvalidBytesReplaced) {
  EXPECT_EQ(SanitizeLabelValue("a\xFF"
                               "b"),
            "a" HP_FFFD "b");
  EXPECT_EQ(SanitizeLabelValue("\xFE"), kFffd);
  EXPECT_EQ(SanitizeLabelValue("\xF8\x88\x80\x80\x80"), Repeat(kFffd, 5));  // 5-byte form
}

TEST(LabelsTest, LoneContinuationBytesReplaced) {
  EXPECT_EQ(SanitizeLabelValue("\x80"), kFffd);
  EXPECT_EQ(SanitizeLabelValue("x\xBFy"), "x" HP_FFFD "y");
  EXPECT_EQ(SanitizeLabelValue("\x80\x80"), Repeat(kFffd, 2));
}

TEST(LabelsTest, TruncatedSequencesReplaced) {
  // The sequence is cut short by the end of input or by an ASCII byte; the
  // ASCII byte survives.
  std::string a = SanitizeLabelValue("\xE6\x97");
  EXPECT_TRUE(IsValidUtf8(a));
  EXPECT_NE(a.find(kFffd), std::string::npos);
  EXPECT_EQ(a.find('\xE6'), std::string::npos);

  std::string b = SanitizeLabelValue(
      "ab\xF0\x9F\x98"
      "c");
  EXPECT_TRUE(IsValidUtf8(b));
  EXPECT_EQ(b.substr(0, 2), "ab");
  EXPECT_EQ(b.back(), 'c');
  EXPECT_NE(b.find(kFffd), std::string::npos);

  EXPECT_EQ(SanitizeLabelValue("\xC3"), kFffd);
  EXPECT_EQ(SanitizeLabelValue("\xC3"
                               "A"),
            HP_FFFD "A");
  // A valid character right after the broken one is kept.
  std::string c = SanitizeLabelValue("\xE6\xC3\xA9");
  EXPECT_EQ(c, HP_FFFD "\xC3\xA9");
}

TEST(LabelsTest, OverlongEncodingsReplaced) {
  for (std::string_view s : {std::string_view("\xC0\xAF"), std::string_view("\xC1\xBF"),
                             std::string_view("\xE0\x80\xAF"), std::string_view("\xF0\x80\x80\xAF")}) {
    std::string out = SanitizeLabelValue(s);
    EXPECT_TRUE(IsValidUtf8(out));
    EXPECT_EQ(out.find('/'), std::string::npos) << "overlong '/' decoded";
    EXPECT_NE(out.find(kFffd), std::string::npos);
  }
  EXPECT_EQ(SanitizeLabelValue("\xC0\xAF"), Repeat(kFffd, 2));
}

TEST(LabelsTest, SurrogatesReplaced) {
  std::string out = SanitizeLabelValue("\xED\xA0\x80");  // U+D800
  EXPECT_TRUE(IsValidUtf8(out));
  EXPECT_EQ(out.substr(0, 3), kFffd);
  EXPECT_EQ(out.find("\xED\xA0\x80"), std::string::npos);
  EXPECT_TRUE(IsValidUtf8(SanitizeLabelValue("\xED\xBF\xBF")));  // U+DFFF
}

TEST(LabelsTest, BeyondMaxCodePointReplaced) {
  std::string out = SanitizeLabelValue("\xF4\x90\x80\x80");  // U+110000
  EXPECT_TRUE(IsValidUtf8(out));
  EXPECT_EQ(out.substr(0, 3), kFffd);
  EXPECT_EQ(SanitizeLabelValue("\xF5\x80\x80\x80").substr(0, 3), kFffd);
  EXPECT_TRUE(IsValidUtf8(SanitizeLabelValue("\xF7\xBF\xBF\xBF")));
}

TEST(LabelsTest, NulStripped) {
  EXPECT_EQ(SanitizeLabelValue(std::string_view("a\0b", 3)), "ab");
  EXPECT_EQ(SanitizeLabelValue(std::string_view("\0\0", 2)), "");
  // NUL inside a multibyte sequence: the sequence is broken, the NUL dropped.
  EXPECT_EQ(SanitizeLabelValue(std::string_view("\xC3\0x", 3)), HP_FFFD "x");
}

TEST(LabelsTest, RandomBytesAlwaysGiveValidUtf8) {
  std::mt19937 rng(12345);
  // Bias towards bytes that start or continue sequences.
  const uint8_t interesting[] = {0x00, 0x2F, 0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
                                 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xF8, 0xFF, 0x9F, 0xA0};
  for (int iter = 0; iter < 4000; ++iter) {
    size_t len = rng() % 24;
    std::string in;
    for (size_t i = 0; i < len; ++i) {
      in.push_back(static_cast<char>(rng() % 2 ? rng() % 256 : interesting[rng() % std::size(interesting)]));
    }
    std::string out = SanitizeLabelValue(in);
    ASSERT_TRUE(IsValidUtf8(out)) << "input bytes: " << ::testing::PrintToString(in);
    ASSERT_EQ(out.find('\0'), std::string::npos);
    if (IsValidUtf8(in) && in.find('\0') == std::string::npos) {
      ASSERT_EQ(out, in);
    }
    // Sanitizing is idempotent.
    ASSERT_EQ(SanitizeLabelValue(out), out);
  }
}

}  // namespace
}  // namespace hostprobe
