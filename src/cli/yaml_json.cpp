#include "cli/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

namespace hypersdk::cli {
using nlohmann::json;

namespace {
json to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      json o = json::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = to_json(kv.second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      json a = json::array();
      for (const auto& v : n) a.push_back(to_json(v));
      return a;
    }
    case YAML::NodeType::Scalar: {
      const std::string s = n.Scalar();
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
      }
      return s;
    }
    default:
      return nullptr;
  }
}
}  // namespace

Result<json> read_json_or_yaml_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorClass::invalid, "cannot read " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (text[first] == '{' || text[first] == '[')) {
    try {
      return json::parse(text);
    } catch (const json::parse_error& e) {
      return make_error(ErrorClass::invalid, path + ": invalid JSON: " + e.what());
    }
  }
  try {
    return to_json(YAML::Load(text));
  } catch (const YAML::Exception& e) {
    return make_error(ErrorClass::invalid,
                      path + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  }
}

}  // namespace hypersdk::cli
