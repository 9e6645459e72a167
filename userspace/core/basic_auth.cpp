#include "basic_auth.h"

#include <crypt.h>
#include <openssl/evp.h>

#include <cctype>
#include <limits>
#include <memory>
#include <utility>

namespace hostprobe {
namespace {

bool IsBcryptBase64(char c) {
  return c == '.' || c == '/' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// SHA-256 of the parts, each followed by a NUL so that ("ab","c") and
// ("a","bc") differ. A collision-resistant key matters: a wrong password
// whose key matched a cached one would be let in.
std::string CacheKey(std::string_view user, std::string_view password, std::string_view hash) {
  std::string input;
  input.reserve(user.size() + password.size() + hash.size() + 3);
  for (std::string_view part : {user, password, hash}) {
    input.append(part);
    input.push_back('\0');
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha256(), nullptr) != 1) return {};
  return std::string(reinterpret_cast<const char*>(digest), len);
}

}  // namespace

bool IsBcryptHash(std::string_view h) {
  if (h.size() != 60 || h[0] != '$' || h[1] != '2' || h[3] != '$' || h[6] != '$') return false;
  if (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') return false;
  if (!std::isdigit(static_cast<unsigned char>(h[4])) || !std::isdigit(static_cast<unsigned char>(h[5])))
    return false;
  const int cost = (h[4] - '0') * 10 + (h[5] - '0');
  if (cost < 4 || cost > 31) return false;
  for (size_t i = 7; i < h.size(); ++i)
    if (!IsBcryptBase64(h[i])) return false;
  return true;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  volatile unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff = diff | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]));
  return diff == 0;
}

bool BcryptMatches(std::string_view password, const std::string& hash) {
  if (password.find('\0') != std::string_view::npos) return false;
  // crypt_data is ~32 KiB: too big for a worker thread's stack.
  auto data = std::make_unique<crypt_data>();
  const std::string pw(password);
  const char* out = crypt_r(pw.c_str(), hash.c_str(), data.get());
  // libxcrypt signals failure with NULL or a "*0"/"*1" token, never a hash.
  if (out == nullptr || out[0] == '*') return false;
  return ConstantTimeEquals(out, hash);
}

std::optional<std::string> Base64Decode(std::string_view in) {
  // OpenSSL decodes; it is lenient where RFC 4648 is not (it skips
  // surrounding white space and takes '=' anywhere as a zero), so the form
  // is checked here first: whole quanta of the standard alphabet, and '='
  // only as the padding of the last one ("xx==" or "xxx=").
  if (in.size() % 4 != 0) return std::nullopt;
  if (in.size() > static_cast<size_t>(std::numeric_limits<int>::max())) return std::nullopt;
  const auto in_alphabet = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
  };
  size_t pad = 0;
  if (!in.empty() && in.back() == '=') pad = in[in.size() - 2] == '=' ? 2 : 1;
  for (size_t i = 0; i < in.size() - pad; ++i)
    if (!in_alphabet(in[i])) return std::nullopt;
  std::string out(in.size() / 4 * 3, '\0');
  const int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0 || static_cast<size_t>(n) != out.size()) return std::nullopt;
  out.resize(out.size() - pad);  // EVP_DecodeBlock decodes the padding as zero bytes
  return out;
}

std::optional<BasicCredentials> ParseBasicAuthorization(std::string_view header) {
  while (!header.empty() && (header.front() == ' ' || header.front() == '\t')) header.remove_prefix(1);
  while (!header.empty() && (header.back() == ' ' || header.back() == '\t')) header.remove_suffix(1);
  constexpr std::string_view kScheme = "basic";
  if (header.size() <= kScheme.size() || header[kScheme.size()] != ' ') return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return std::nullopt;
  std::string_view encoded = header.substr(kScheme.size() + 1);
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  auto decoded = Base64Decode(encoded);
  if (!decoded) return std::nullopt;
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

BasicAuthenticator::BasicAuthenticator(std::map<std::string, std::string> users, size_t cache_size)
    : users_(std::move(users)), cache_size_(cache_size) {}

bool BasicAuthenticator::Verify(std::string_view user, std::string_view password) {
  auto it = users_.find(std::string(user));
  if (it == users_.end()) {
    // Same work as for a known user with a wrong password, so the response
    // time does not reveal whether the user exists. The first user's hash
    // has a cost the operator chose.
    if (!users_.empty()) {
      std::lock_guard bcrypt(bcrypt_mu_);
      (void)BcryptMatches(password, users_.begin()->second);
      std::lock_guard lock(mu_);
      ++bcrypt_runs_;
    }
    return false;
  }
  const std::string key = CacheKey(user, password, it->second);
  if (key.empty()) return false;
  {
    std::lock_guard lock(mu_);
    if (cache_.count(key) != 0) return true;
  }
  bool ok = false;
  {
    std::lock_guard bcrypt(bcrypt_mu_);
    ok = BcryptMatches(password, it->second);
  }
  std::lock_guard lock(mu_);
  ++bcrypt_runs_;
  if (ok && cache_size_ > 0 && cache_.insert(key).second) {
    order_.push_back(key);
    while (order_.size() > cache_size_) {
      cache_.erase(order_.front());
      order_.pop_front();
    }
  }
  return ok;
}

size_t BasicAuthenticator::cached() const {
  std::lock_guard lock(mu_);
  return cache_.size();
}

size_t BasicAuthenticator::bcrypt_runs() const {
  std::lock_guard lock(mu_);
  return bcrypt_runs_;
}

}  // namespace hostprobe
