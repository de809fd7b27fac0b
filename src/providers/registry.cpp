#include "providers/registry.h"

#include "ops/config.h"
#include "providers/libvirt_provider.h"
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
// {kind: libvirt, uri: "qemu:///session", username?: secret, password?: secret}
Result<std::shared_ptr<Provider>> build_libvirt(const std::string& name, const YAML::Node& body,
                                                const ops::EnvMap& env) {
  const std::string where = "providers." + name;
  for (const auto& f : body) {
    const std::string key = f.first.Scalar();
    if (key != "kind" && key != "uri" && key != "username" && key != "password")
      return invalid_error(where + ": unknown field '" + key +
                           "' for kind libvirt (expected uri, username, password)");
  }
  const YAML::Node uri = body["uri"];
  if (!uri || !uri.IsScalar() || uri.Scalar().find(":/") == std::string::npos)
    return invalid_error(where +
                         ".uri: expected a libvirt URI such as qemu:///session, "
                         "qemu:///system or test:///default");
  LibvirtCredentials creds;
  for (auto [key, value] :
       {std::pair{"username", &creds.username}, std::pair{"password", &creds.password}}) {
    if (!body[key]) continue;
    if (!body[key].IsScalar())
      return invalid_error(where + "." + key + ": expected a string or an env:/file: reference");
    auto secret = ops::resolve_secret(body[key].Scalar(), env);
    if (!secret) return invalid_error(where + "." + key + ": " + secret.error().message);
    *value = *secret;
  }
  return std::shared_ptr<Provider>(
      std::make_shared<LibvirtProvider>(name, uri.Scalar(), std::move(creds)));
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
      return invalid_error(where + ": expected {kind: local|libvirt|vsphere, ...}");
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
    } else if (kind == "libvirt") {
      auto p = build_libvirt(name, body, env);
      if (!p) return p.error();
      out[name] = *p;
    } else {
      return invalid_error(where + ".kind: unknown provider kind '" + kind +
                           "' (this build has: local, libvirt, vsphere)");
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
