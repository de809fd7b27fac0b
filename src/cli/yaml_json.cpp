#include "cli/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <fstream>

#include "wire/json_limits.h"

namespace hypersdk::cli {
using nlohmann::json;

namespace {

// A job file is a request, not a data set: a few KB in practice. The bounds keep a hostile
// or mistaken file (an alias bomb: 364 bytes that expand to ten million nodes, since yaml-cpp
// 0.7 shares aliased nodes and conversion copies them; /dev/zero) from taking the machine.
constexpr std::size_t kMaxFileBytes = 4 << 20;
constexpr std::size_t kMaxNodes = 100'000;

// Converts with the node count and depth bounded; an alias counts every time it is expanded.
class Converter {
 public:
  explicit Converter(std::string path) : path_(std::move(path)) {}

  Result<json> convert(const YAML::Node& n, int depth) {
    if (++nodes_ > kMaxNodes)
      return make_error(ErrorClass::invalid,
                        path_ + ": more than " + std::to_string(kMaxNodes) +
                            " values once aliases are expanded (a job file is a request, not "
                            "a data set)");
    if (depth > wire::kMaxJsonDepth)
      return make_error(ErrorClass::invalid, path_ + ":" + std::to_string(n.Mark().line + 1) +
                                                 ": nests deeper than " +
                                                 std::to_string(wire::kMaxJsonDepth) + " levels");
    switch (n.Type()) {
      case YAML::NodeType::Map: {
        json o = json::object();
        for (const auto& kv : n) {
          if (!kv.first.IsScalar())
            return make_error(ErrorClass::invalid, path_ + ":" +
                                                       std::to_string(kv.first.Mark().line + 1) +
                                                       ": keys must be plain strings");
          auto v = convert(kv.second, depth + 1);
          if (!v) return v.error();
          o[kv.first.Scalar()] = std::move(*v);
        }
        return o;
      }
      case YAML::NodeType::Sequence: {
        json a = json::array();
        for (const auto& item : n) {
          auto v = convert(item, depth + 1);
          if (!v) return v.error();
          a.push_back(std::move(*v));
        }
        return a;
      }
      case YAML::NodeType::Scalar:
        return scalar(n);
      default:
        return json(nullptr);
    }
  }

 private:
  static json scalar(const YAML::Node& n) {
    const std::string& s = n.Scalar();
    if (n.Tag() == "!") return s;  // quoted: always a string
    if (s == "true" || s == "false") return s == "true";
    if (s == "null" || s == "~") return nullptr;
    try {
      std::size_t used = 0;
      long long i = std::stoll(s, &used);
      if (used == s.size()) return i;
      double d = std::stod(s, &used);
      if (used == s.size()) return d;
    } catch (const std::exception&) {
      // Out of range (2^64, 1e309) or not a number: the text stays a string, and the field's
      // parser reports it with the field's rule.
    }
    return s;
  }

  std::string path_;
  std::size_t nodes_ = 0;
};

}  // namespace

Result<json> read_json_or_yaml_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorClass::invalid, "cannot read " + path);
  std::string text(kMaxFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxFileBytes)
    return make_error(ErrorClass::invalid, path + ": larger than " +
                                               std::to_string(kMaxFileBytes >> 20) +
                                               " MiB; a job file is a request, not a data set");
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (text[first] == '{' || text[first] == '['))
    return wire::parse_json_bounded(text, path);
  if (text.find('\0') != std::string::npos)
    return make_error(ErrorClass::invalid, path + " contains a NUL byte");
  try {
    const YAML::Node doc = YAML::Load(text);
    auto out = Converter(path).convert(doc, 1);
    if (!out) return out.error();
    if (Status s = wire::check_document(*out); !s.ok())
      return make_error(ErrorClass::invalid, path + ": " + s.error().message);
    return out;
  } catch (const YAML::Exception& e) {
    return make_error(ErrorClass::invalid,
                      path + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  }
}

}  // namespace hypersdk::cli
