#pragma once
// PostgreSQL array literals for one parameter that a statement unnests: a batch in one
// round trip instead of a statement per row.
#include <cstdint>
#include <string>
#include <vector>

namespace hypersdk::store::pg {

// {1,2,3}
std::string int_array(const std::vector<std::int64_t>& v);

// {"a","b \"c\""}: every element quoted, so that an empty string is not NULL and commas,
// braces and spaces stay in their element.
std::string text_array(const std::vector<const std::string*>& v);

}  // namespace hypersdk::store::pg
