// Job types export, convert and snapshot (provider_jobs.h).
//
// export: payload {provider, vm, format: ova (default) | ovf | vmdk | qcow2 | raw, snapshot?}.
// The snapshot comes from the payload or an upstream input's `snapshot` (the point-in-time
// state of a snapshot step). Output: export.dir/VM/VM-j-ID.FORMAT (a directory for ovf, one
// file per disk for vmdk/qcow2/raw when the VM has several: -disk2, ...).
// convert: payload {path? (or an input's), format}: the file as another disk format, beside
// it in export.dir; format ova or ovf hands on an input that export already packaged so. snapshot:
// payload {provider, vm, action: create | remove, snapshot?}.
#include <unistd.h>

#include <system_error>

#include "core/job.h"
#include "engine/provider_job_support.h"
#include "engine/provider_jobs.h"
#include "engine/step_inputs.h"
#include "export/atomic_output.h"
#include "export/ova.h"
#include "providers/local_provider.h"

namespace hypersdk::engine {

using nlohmann::json;
namespace fs = std::filesystem;
using namespace provider_job;

namespace {

bool valid_format(const std::string& f) {
  return f == "ova" || f == "ovf" || f == "vmdk" || f == "qcow2" || f == "raw";
}

// Temporary files removed when the handler leaves, whatever the outcome.
struct TempFiles {
  std::vector<fs::path> paths;
  ~TempFiles() {
    std::error_code ec;
    for (const auto& p : paths) fs::remove_all(p, ec);
  }
};

fs::path temp_beside(const fs::path& dir, const std::string& name) {
  return dir / ("." + name + ".tmp-" + std::to_string(::getpid()));
}

class ExportHandler final : public Handler {
 public:
  explicit ExportHandler(ProviderJobDeps deps) : deps_(std::move(deps)) {}

  Result<std::string> run(JobContext& ctx) override {
    auto payload = payload_of(ctx);
    if (!payload) return payload.error();
    auto target = resolve_target(ctx, *payload, *deps_.providers);
    if (!target) return target.error();
    const std::string format = payload->value("format", std::string("ova"));
    if (!valid_format(format))
      return invalid_error("format: '" + format + "' is not one of ova, ovf, vmdk, qcow2, raw");
    const std::string snapshot = step_string(*payload, "snapshot");
    auto vm = target->provider->get(target->vm);
    if (!vm) return vm.error();
    const fs::path dir = deps_.export_dir / target->vm;
    const std::string base = target->vm + "-" + core::format_job_id(ctx.job.id);
    ctx.log("system", "exporting VM " + target->vm + " of provider " + target->provider->name() +
                          (snapshot.empty() ? "" : " (snapshot " + snapshot + ")") + " as " +
                          format);
    TempFiles sources;  // a remote provider's downloaded disks, gone when the export is
    sources.paths.push_back(temp_beside(dir, base + "-source"));
    auto disks = source_disks(ctx, *target, snapshot, sources.paths.front());
    if (!disks) return disks.error();
    if (disks->empty())
      return make_error(ErrorClass::not_found, "VM '" + target->vm + "' has no disks to export");
    Result<json> result = format == "ova"   ? package(ctx, *vm, *disks, dir, base, false)
                          : format == "ovf" ? package(ctx, *vm, *disks, dir, base, true)
                                            : disk_files(ctx, *disks, dir, base, format);
    if (!result) return result.error();
    (*result)["provider"] = target->provider->name();
    (*result)["vm"] = target->vm;
    if (!snapshot.empty()) (*result)["snapshot"] = snapshot;
    return result->dump();
  }

 private:
  Result<json> disk_files(JobContext& ctx, const std::vector<providers::Disk>& disks,
                          const fs::path& dir, const std::string& base, const std::string& fmt) {
    json files = json::array();
    json first;
    for (std::size_t i = 0; i < disks.size(); ++i) {
      const std::string name =
          base + (disks.size() > 1 && i > 0 ? "-disk" + std::to_string(i + 1) : "") + "." + fmt;
      auto w = write_disk(ctx, disks[i].path, disks[i].format, dir / name, fmt, disks[i].capacity);
      if (!w) return w.error();
      files.push_back(file_result(*w));
      if (i == 0) first = file_result(*w);
    }
    first["files"] = files;
    return first;
  }

  // OVA (one ustar file) or OVF (a directory): disks converted to streamOptimized VMDKs,
  // then packaged with the descriptor and the manifest.
  Result<json> package(JobContext& ctx, const providers::Vm& vm,
                       const std::vector<providers::Disk>& disks, const fs::path& dir,
                       const std::string& base, bool as_directory) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return make_error(ErrorClass::internal, "cannot create " + dir.string());
    TempFiles temps;
    const fs::path work = temp_beside(dir, base);
    fs::create_directories(work, ec);
    temps.paths.push_back(work);
    std::vector<exporter::OvaDisk> vmdks;
    std::uint64_t capacity = 0;
    for (const auto& d : disks) capacity += d.capacity;
    std::uint64_t converted = 0;
    for (std::size_t i = 0; i < disks.size(); ++i) {
      const std::string member = base + "-disk" + std::to_string(i + 1) + ".vmdk";
      // Conversion is the first half of the progress, packaging the second.
      exporter::QemuImgHooks hooks{
          [&, i](double pct) {
            report(ctx,
                   converted + static_cast<std::uint64_t>(pct / 100.0 *
                                                          static_cast<double>(disks[i].capacity)),
                   2 * capacity);
          },
          cancelled_fn(ctx)};
      if (Status s = exporter::qemu_img_convert(disks[i].path, disks[i].format,
                                                (work / member).string(), "vmdk", hooks);
          !s.ok())
        return s.error();
      converted += disks[i].capacity;
      vmdks.push_back({work / member, member, disks[i].capacity});
    }
    auto progress = [&](std::uint64_t done, std::uint64_t total) {
      report(ctx, capacity + (total ? done * capacity / total : 0), 2 * capacity);
    };
    if (!as_directory) {
      const fs::path out = dir / (base + ".ova");
      auto ova = exporter::write_ova(out, vm.name, vm.cpus, vm.memory_mib, vmdks, progress,
                                     cancelled_fn(ctx));
      if (!ova) return ova.error();
      Written w{out, "ova", ova->size, ova->sha256};
      json r = file_result(w);
      r["members"] = json::array({vm.name + ".ovf"});
      for (const auto& d : vmdks) r["members"].push_back(d.member);
      r["members"].push_back(vm.name + ".mf");
      return r;
    }
    // OVF directory: descriptor, disks and manifest in a temporary directory, renamed whole.
    exporter::OvfVm ovf{vm.name, vm.cpus, vm.memory_mib, {}};
    std::string mf;
    for (const auto& d : vmdks) {
      ovf.disks.push_back({d.member, fs::file_size(d.source), d.capacity});
      auto h = hash_file(ctx, d.source);
      if (!h) return h.error();
      mf += "SHA256(" + d.member + ")= " + *h + "\n";
    }
    const std::string descriptor = exporter::ovf_descriptor(ovf);
    exporter::Sha256 dh;
    dh.update(descriptor.data(), descriptor.size());
    const std::string ovf_hash = dh.hex();
    mf = "SHA256(" + vm.name + ".ovf)= " + ovf_hash + "\n" + mf;
    auto write_text = [&](const fs::path& p, const std::string& text) -> Status {
      auto f = exporter::AtomicOutput::create(p);
      if (!f) return f.error();
      if (Status s = exporter::write_all(f->fd(), text.data(), text.size(), nullptr, p.string());
          !s.ok())
        return s;
      return f->commit();
    };
    if (Status s = write_text(work / (vm.name + ".ovf"), descriptor); !s.ok()) return s.error();
    if (Status s = write_text(work / (vm.name + ".mf"), mf); !s.ok()) return s.error();
    const fs::path final_dir = dir / base;
    fs::rename(work, final_dir, ec);
    if (ec) return make_error(ErrorClass::internal, "cannot rename to " + final_dir.string());
    temps.paths.clear();
    if (Status s = exporter::sync_directory(dir); !s.ok()) return s.error();
    Written w{final_dir / (vm.name + ".ovf"), "ovf", descriptor.size(), ovf_hash};
    json r = file_result(w);
    r["directory"] = final_dir.string();
    return r;
  }

  ProviderJobDeps deps_;
};

class ConvertHandler final : public Handler {
 public:
  explicit ConvertHandler(ProviderJobDeps deps) : deps_(std::move(deps)) {}
  Result<std::string> run(JobContext& ctx) override {
    auto payload = payload_of(ctx);
    if (!payload) return payload.error();
    auto path = step_path(*payload);
    if (!path) return path.error();
    const std::string to = payload->value("format", std::string());
    if (to == "ova" || to == "ovf") return already_packaged(*payload, to);
    if (to != "vmdk" && to != "qcow2" && to != "raw")
      return invalid_error("format: convert writes vmdk, qcow2 or raw, not '" + to + "'");
    auto probe = providers::probe_disk(*path);
    if (!probe) return probe.error();
    const fs::path src(*path);
    fs::path dst = src.parent_path() / (src.stem().string() + "." + to);
    if (dst == src) dst = src.parent_path() / (src.stem().string() + "-converted." + to);
    ctx.log("system", "converting " + src.string() + " (" + probe->format + ") to " + to);
    auto w = write_disk(ctx, src.string(), probe->format, dst, to, probe->capacity);
    if (!w) return w.error();
    return file_result(*w).dump();
  }

 private:
  // An OVA or OVF is made by export, which converts the disks while it packages them; in a
  // chain (the migrate template) convert then has nothing left to do and hands the package
  // on unchanged. Anything else is the operator's mistake, said as such.
  static Result<std::string> already_packaged(const json& payload, const std::string& to) {
    auto input = step_input_with(payload, "path");
    if (!input) return input.error();
    if (*input && (*input)->value("format", std::string()) == to) return (*input)->dump();
    return invalid_error("format: convert does not package " + to + "; export with format " + to +
                         " (it converts the disks itself)");
  }

  ProviderJobDeps deps_;
};

class SnapshotHandler final : public Handler {
 public:
  explicit SnapshotHandler(ProviderJobDeps deps) : deps_(std::move(deps)) {}
  Result<std::string> run(JobContext& ctx) override {
    auto payload = payload_of(ctx);
    if (!payload) return payload.error();
    auto target = resolve_target(ctx, *payload, *deps_.providers);
    if (!target) return target.error();
    const std::string action = payload->value("action", std::string("create"));
    json r{{"provider", target->provider->name()}, {"vm", target->vm}};
    if (action == "create") {
      auto id =
          target->provider->snapshot_create(target->vm, [&ctx] { return ctx.cancel.cancelled(); });
      if (!id) return id.error();
      ctx.log("system", "snapshot " + *id + " of VM " + target->vm + " created");
      r["snapshot"] = *id;
      return r.dump();
    }
    if (action != "remove")
      return invalid_error("action: expected create or remove, got '" + action + "'");
    const std::string id = step_string(*payload, "snapshot");
    if (id.empty())
      return invalid_error("snapshot: remove needs the id (payload snapshot, or an input's)");
    if (Status s = target->provider->snapshot_remove(target->vm, id,
                                                     [&ctx] { return ctx.cancel.cancelled(); });
        !s.ok())
      return s.error();
    ctx.log("system", "snapshot " + id + " of VM " + target->vm + " removed");
    r["snapshot"] = id;
    r["removed"] = true;
    return r.dump();
  }

 private:
  ProviderJobDeps deps_;
};

}  // namespace

std::shared_ptr<Handler> make_export_handler(const ProviderJobDeps& deps) {
  return std::make_shared<ExportHandler>(deps);
}
std::shared_ptr<Handler> make_convert_handler(const ProviderJobDeps& deps) {
  return std::make_shared<ConvertHandler>(deps);
}
std::shared_ptr<Handler> make_snapshot_handler(const ProviderJobDeps& deps) {
  return std::make_shared<SnapshotHandler>(deps);
}

}  // namespace hypersdk::engine
