// Error values passed between modules. Every error carries a class because retries, exit
// codes and HTTP statuses are all decided from it, never from the message text.
//
// Thread safety: plain values; safe to copy between threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace hypersdk {

enum class ErrorClass {
  transient,      // may succeed if tried again (exec exit 75, busy resource)
  timeout,        // deadline or stall
  network,        // connection refused/reset, DNS
  rate_limited,   // the other side asked us to slow down
  auth,           // credentials missing, wrong or expired
  not_found,      // no such job, VM, schedule, file
  invalid,        // bad input: flags, config, bodies, cron strings
  conflict,       // state does not allow it (cancel a finished job, stale lease token)
  unavailable,    // service draining, database locked beyond busy_timeout
  cancelled,      // cancelled by an operator
  lease_expired,  // worker died or stalled holding the job
  internal,       // a bug or an unexpected failure of ours
};

std::string_view to_string(ErrorClass c);
std::optional<ErrorClass> parse_error_class(std::string_view s);

struct Error {
  ErrorClass cls = ErrorClass::internal;
  std::string message;

  std::string to_string() const;
};

inline Error make_error(ErrorClass cls, std::string message) {
  return Error{cls, std::move(message)};
}

// Input that is wrong (400, exit code 2): the commonest error of parsers and validators.
inline Error invalid_error(std::string message) {
  return make_error(ErrorClass::invalid, std::move(message));
}

// Result<T>: a T or an Error. A small stand-in for std::expected (C++23).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok()
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  // By value, so `for (auto& x : f().value())` does not dangle.
  T value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // REQUIRES: !ok()
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Status: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  // REQUIRES: !ok()
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

}  // namespace hypersdk
