#include "engine/provider_job_support.h"

#include <fcntl.h>
#include <unistd.h>

#include "engine/step_inputs.h"
#include "export/atomic_output.h"
#include "export/sha256.h"

namespace hypersdk::engine::provider_job {

using nlohmann::json;
namespace fs = std::filesystem;

Result<json> payload_of(const JobContext& ctx) {
  auto p = json::parse(ctx.job.spec.payload, nullptr, false);
  if (!p.is_object()) return invalid_error("payload: expected a JSON object");
  return p;
}

Result<Target> resolve_target(const JobContext& ctx, const json& payload,
                              const providers::ProviderRegistry& registry) {
  std::string provider = step_string(payload, "provider");
  if (provider.empty()) provider = ctx.job.spec.provider;
  std::string vm = step_string(payload, "vm");
  if (vm.empty()) vm = ctx.job.spec.target;
  if (provider.empty())
    return invalid_error("provider: none given (payload provider, --provider, or an input's)");
  if (vm.empty()) return invalid_error("vm: none given (payload vm, --target, or an input's)");
  auto p = registry.find(provider);
  if (!p) return p.error();
  return Target{*p, vm};
}

std::function<bool()> cancelled_fn(const JobContext& ctx) {
  return [&ctx] { return ctx.cancel.cancelled(); };
}

Result<std::vector<providers::Disk>> source_disks(const JobContext& ctx, const Target& target,
                                                  const std::string& snapshot,
                                                  const fs::path& workdir) {
  std::error_code ec;
  fs::create_directories(workdir, ec);
  if (ec) return make_error(ErrorClass::internal, "cannot create " + workdir.string());
  providers::FetchHooks hooks{
      [&ctx](std::uint64_t done, std::uint64_t total) { report(ctx, done, total); },
      [&ctx](const std::string& line) { ctx.log("system", line); }, cancelled_fn(ctx)};
  return target.provider->fetch_disks(target.vm, snapshot, workdir, hooks);
}

void report(const JobContext& ctx, std::uint64_t done, std::uint64_t total) {
  if (ctx.progress) ctx.progress(done, total);
}

Result<std::string> hash_file(const JobContext& ctx, const fs::path& path) {
  const int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return make_error(ErrorClass::not_found, "cannot read " + path.string());
  const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  std::error_code ec;
  const std::uint64_t total = fs::file_size(path, ec);
  exporter::Sha256 h;
  exporter::PumpHooks hooks{[&](std::uint64_t moved) { report(ctx, moved, total); },
                            cancelled_fn(ctx)};
  auto moved = exporter::pump(in, null, {&h}, hooks, path.string());
  ::close(in);
  ::close(null);
  if (!moved) return moved.error();
  return h.hex();
}

Result<Written> write_disk(const JobContext& ctx, const std::string& src,
                           const std::string& src_format, const fs::path& dst,
                           const std::string& dst_format, std::uint64_t capacity) {
  auto out = exporter::AtomicOutput::create(dst);
  if (!out) return out.error();
  Written w{dst, dst_format, 0, ""};
  if (src_format == "raw" && dst_format == "raw") {
    const int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) return make_error(ErrorClass::not_found, "cannot read disk " + src);
    exporter::Sha256 h;
    report(ctx, 0, capacity);
    exporter::PumpHooks hooks{[&](std::uint64_t moved) { report(ctx, moved, capacity); },
                              cancelled_fn(ctx)};
    auto moved = exporter::pump(in, out->fd(), {&h}, hooks, src);
    ::close(in);
    if (!moved) return moved.error();
    w.size = *moved;
    w.sha256 = h.hex();
  } else {
    exporter::QemuImgHooks hooks{
        [&](double pct) {
          report(ctx, static_cast<std::uint64_t>(pct / 100.0 * static_cast<double>(capacity)),
                 capacity);
        },
        cancelled_fn(ctx)};
    report(ctx, 0, capacity);
    if (Status s = exporter::qemu_img_convert(src, src_format, out->temp_path().string(),
                                              dst_format, hooks);
        !s.ok())
      return s.error();
    auto hash = hash_file(ctx, out->temp_path());
    if (!hash) return hash.error();
    w.sha256 = *hash;
    std::error_code ec;
    w.size = fs::file_size(out->temp_path(), ec);
  }
  if (Status s = out->commit(); !s.ok()) return s.error();
  return w;
}

json file_result(const Written& w) {
  return {{"path", w.path.string()}, {"format", w.format},          {"size_bytes", w.size},
          {"sha256", w.sha256},      {"output_size_bytes", w.size}, {"output_format", w.format}};
}

std::string format_of_path(const fs::path& p) {
  const std::string ext = p.extension().string();
  if (ext == ".ova") return "ova";
  if (ext == ".ovf") return "ovf";
  if (ext == ".vmdk") return "vmdk";
  if (ext == ".qcow2") return "qcow2";
  if (ext == ".raw" || ext == ".img") return "raw";
  return "";
}

}  // namespace hypersdk::engine::provider_job
