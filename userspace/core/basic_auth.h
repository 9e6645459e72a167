// HTTP basic auth against bcrypt hashes (the basic_auth_users of a web
// config), as exporter-toolkit does it: bcrypt through libxcrypt's crypt_r,
// constant-time comparison, a bounded cache of successful verifications so a
// scrape does not pay bcrypt's deliberate cost (~50-100 ms at cost 10) each
// time, and a dummy bcrypt for unknown users so the time taken does not tell
// which user names exist.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

namespace hostprobe {

// "$2a$", "$2b$" or "$2y$", a two-digit cost from 04 to 31, "$", then 53
// characters of bcrypt's base64 (22 of salt, 31 of hash).
bool IsBcryptHash(std::string_view hash);

// crypt_r(password, hash) == hash, compared in constant time. False for a
// hash crypt_r refuses and for passwords holding a NUL byte.
bool BcryptMatches(std::string_view password, const std::string& hash);

// Equal length and bytes, in time that depends only on the lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Standard base64 (RFC 4648, with padding); nullopt if malformed.
std::optional<std::string> Base64Decode(std::string_view in);

struct BasicCredentials {
  std::string user;
  std::string password;
};

// The value of an Authorization header: "Basic <base64 of user:password>"
// (scheme case-insensitive). nullopt for any other scheme or bad encoding.
std::optional<BasicCredentials> ParseBasicAuthorization(std::string_view header);

// Thread-safe. Holds SHA-256 digests of verified credentials, never the
// passwords themselves.
class BasicAuthenticator {
 public:
  static constexpr size_t kDefaultCacheSize = 100;

  // `users`: user -> bcrypt hash (IsBcryptHash), at least one.
  explicit BasicAuthenticator(std::map<std::string, std::string> users,
                              size_t cache_size = kDefaultCacheSize);

  bool Verify(std::string_view user, std::string_view password);

  // Number of credentials cached (for tests).
  size_t cached() const;
  // Number of bcrypt computations done so far (for tests: a cache hit does none).
  size_t bcrypt_runs() const;

 private:
  const std::map<std::string, std::string> users_;
  const size_t cache_size_;
  mutable std::mutex mu_;                  // guards the cache
  std::unordered_set<std::string> cache_;  // digests of verified user+password+hash
  std::deque<std::string> order_;          // insertion order, oldest first, for eviction
  // One bcrypt at a time: a flood of wrong passwords costs at most one core,
  // and a scraper with cached credentials never waits for it.
  std::mutex bcrypt_mu_;
  size_t bcrypt_runs_ = 0;  // guarded by mu_
};

}  // namespace hostprobe
