// The providers configured under `providers:` (name -> {kind, settings}), built from the
// config and replaced whole on a reload (SIGHUP). Readers take a snapshot and use it for the
// operation at hand, so a reload never shows them half a registry.
//
//   providers:
//     laptop: {kind: local, dirs: [/srv/vms]}
//     kvm:    {kind: libvirt, uri: "qemu:///session"}
//
// Thread safety: every member function may be called from any thread.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.h"
#include "ops/paths.h"
#include "providers/provider.h"

namespace hypersdk::providers {

using ProviderMap = std::map<std::string, std::shared_ptr<Provider>>;

// Builds every provider of the `providers` config node; secrets (env:/file:) resolved from
// `env`. Error class invalid naming the provider, the field and the rule.
Result<ProviderMap> build_providers(const YAML::Node& node, const ops::EnvMap& env);

class ProviderRegistry {
 public:
  explicit ProviderRegistry(ProviderMap providers = {})
      : providers_(std::make_shared<const ProviderMap>(std::move(providers))) {}

  std::shared_ptr<const ProviderMap> snapshot() const {
    std::lock_guard lock(mu_);
    return providers_;
  }
  // The named provider. Errors: not_found naming the configured ones.
  Result<std::shared_ptr<Provider>> find(const std::string& name) const;
  void replace(ProviderMap providers) {
    auto next = std::make_shared<const ProviderMap>(std::move(providers));
    std::lock_guard lock(mu_);
    providers_ = std::move(next);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const ProviderMap> providers_;  // GUARDED_BY(mu_)
};

}  // namespace hypersdk::providers
