#include "ops/config_providers.h"

#include "ops/config_schema_detail.h"

namespace hypersdk::ops {
using namespace schema_detail;

void check_providers(std::string_view key, const YAML::Node& v, std::vector<ValueProblem>& out) {
  if (v.IsNull()) return;
  if (!v.IsMap()) return problem(out, v, key, "expected a mapping of provider name to {kind, ...}");
  for (const auto& p : v) {
    if (!p.first.IsScalar() || p.first.Scalar().empty()) {
      problem(out, p.first, key, "a provider name must be a plain name");
      continue;
    }
    const std::string where = std::string(key) + "." + p.first.Scalar();
    const YAML::Node& body = p.second;
    if (!body.IsMap() || !body["kind"]) {
      problem(out, body, where, "expected {kind: local, dirs: [DIR, ...]}");
      continue;
    }
    const std::string kind = body["kind"].IsScalar() ? body["kind"].Scalar() : "";
    if (kind == "libvirt") {
      for (const auto& f : body) {
        const std::string name = f.first.IsScalar() ? f.first.Scalar() : "";
        if (name != "kind" && name != "uri" && name != "username" && name != "password")
          problem(
              out, f.first, where,
              "unknown field '" + name + "' for kind libvirt (expected uri, username, password)");
      }
      if (!body["uri"] || !body["uri"].IsScalar() ||
          body["uri"].Scalar().find(":/") == std::string::npos)
        problem(out, body["uri"] ? body["uri"] : body, where,
                "uri: expected a libvirt URI such as qemu:///session or test:///default");
      continue;
    }
    if (kind != "local") {
      problem(out, body["kind"], where, "unknown kind '" + kind + "' (expected local or libvirt)");
      continue;
    }
    for (const auto& f : body) {
      const std::string name = f.first.IsScalar() ? f.first.Scalar() : "";
      if (name == "kind") continue;
      if (name != "dirs") {
        problem(out, f.first, where, "unknown field '" + name + "' for kind local (expected dirs)");
        continue;
      }
      if (!f.second.IsSequence() || f.second.size() == 0) {
        problem(out, f.second, where, "dirs: expected a non-empty list of absolute directories");
        continue;
      }
      for (const auto& d : f.second)
        if (!d.IsScalar() || d.Scalar().empty() || d.Scalar()[0] != '/')
          problem(out, d, where, "dirs: expected an absolute directory path");
    }
    if (!body["dirs"]) problem(out, body, where, "missing dirs (the directories holding the VMs)");
  }
}

}  // namespace hypersdk::ops
