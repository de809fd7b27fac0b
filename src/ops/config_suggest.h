// "Did you mean" for misspelled config keys, and the display of a key the user wrote.
// Cheap whatever the input: names longer than kMaxSuggestableKey get no suggestion (the
// distance is quadratic in the length), and keys are shown cut to kMaxShownKey characters.
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace hypersdk::ops {

inline constexpr std::size_t kMaxSuggestableKey = 100;
inline constexpr std::size_t kMaxShownKey = 80;

// Optimal string alignment distance: edits, with a swap of neighbours counting as one.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The closest key or section to a misspelled dotted name; nullopt when none is close or the
// name is longer than kMaxSuggestableKey.
std::optional<std::string> suggest_key(std::string_view unknown);

// `key` as it appears in a message: cut to kMaxShownKey characters, marked with "...".
std::string shown_key(std::string_view key);

}  // namespace hypersdk::ops
