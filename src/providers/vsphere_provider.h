// Provider `vsphere`: VMs of a vCenter or ESXi host through the vim25 SOAP API
// (src/vsphere/). Configured as
//
//   providers:
//     vsphere:
//       kind: vsphere
//       url: https://vcenter.example.com/sdk     # /sdk is added when the URL has no path
//       username: backup@vsphere.local
//       password: env:VSPHERE_PASSWORD           # or file:/path, never logged
//       ca_file: /etc/hypersdk/vcenter-ca.pem    # or thumbprint: "AB:CD:...", or insecure: true
//       max_sessions: 4                          # concurrent sessions with this vCenter
//
// VMs are named by their name or their inventory path ("DC0/vm/web-1"); a glob matches
// either. Snapshots are vSphere snapshots (their id is the snapshot's managed object id);
// fetch_disks downloads the disks through ExportVm / ExportSnapshot and an HttpNfcLease.
// Thread safety: every method may be called from any thread (sessions come from a pool).
#pragma once

#include <yaml-cpp/yaml.h>

#include <memory>

#include "ops/paths.h"
#include "providers/provider.h"
#include "vsphere/session_pool.h"

namespace hypersdk::providers {

struct VsphereConfig {
  std::string url;  // https://host[:port]/sdk
  std::string username, password;
  vsphere::TlsOptions tls;
  int max_sessions = 4;
};

// The config of one provider of kind vsphere; `where` names it in errors (class invalid,
// naming the field and the rule). The password's env:/file: reference is resolved here.
Result<VsphereConfig> vsphere_config(const std::string& where, const YAML::Node& body,
                                     const ops::EnvMap& env);

class VsphereProvider final : public Provider {
 public:
  VsphereProvider(std::string name, VsphereConfig config);

  const std::string& name() const override { return name_; }
  std::string kind() const override { return "vsphere"; }
  TestReport test() override;
  Result<std::vector<Vm>> list(const std::string& glob) override;
  Result<Vm> get(const std::string& vm) override;
  Result<std::string> snapshot_create(const std::string& vm,
                                      const std::function<bool()>& cancelled = {}) override;
  Status snapshot_remove(const std::string& vm, const std::string& snapshot,
                         const std::function<bool()>& cancelled = {}) override;
  Result<std::vector<Disk>> disks(const std::string& vm, const std::string& snapshot) override;
  Result<std::vector<Disk>> fetch_disks(const std::string& vm, const std::string& snapshot,
                                        const std::filesystem::path& workdir,
                                        const FetchHooks& hooks) override;

 private:
  struct Found;
  Result<Found> find(vsphere::VimClient& c, const std::string& vm);

  std::string name_;
  VsphereConfig config_;
  std::unique_ptr<vsphere::SessionPool> pool_;
};

}  // namespace hypersdk::providers
