// UTF-8 validity (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
// Text that will be rendered as JSON must be valid UTF-8: nlohmann's dump() throws on the
// first invalid byte, so input is checked where it enters (config files, env overrides) and
// log lines are repaired (ops/log.cpp).
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace hypersdk::core {

// Length of the valid UTF-8 sequence starting at s[i] (1 for ASCII), or 0 if it is invalid.
// REQUIRES: i < s.size().
std::size_t utf8_length(std::string_view s, std::size_t i);

// The offset of the first byte that does not start a valid sequence; nullopt when s is valid.
std::optional<std::size_t> first_invalid_utf8(std::string_view s);

}  // namespace hypersdk::core
