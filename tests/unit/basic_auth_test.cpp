#include "core/basic_auth.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

namespace hostprobe {
namespace {

// Published jBCrypt/OpenBSD test vectors (an implementation other than the
// one under test produced them).
constexpr const char* kHashA = "$2a$06$m0CrhHm10qJ3lXRY.5zDGO3rS2KdeeWLuGmsfGlMfOxih58VYVfxe";      // "a"
constexpr const char* kHashAbc = "$2a$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i";    // "abc"
constexpr const char* kHashEmpty = "$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.";  // ""
// "s3cret pass" under the three prefixes in use ($2y$ is what htpasswd writes).
constexpr const char* kHash2y = "$2y$04$abcdefghijklmnopqrstuuoBpIrM0OnplXjsOI8DWYJTHUhJDuUv.";
constexpr const char* kHash2b = "$2b$04$abcdefghijklmnopqrstuuoBpIrM0OnplXjsOI8DWYJTHUhJDuUv.";

using Users = std::map<std::string, std::string>;

TEST(Bcrypt, PublishedVectors) {
  EXPECT_TRUE(BcryptMatches("a", kHashA));
  EXPECT_TRUE(BcryptMatches("abc", kHashAbc));
  EXPECT_TRUE(BcryptMatches("", kHashEmpty));
  EXPECT_FALSE(BcryptMatches("abd", kHashAbc));
  EXPECT_FALSE(BcryptMatches("ab", kHashAbc));
  EXPECT_FALSE(BcryptMatches("", kHashA));
}

TEST(Bcrypt, PrefixesAndRefusals) {
  EXPECT_TRUE(BcryptMatches("s3cret pass", kHash2y));
  EXPECT_TRUE(BcryptMatches("s3cret pass", kHash2b));
  EXPECT_FALSE(BcryptMatches("s3cret pasS", kHash2y));
  // NUL cannot be passed to crypt; "abc\0x" must not verify as "abc".
  EXPECT_FALSE(BcryptMatches(std::string("abc\0x", 5), kHashAbc));
  // crypt_r refuses a malformed hash; that is a mismatch, not a crash.
  EXPECT_FALSE(BcryptMatches("abc", "$2y$04$short"));
  EXPECT_FALSE(BcryptMatches("abc", ""));
}

TEST(Bcrypt, IsBcryptHash) {
  EXPECT_TRUE(IsBcryptHash(kHashA));
  EXPECT_TRUE(IsBcryptHash(kHash2y));
  EXPECT_TRUE(IsBcryptHash(kHash2b));
  EXPECT_FALSE(IsBcryptHash("$2x$04$abcdefghijklmnopqrstuuoBpIrM0OnplXjsOI8DWYJTHUhJDuUv."));
  EXPECT_FALSE(IsBcryptHash("$2y$32$abcdefghijklmnopqrstuuoBpIrM0OnplXjsOI8DWYJTHUhJDuUv."));
  EXPECT_FALSE(IsBcryptHash("$2y$4$abcdefghijklmnopqrstuuoBpIrM0OnplXjsOI8DWYJTHUhJDuUv.x"));
  EXPECT_FALSE(IsBcryptHash("$2y$04$abcdefghijklmnopqrstuuoBpIrM0OnplXjsOI8DWYJTHUhJDuUv!"));
  EXPECT_FALSE(IsBcryptHash("$6$salt$hash"));
  EXPECT_FALSE(IsBcryptHash(""));
}

TEST(ConstantTimeEquals, ComparesBytesAndLengths) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "bbc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
  EXPECT_TRUE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
}

TEST(Base64, DecodesAndRejects) {
  EXPECT_EQ(Base64Decode("").value(), "");
  EXPECT_EQ(Base64Decode("YQ==").value(), "a");
  EXPECT_EQ(Base64Decode("YWI=").value(), "ab");
  EXPECT_EQ(Base64Decode("YWJj").value(), "abc");
  EXPECT_EQ(Base64Decode("cHJvbWV0aGV1czpzM2NyZXQgcGFzcw==").value(), "prometheus:s3cret pass");
  EXPECT_FALSE(Base64Decode("YWJ"));  // length
  EXPECT_FALSE(Base64Decode("Y===").has_value());
  EXPECT_FALSE(Base64Decode("YQ==YWJj"));  // data after padding
  EXPECT_FALSE(Base64Decode("YW=j"));
  EXPECT_FALSE(Base64Decode("YW!j"));
}

// Decoding is OpenSSL's: whatever its encoder writes comes back byte for byte.
TEST(Base64, RoundTripsOpenSslsEncoding) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (size_t len = 0; len <= bytes.size(); ++len) {
    const std::string plain = bytes.substr(bytes.size() - len);  // every byte value, every padding
    std::string encoded(4 * ((len + 2) / 3) + 1, '\0');
    const int n =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                        reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(len));
    encoded.resize(static_cast<size_t>(n));
    auto decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, plain) << encoded;
  }
}

// Where OpenSSL's decoder alone is lenient, the form is still RFC 4648's.
TEST(Base64, StrictWhereOpenSslIsLenient) {
  for (const char* bad : {" YWJj", "YWJj ", "YWJj\n", "YWJj\r\n", "\tYWJj", "YWJj-", "====", "YQ=a",
                          "Y=Q=", "YWJj====", "YQ==\n"}) {
    EXPECT_FALSE(Base64Decode(bad).has_value()) << bad;
  }
  EXPECT_EQ(Base64Decode("YWJjZA==").value(), "abcd");
  EXPECT_EQ(Base64Decode("+/+/").value(), "\xfb\xff\xbf");
}

TEST(ParseBasicAuthorization, Header) {
  auto c = ParseBasicAuthorization("Basic cHJvbWV0aGV1czpzM2NyZXQgcGFzcw==");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->user, "prometheus");
  EXPECT_EQ(c->password, "s3cret pass");
  // Scheme is case-insensitive; a password may contain ':'.
  auto d = ParseBasicAuthorization("  bAsIc  dTpwdzp4  ");  // "u:pw:x"
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->user, "u");
  EXPECT_EQ(d->password, "pw:x");
  EXPECT_FALSE(ParseBasicAuthorization("Bearer abc"));
  EXPECT_FALSE(ParseBasicAuthorization("Basic"));
  EXPECT_FALSE(ParseBasicAuthorization("Basicdq=="));
  EXPECT_FALSE(ParseBasicAuthorization("Basic dXNlcg=="));  // "user": no colon
  EXPECT_FALSE(ParseBasicAuthorization("Basic ***"));
}

TEST(BasicAuthenticator, VerifiesAndCachesOnlySuccess) {
  BasicAuthenticator auth(Users{{"alice", kHashAbc}, {"bob", kHash2y}});
  EXPECT_TRUE(auth.Verify("alice", "abc"));
  EXPECT_EQ(auth.bcrypt_runs(), 1u);
  EXPECT_EQ(auth.cached(), 1u);
  // A cache hit costs no bcrypt.
  EXPECT_TRUE(auth.Verify("alice", "abc"));
  EXPECT_EQ(auth.bcrypt_runs(), 1u);
  // Wrong passwords are never cached, and are checked every time.
  EXPECT_FALSE(auth.Verify("alice", "abd"));
  EXPECT_FALSE(auth.Verify("alice", "abd"));
  EXPECT_EQ(auth.bcrypt_runs(), 3u);
  EXPECT_EQ(auth.cached(), 1u);
  // Another user's password does not open this user.
  EXPECT_FALSE(auth.Verify("bob", "abc"));
  EXPECT_TRUE(auth.Verify("bob", "s3cret pass"));
  EXPECT_EQ(auth.cached(), 2u);
  // The cached key covers user and password together.
  EXPECT_FALSE(auth.Verify("alic", "eabc"));
}

TEST(BasicAuthenticator, UnknownUserStillRunsBcrypt) {
  BasicAuthenticator auth(Users{{"alice", kHashAbc}});
  EXPECT_FALSE(auth.Verify("mallory", "abc"));
  EXPECT_EQ(auth.bcrypt_runs(), 1u);  // the dummy run that hides whether the user exists
  EXPECT_FALSE(auth.Verify("", ""));
  EXPECT_EQ(auth.bcrypt_runs(), 2u);
  EXPECT_EQ(auth.cached(), 0u);
}

TEST(BasicAuthenticator, CacheIsBounded) {
  // One user, several passwords that verify: only possible with distinct
  // users, so use three users sharing one hash.
  BasicAuthenticator auth(Users{{"a", kHashAbc}, {"b", kHashAbc}, {"c", kHashAbc}}, 2);
  EXPECT_TRUE(auth.Verify("a", "abc"));
  EXPECT_TRUE(auth.Verify("b", "abc"));
  EXPECT_TRUE(auth.Verify("c", "abc"));  // evicts "a", the oldest
  EXPECT_EQ(auth.cached(), 2u);
  EXPECT_EQ(auth.bcrypt_runs(), 3u);
  EXPECT_TRUE(auth.Verify("c", "abc"));
  EXPECT_EQ(auth.bcrypt_runs(), 3u);  // still cached
  EXPECT_TRUE(auth.Verify("a", "abc"));
  EXPECT_EQ(auth.bcrypt_runs(), 4u);  // was evicted: verified again
  EXPECT_EQ(auth.cached(), 2u);
}

TEST(BasicAuthenticator, ConcurrentCallers) {
  BasicAuthenticator auth(Users{{"alice", kHashAbc}});
  std::vector<std::thread> threads;
  std::vector<int> results(8, -1);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] { results[i] = auth.Verify("alice", i % 2 ? "abc" : "nope") ? 1 : 0; });
  for (auto& t : threads) t.join();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(results[i], i % 2) << i;
  EXPECT_EQ(auth.cached(), 1u);
}

}  // namespace
}  // namespace hostprobe
