// Bounds on JSON that enters from outside (API bodies, --file, stored payloads rendered back).
//
// nlohmann's parser is iterative, but building, copying, dumping and destroying a json value
// recurse once per level: a 200 KB body of `[[[[...` overflows the stack. So the nesting depth
// is measured on the bytes, without recursion, before nlohmann sees them, and anything deeper
// than kMaxJsonDepth is refused. Numbers that do not fit (1e309) and NUL bytes (raw, or
// escaped as \u0000 in any key or string) are refused too: a NUL would silently cut an exec
// argument or a label at the C boundary.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace hypersdk::wire {

// Levels of objects and arrays, the outermost counted: {"payload":{"a":[1]}} has 3.
inline constexpr int kMaxJsonDepth = 32;

// The deepest nesting of text read as JSON (brackets inside strings do not count), or -1
// once it exceeds `limit` (scanning stops there). Never recurses; O(size).
int json_depth(std::string_view text, int limit = kMaxJsonDepth);

// Parses `text` as one JSON value within the limits above. Errors: invalid, starting with
// `what` ("the request body", "job.yaml"), naming the rule broken and where.
Result<nlohmann::json> parse_json_bounded(std::string_view text,
                                          std::string_view what = "the request body");

// `v` nests no deeper than kMaxJsonDepth and every key and string in it is free of NUL;
// error invalid naming the first offending path ("payload.argv[1]"). For documents that did
// not come through parse_json_bounded (YAML files, CLI flags). Recursion stops at the limit.
Status check_document(const nlohmann::json& v);

// At most 64 bytes of `s` for an error message (a 200 KB unknown key is not echoed whole).
std::string shorten(std::string_view s);

// For rendering stored JSON text back (payload, labels, result): the parsed value, or the
// text itself as a JSON string when it is not valid or too deep, so that reading a job never
// recurses without bound whatever an older version stored.
nlohmann::json stored_json(const std::string& text);

}  // namespace hypersdk::wire
