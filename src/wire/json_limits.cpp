#include "wire/json_limits.h"

namespace hypersdk::wire {
using nlohmann::json;

int json_depth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return -1;
      deepest = std::max(deepest, depth);
    } else if (c == ']' || c == '}') {
      --depth;  // unbalanced text is nlohmann's to report
    }
  }
  return deepest;
}

Result<json> parse_json_bounded(std::string_view text, std::string_view what) {
  const std::string who(what);
  if (const auto nul = text.find('\0'); nul != std::string_view::npos)
    return invalid_error(who + " contains a NUL byte (at offset " + std::to_string(nul) + ")");
  if (json_depth(text) < 0)
    return invalid_error(who + " nests objects and arrays deeper than " +
                         std::to_string(kMaxJsonDepth) + " levels");
  json v;
  try {
    v = json::parse(text);
  } catch (const json::exception& e) {
    // parse_error ("syntax error while parsing value ...") and out_of_range 406 ("number
    // overflow parsing '1e309'"); e.what() starts with the library's tag, dropped here.
    std::string message = e.what();
    if (const auto tag = message.find("] "); tag != std::string::npos) message.erase(0, tag + 2);
    return invalid_error(who + " is not valid JSON: " + message);
  }
  if (Status s = check_document(v); !s.ok()) return invalid_error(who + ": " + s.error().message);
  return v;
}

namespace {
Status check_node(const json& v, const std::string& path, int depth) {
  const std::string here = path.empty() ? "the document" : "\"" + path + "\"";
  if (v.is_string()) {
    if (v.get_ref<const std::string&>().find('\0') != std::string::npos)
      return invalid_error(here + " contains a NUL character (\\u0000), which no field allows");
    return Status::Ok();
  }
  if (!v.is_structured()) return Status::Ok();
  if (depth > kMaxJsonDepth)
    return invalid_error("the document nests objects and arrays deeper than " +
                         std::to_string(kMaxJsonDepth) + " levels");
  if (v.is_object()) {
    for (const auto& [k, item] : v.items()) {
      if (k.find('\0') != std::string::npos)
        return invalid_error("a key in " + here +
                             " contains a NUL character (\\u0000), which no key allows");
      if (Status s = check_node(item, path.empty() ? k : path + "." + k, depth + 1); !s.ok())
        return s;
    }
    return Status::Ok();
  }
  for (std::size_t i = 0; i < v.size(); ++i)
    if (Status s = check_node(v[i], path + "[" + std::to_string(i) + "]", depth + 1); !s.ok())
      return s;
  return Status::Ok();
}
}  // namespace

Status check_document(const json& v) {
  return check_node(v, "", 1);
}

std::string shorten(std::string_view s) {
  if (s.size() <= 64) return std::string(s);
  return std::string(s.substr(0, 61)) + "...";
}

json stored_json(const std::string& text) {
  if (json_depth(text) < 0) return text;
  json v = json::parse(text, nullptr, false);
  if (v.is_discarded()) return text;
  return v;
}

}  // namespace hypersdk::wire
