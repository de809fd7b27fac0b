#include "ops/config_providers.h"

#include <set>

#include "ops/config_schema_detail.h"

namespace hypersdk::ops {
using namespace schema_detail;

namespace {
// Kind vsphere: the fields and their shapes (the secret itself is resolved when the
// provider is built, where the environment is known).
void check_vsphere_provider(const std::string& where, const YAML::Node& body,
                            std::vector<ValueProblem>& out) {
  static const std::set<std::string> kFields{"kind",    "url",        "username", "password",
                                             "ca_file", "thumbprint", "insecure", "max_sessions"};
  for (const auto& f : body) {
    const std::string name = f.first.IsScalar() ? f.first.Scalar() : "";
    if (!kFields.count(name))
      problem(out, f.first, where,
              "unknown field '" + name +
                  "' for kind vsphere (expected url, username, password, ca_file, thumbprint, "
                  "insecure, max_sessions)");
    else if (name != "kind" && !f.second.IsScalar())
      problem(out, f.second, where, name + ": expected a single value");
  }
  for (const char* required : {"url", "username", "password"})
    if (!body[required])
      problem(out, body, where, std::string("missing ") + required + " (kind vsphere)");
  // The config is shown by `config show` and the API: the password may only be a reference.
  if (const auto& pw = body["password"];
      pw && pw.IsScalar() && !pw.Scalar().starts_with("env:") && !pw.Scalar().starts_with("file:"))
    problem(out, pw, where, "password: expected a reference, env:NAME or file:/path");
  if (body["url"] && body["url"].IsScalar() && !body["url"].Scalar().starts_with("https://"))
    problem(out, body["url"], where, "url: expected https://HOST[:PORT][/sdk]");
}
}  // namespace

void check_providers(std::string_view key, const YAML::Node& v, std::vector<ValueProblem>& out) {
  if (v.IsNull()) return;
  if (!v.IsMap()) return problem(out, v, key, "expected a mapping of provider name to {kind, ...}");
  for (const auto& p : v) {
    if (!p.first.IsScalar() || p.first.Scalar().empty()) {
      problem(out, p.first, key, "a provider name must be a plain name");
      continue;
    }
    const std::string where = std::string(key) + "." + p.first.Scalar();
    if (p.second.IsMap() && p.second["kind"] && p.second["kind"].IsScalar() &&
        p.second["kind"].Scalar() == "vsphere") {
      check_vsphere_provider(where, p.second, out);
      continue;
    }
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
      problem(out, body["kind"], where,
              "unknown kind '" + kind + "' (expected local, libvirt or vsphere)");
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
