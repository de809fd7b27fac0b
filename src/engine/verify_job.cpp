// Job type verify (provider_jobs.h): payload {path? (or an input's), sha256?, backup_id?}, or
// {target, key} (or an upload step's result as input) for the copy on an upload target:
// its size and SHA-256 against what was sent (engine::verify_uploaded).
// An OVA: every byte read, the .ovf first, each member's SHA256 against the manifest. An OVF
// directory: the same against its .mf. A disk image: one full read hashed, compared with the
// payload's or the input's sha256 when there is one, and `qemu-img check` for qcow2 (its
// metadata and, for a backup, its backing chain). A verified backup gets verified_at.
#include <fstream>
#include <sstream>

#include "engine/provider_job_support.h"
#include "engine/provider_jobs.h"
#include "engine/step_inputs.h"
#include "engine/upload_job.h"
#include "export/ova.h"
#include "export/qemu_img.h"

namespace hypersdk::engine {

using nlohmann::json;
namespace fs = std::filesystem;
using namespace provider_job;

namespace {

Result<json> verify_ovf_dir(const JobContext& ctx, const fs::path& ovf) {
  const fs::path dir = ovf.parent_path();
  fs::path mf = ovf;
  mf.replace_extension(".mf");
  std::ifstream in(mf);
  if (!in) return invalid_error(ovf.string() + ": no manifest " + mf.string() + " beside it");
  std::stringstream text;
  text << in.rdbuf();
  auto listed = exporter::parse_manifest(text.str());
  if (!listed) return invalid_error(mf.string() + ": " + listed.error().message);
  json members = json::array();
  for (const auto& [name, hex] : *listed) {
    auto h = hash_file(ctx, dir / name);
    if (!h) return h.error();
    if (*h != hex)
      return invalid_error(ovf.string() + ": SHA256 mismatch for " + name + ": manifest says " +
                           hex + ", the content hashes to " + *h + " (the package is damaged)");
    members.push_back(name);
  }
  return json{{"path", ovf.string()}, {"verified", true}, {"members", members}};
}

class VerifyHandler final : public Handler {
 public:
  explicit VerifyHandler(ProviderJobDeps deps) : deps_(std::move(deps)) {}
  Result<std::string> run(JobContext& ctx) override {
    auto payload = payload_of(ctx);
    if (!payload) return payload.error();
    // A copy on an upload target: named by target/key, or an upload step's result upstream.
    auto uploaded = step_input_with(*payload, "key");
    if (!uploaded) return uploaded.error();
    if (payload->contains("target") || payload->contains("key") || *uploaded) {
      if (!deps_.targets)
        return make_error(ErrorClass::unavailable, "no upload targets here to verify a copy on");
      return verify_uploaded(*deps_.targets, *payload);
    }
    auto path = step_path(*payload);
    if (!path) return path.error();
    const fs::path p(*path);
    std::error_code ec;
    if (!fs::exists(p, ec)) return make_error(ErrorClass::not_found, "no file " + p.string());
    const std::string format = format_of_path(p);
    ctx.log("system", "verifying " + p.string());
    json r;
    if (format == "ova") {
      auto check = exporter::verify_ova(
          p, [&](std::uint64_t d, std::uint64_t t) { report(ctx, d, t); }, cancelled_fn(ctx));
      if (!check) return check.error();
      r = {{"path", p.string()},
           {"verified", true},
           {"members", check->members},
           {"bytes_read", check->bytes_read}};
    } else if (format == "ovf") {
      auto check = verify_ovf_dir(ctx, p);
      if (!check) return check.error();
      r = *check;
    } else {
      auto h = hash_file(ctx, p);
      if (!h) return h.error();
      const std::string expected = step_string(*payload, "sha256");
      if (!expected.empty() && expected != *h)
        return invalid_error(p.string() + ": SHA256 mismatch: expected " + expected +
                             ", the content hashes to " + *h + " (the file is damaged)");
      if (format == "qcow2") {
        auto check = exporter::qemu_img({"check", "-f", "qcow2", p.string()});
        if (!check) return invalid_error(p.string() + ": " + check.error().message);
      }
      r = {{"path", p.string()},
           {"verified", true},
           {"sha256", *h},
           {"bytes_read", fs::file_size(p, ec)}};
    }
    // A backup (payload backup_id or an upstream backup's) is marked verified.
    std::int64_t backup_id = payload->value("backup_id", std::int64_t{0});
    if (!backup_id)
      if (auto in = step_input_with(*payload, "backup_id"); in && *in)
        backup_id = (**in).value("backup_id", std::int64_t{0});
    if (backup_id && deps_.backups) {
      if (Status s = deps_.backups->mark_verified(backup_id, ctx.clock.now_ms()); !s.ok())
        return s.error();
      r["backup_id"] = backup_id;
    }
    return r.dump();
  }

 private:
  ProviderJobDeps deps_;
};

}  // namespace

std::shared_ptr<Handler> make_verify_handler(const ProviderJobDeps& deps) {
  return std::make_shared<VerifyHandler>(deps);
}

}  // namespace hypersdk::engine
