#include "providers/registry.h"

#include "providers/local_provider.h"
#include "providers/vsphere_provider.h"

namespace hypersdk::providers {

namespace {
Result<std::vector<std::filesystem::path>> string_list(const YAML::Node& n,
                                                       const std::string& where) {
  std::vector<std::filesystem::path> out;
  if (!n || !n.IsSequence() || n.size() == 0)
    return invalid_error(where + ": expected a non-empty list of directories");
  for (const auto& e : n) {
    if (!e.IsScalar() || e.Scalar().empty() || e.Scalar()[0] != '/')
      return invalid_error(where + ": expected absolute directory paths, got '" +
                           (e.IsScalar() ? e.Scalar() : std::string("a non-string")) + "'");
    out.emplace_back(e.Scalar());
  }
  return out;
}
}  // namespace

Result<ProviderMap> build_providers(const YAML::Node& node, const ops::EnvMap& env) {
  ProviderMap out;
  if (!node || node.IsNull()) return out;
  if (!node.IsMap()) return invalid_error("providers: expected a mapping of name -> {kind, ...}");
  for (const auto& p : node) {
    const std::string name = p.first.Scalar();
    const std::string where = "providers." + name;
    const YAML::Node& body = p.second;
    if (!body.IsMap() || !body["kind"] || !body["kind"].IsScalar())
      return invalid_error(where + ": expected {kind: local|libvirt, ...}");
    const std::string kind = body["kind"].Scalar();
    if (kind == "vsphere") {
      auto c = vsphere_config(where, body, env);
      if (!c) return c.error();
      out[name] = std::make_shared<VsphereProvider>(name, std::move(*c));
      continue;
    }
    if (kind == "local") {
      for (const auto& f : body)
        if (f.first.Scalar() != "kind" && f.first.Scalar() != "dirs")
          return invalid_error(where + ": unknown field '" + f.first.Scalar() +
                               "' for kind local (expected dirs)");
      auto dirs = string_list(body["dirs"], where + ".dirs");
      if (!dirs) return dirs.error();
      out[name] = std::make_shared<LocalProvider>(name, std::move(*dirs));
    } else {
      return invalid_error(where + ".kind: unknown provider kind '" + kind +
                           "' (this build has: local)");
    }
  }
  return out;
}

Result<std::shared_ptr<Provider>> ProviderRegistry::find(const std::string& name) const {
  auto map = snapshot();
  if (auto it = map->find(name); it != map->end()) return it->second;
  std::string known;
  for (const auto& [n, p] : *map) known += (known.empty() ? "" : ", ") + n;
  return make_error(ErrorClass::not_found,
                    "no provider '" + name + "' (configured: " +
                        (known.empty() ? std::string("none; add one under providers:") : known) +
                        ")");
}

}  // namespace hypersdk::providers
