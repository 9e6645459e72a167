// Result<T>: a value or an Error carrying the failed operation and errno.
// Used for everything that can fail at run time; exceptions are reserved for
// programming errors.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <variant>

namespace hostprobe {

struct Error {
  std::string message;  // what failed, in words an operator can act on
  int err = 0;          // errno when one applies, else 0

  static Error FromErrno(std::string what, int e = errno) {
    return Error{std::move(what) + ": " + std::strerror(e), e};
  }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result of an operation that yields nothing on success.
struct Ok {};
using Status = Result<Ok>;

}  // namespace hostprobe
