#include "core/error.h"

#include <array>

namespace hypersdk {
namespace {
constexpr std::array<std::pair<ErrorClass, std::string_view>, 12> kNames{{
    {ErrorClass::transient, "transient"},
    {ErrorClass::timeout, "timeout"},
    {ErrorClass::network, "network"},
    {ErrorClass::rate_limited, "rate_limited"},
    {ErrorClass::auth, "auth"},
    {ErrorClass::not_found, "not_found"},
    {ErrorClass::invalid, "invalid"},
    {ErrorClass::conflict, "conflict"},
    {ErrorClass::unavailable, "unavailable"},
    {ErrorClass::cancelled, "cancelled"},
    {ErrorClass::lease_expired, "lease_expired"},
    {ErrorClass::internal, "internal"},
}};
}  // namespace

std::string_view to_string(ErrorClass c) {
  for (const auto& [cls, name] : kNames)
    if (cls == c) return name;
  return "internal";
}

std::optional<ErrorClass> parse_error_class(std::string_view s) {
  for (const auto& [cls, name] : kNames)
    if (name == s) return cls;
  return std::nullopt;
}

std::string Error::to_string() const {
  return std::string(hypersdk::to_string(cls)) + ": " + message;
}

}  // namespace hypersdk
