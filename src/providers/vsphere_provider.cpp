#include "providers/vsphere_provider.h"

#include <chrono>
#include <cstdlib>

#include "ops/config.h"
#include "providers/local_provider.h"
#include "vsphere/inventory.h"
#include "vsphere/nfc_export.h"

namespace hypersdk::providers {

namespace {

Vm to_vm(const vsphere::InventoryVm& v) {
  Vm vm;
  vm.name = v.name;
  vm.state = vsphere::state_name(v.power_state);
  vm.cpus = v.cpus;
  if (v.memory_mib) vm.memory_mib = v.memory_mib;
  for (const auto& d : v.disks) vm.disks.push_back(Disk{d.file, "vmdk", d.capacity, 0});
  return vm;
}

std::string scalar(const YAML::Node& n) {
  return n && n.IsScalar() ? n.Scalar() : "";
}

}  // namespace

struct VsphereProvider::Found {
  vsphere::InventoryVm vm;
};

Result<VsphereConfig> vsphere_config(const std::string& where, const YAML::Node& body,
                                     const ops::EnvMap& env) {
  static const char* kFields[] = {"kind",    "url",        "username", "password",
                                  "ca_file", "thumbprint", "insecure", "max_sessions"};
  for (const auto& f : body) {
    const std::string key = f.first.Scalar();
    if (std::find_if(std::begin(kFields), std::end(kFields),
                     [&](const char* k) { return key == k; }) == std::end(kFields))
      return invalid_error(where + ": unknown field '" + key +
                           "' for kind vsphere (expected url, username, password, ca_file, "
                           "thumbprint, insecure, max_sessions)");
  }
  VsphereConfig c;
  c.url = scalar(body["url"]);
  if (!c.url.starts_with("https://") || c.url.size() <= 8)
    return invalid_error(where + ".url: expected https://HOST[:PORT][/sdk], got '" + c.url + "'");
  if (c.url.find('/', 8) == std::string::npos) c.url += "/sdk";
  c.username = scalar(body["username"]);
  if (c.username.empty()) return invalid_error(where + ".username: required");
  const std::string password = scalar(body["password"]);
  // Only a reference: the config itself is shown by `config show` and the API.
  if (!password.starts_with("env:") && !password.starts_with("file:"))
    return invalid_error(where + ".password: expected a reference, env:NAME or file:/path");
  auto secret = ops::resolve_secret(password, env);
  if (!secret) return invalid_error(where + ".password: " + secret.error().message);
  c.password = *secret;
  int trust = 0;
  if (body["ca_file"]) {
    c.tls.ca_file = scalar(body["ca_file"]);
    if (c.tls.ca_file.empty() || c.tls.ca_file[0] != '/')
      return invalid_error(where + ".ca_file: expected an absolute path to a PEM file");
    ++trust;
  }
  if (body["thumbprint"]) {
    c.tls.thumbprint = scalar(body["thumbprint"]);
    if (vsphere::normalize_thumbprint(c.tls.thumbprint).empty())
      return invalid_error(where +
                           ".thumbprint: expected the certificate's SHA-256 as 32 hex "
                           "bytes (AB:CD:...), got '" +
                           c.tls.thumbprint + "'");
    ++trust;
  }
  if (body["insecure"]) {
    const std::string v = scalar(body["insecure"]);
    if (v != "true" && v != "false")
      return invalid_error(where + ".insecure: expected true or false, got '" + v + "'");
    c.tls.insecure = v == "true";
    if (c.tls.insecure) ++trust;
  }
  if (trust > 1)
    return invalid_error(where + ": ca_file, thumbprint and insecure exclude each other; give one");
  if (body["max_sessions"]) {
    const std::string v = scalar(body["max_sessions"]);
    int n = 0;
    try {
      std::size_t used = 0;
      n = std::stoi(v, &used);
      if (used != v.size()) n = 0;
    } catch (...) {
      n = 0;
    }
    if (n < 1 || n > 64)
      return invalid_error(where + ".max_sessions: expected a whole number 1..64, got '" + v + "'");
    c.max_sessions = n;
  }
  return c;
}

VsphereProvider::VsphereProvider(std::string name, VsphereConfig config)
    : name_(std::move(name)), config_(std::move(config)) {
  pool_ = std::make_unique<vsphere::SessionPool>(
      [c = config_] {
        return std::make_unique<vsphere::VimClient>(c.url, c.tls, c.username, c.password);
      },
      config_.max_sessions);
}

TestReport VsphereProvider::test() {
  TestReport r;
  // A client of its own: the test shows what a fresh connection meets, not a cached session.
  vsphere::VimClient c(config_.url, config_.tls, config_.username, config_.password);
  auto fail = [&](const char* check, const Error& e) {
    r.ok = false;
    r.failed_check = check;
    r.cls = e.cls;
    r.diagnosis = std::string(check) + " failed: " + e.message;
    return r;
  };
  auto sc = c.service_content();
  if (!sc)
    return fail(c.failure().tls         ? "tls"
                : c.failure().transport ? "reachability"
                                        : "api_version",
                sc.error());
  // vim25 before 6.0 lacks what this provider reads (ContainerView paging, lease fields).
  if (std::atoi(sc->api_version.c_str()) < 6)
    return fail("api_version",
                invalid_error("vSphere API " + sc->api_version + " at " + config_.url +
                              " is older than 6.0, the oldest "
                              "this provider supports"));
  if (Status s = c.login(); !s.ok()) return fail("login", s.error());
  auto vms = vsphere::list_vms(c);
  (void)c.logout();
  if (!vms) return fail("inventory", vms.error());
  r.ok = true;
  r.vm_count = static_cast<int>(vms->size());
  r.diagnosis = sc->full_name + " (API " + sc->api_version + ") at " + config_.url +
                ", logged in as " + config_.username + ", " + std::to_string(vms->size()) + " VMs";
  return r;
}

Result<VsphereProvider::Found> VsphereProvider::find(vsphere::VimClient& c, const std::string& vm) {
  auto vms = vsphere::list_vms(c);
  if (!vms) return vms.error();
  std::vector<const vsphere::InventoryVm*> hits;
  for (const auto& v : *vms)
    if (v.name == vm || v.path == vm) hits.push_back(&v);
  if (hits.empty())
    return make_error(ErrorClass::not_found,
                      "no VM '" + vm + "' in provider '" + name_ + "' (" + config_.url + ")");
  if (hits.size() > 1)
    return invalid_error("VM name '" + vm + "' is ambiguous in provider '" + name_ + "' (" +
                         hits[0]->path + ", " + hits[1]->path + "); give the inventory path");
  return Found{*hits.front()};
}

Result<std::vector<Vm>> VsphereProvider::list(const std::string& glob) {
  auto c = pool_->acquire();
  auto vms = vsphere::list_vms(*c);
  if (!vms) return vms.error();
  std::vector<Vm> out;
  for (const auto& v : *vms)
    if (name_matches(glob, v.name) || name_matches(glob, v.path)) out.push_back(to_vm(v));
  std::sort(out.begin(), out.end(), [](const Vm& a, const Vm& b) { return a.name < b.name; });
  return out;
}

Result<Vm> VsphereProvider::get(const std::string& vm) {
  auto c = pool_->acquire();
  auto f = find(*c, vm);
  if (!f) return f.error();
  return to_vm(f->vm);
}

Result<std::string> VsphereProvider::snapshot_create(const std::string& vm,
                                                     const std::function<bool()>& cancelled) {
  auto c = pool_->acquire();
  auto f = find(*c, vm);
  if (!f) return f.error();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  vsphere::XmlDoc keep;
  auto task = c->invoke("<CreateSnapshot_Task xmlns=\"urn:vim25\">" + f->vm.ref.xml("_this") +
                            "<name>hypersdk-" + std::to_string(ms) +
                            "</name><description>taken by hypersdk for an export</description>"
                            "<memory>false</memory><quiesce>false</quiesce>"
                            "</CreateSnapshot_Task>",
                        &keep);
  if (!task) return task.error();
  const vsphere::MoRef task_ref{"Task", task->child_text("returnval")};
  auto done = c->wait_task(task_ref, cancelled);
  if (!done) return done.error();
  const std::string id = done->text("info.result");
  if (id.empty())
    return make_error(ErrorClass::internal, "CreateSnapshot_Task gave no snapshot reference");
  return id;
}

Status VsphereProvider::snapshot_remove(const std::string& vm, const std::string& snapshot,
                                        const std::function<bool()>& cancelled) {
  (void)vm;  // the snapshot's managed object id names it on its own
  auto c = pool_->acquire();
  vsphere::XmlDoc keep;
  auto task = c->invoke("<RemoveSnapshot_Task xmlns=\"urn:vim25\">" +
                            vsphere::MoRef{"VirtualMachineSnapshot", snapshot}.xml("_this") +
                            "<removeChildren>false</removeChildren><consolidate>true</consolidate>"
                            "</RemoveSnapshot_Task>",
                        &keep);
  // Already gone counts as removed (a retried cleanup step).
  if (!task && c->failure().fault == "ManagedObjectNotFound") return Status::Ok();
  if (!task) return task.error();
  auto done = c->wait_task(vsphere::MoRef{"Task", task->child_text("returnval")}, cancelled);
  if (!done && done.error().cls == ErrorClass::not_found) return Status::Ok();
  if (!done) return done.error();
  return Status::Ok();
}

Result<std::vector<Disk>> VsphereProvider::disks(const std::string& vm,
                                                 const std::string& snapshot) {
  (void)snapshot;  // a snapshot has the same disks; fetch_disks reads its point in time
  auto v = get(vm);
  if (!v) return v.error();
  return v->disks;
}

Result<std::vector<Disk>> VsphereProvider::fetch_disks(const std::string& vm,
                                                       const std::string& snapshot,
                                                       const std::filesystem::path& workdir,
                                                       const FetchHooks& hooks) {
  auto c = pool_->acquire();
  c->on_relogin = hooks.log;
  auto f = find(*c, vm);
  if (!f) return f.error();
  vsphere::XmlDoc keep;
  // ExportSnapshot reads the snapshot's point-in-time disks; ExportVm the VM's current ones.
  auto lease =
      snapshot.empty()
          ? c->invoke("<ExportVm xmlns=\"urn:vim25\">" + f->vm.ref.xml("_this") + "</ExportVm>",
                      &keep)
          : c->invoke("<ExportSnapshot xmlns=\"urn:vim25\">" +
                          vsphere::MoRef{"VirtualMachineSnapshot", snapshot}.xml("_this") +
                          "</ExportSnapshot>",
                      &keep);
  if (!lease) return lease.error();
  const vsphere::MoRef lease_ref{"HttpNfcLease", lease->child_text("returnval")};
  if (hooks.log) hooks.log("export lease " + lease_ref.value + " for VM " + f->vm.path);
  auto files = vsphere::nfc_download(*c, lease_ref, workdir, hooks);
  if (!files) return files.error();
  std::vector<Disk> out;
  for (std::size_t i = 0; i < files->size(); ++i) {
    auto d = probe_disk((*files)[i]);
    if (!d) return d.error();
    if (d->capacity == 0 && i < f->vm.disks.size()) d->capacity = f->vm.disks[i].capacity;
    out.push_back(*d);
  }
  return out;
}

}  // namespace hypersdk::providers
