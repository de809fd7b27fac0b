#include "ops/config_suggest.h"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "ops/config_schema.h"

namespace hypersdk::ops {

// Optimal string alignment distance: edits, with a swap of neighbours counting as one.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

namespace {
std::string_view last_segment(std::string_view s) {
  auto dot = s.rfind('.');
  return dot == std::string_view::npos ? s : s.substr(dot + 1);
}
}  // namespace

// The closest key or section to a misspelled dotted name: by distance over the whole name,
// or over the last segment (a key put in the wrong section), preferring the same section.
std::optional<std::string> suggest_key(std::string_view unknown) {
  if (unknown.size() > kMaxSuggestableKey) return std::nullopt;
  std::vector<std::string> candidates;
  for (const auto& spec : config_schema()) {
    std::string_view name = spec.name;
    for (auto dot = name.find('.'); dot != std::string_view::npos; dot = name.find('.', dot + 1))
      candidates.emplace_back(name.substr(0, dot));
    candidates.emplace_back(name);
  }
  const std::string_view seg = last_segment(unknown);
  const std::string_view section = unknown.substr(0, unknown.size() - seg.size());
  std::optional<std::string> best;
  std::pair<size_t, bool> best_score{SIZE_MAX, true};
  for (const auto& c : candidates) {
    size_t score = SIZE_MAX;
    if (size_t full = edit_distance(unknown, c); full <= std::max<size_t>(2, unknown.size() / 4))
      score = full;
    if (size_t s = edit_distance(seg, last_segment(c)); s <= (seg.size() >= 5 ? 2u : 1u))
      score = std::min(score, s + 1);
    if (score == SIZE_MAX) continue;
    const std::pair<size_t, bool> key{score, !std::string_view(c).starts_with(section)};
    if (key < best_score) best_score = key, best = c;
  }
  return best;
}

std::string shown_key(std::string_view key) {
  if (key.size() <= kMaxShownKey) return std::string(key);
  return std::string(key.substr(0, kMaxShownKey)) + "...";
}

}  // namespace hypersdk::ops
