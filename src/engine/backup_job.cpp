// Job types backup and restore (provider_jobs.h).
//
// backup: payload {provider, vm, type: full (default) | incremental, snapshot?, keep_last?,
// keep_days?}. A full backup is the disk as a qcow2; an incremental is a qcow2 whose backing
// file is the previous backup of the VM (by relative name, so the directory can move) and
// which holds only the clusters that changed since: the source's 64 KiB clusters are hashed
// and compared with the parent's block map (export/block_map.h), and the changed ranges are
// written into the new overlay with qemu-io. Every backup is checked (qemu-img check over
// its chain), recorded and marked verified; then retention (keep the newest keep_last, and
// those younger than keep_days) deletes older backups that no kept backup's chain needs.
// Files: export.dir/backups/VM/VM-j-ID-{full,incr}.qcow2 and .map beside each.
// Single-disk VMs for now. restore is in restore_job.cpp.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <vector>

#include "core/job.h"
#include "engine/provider_job_support.h"
#include "engine/provider_jobs.h"
#include "engine/step_inputs.h"
#include "export/atomic_output.h"
#include "export/block_map.h"
#include "export/native_backup.h"
#include "export/qemu_img.h"

namespace hypersdk::engine {

using nlohmann::json;
namespace fs = std::filesystem;
using namespace provider_job;

namespace {

struct Region {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  fs::path data;  // the range's bytes
};

struct Scan {
  exporter::BlockMap map;
  std::vector<Region> changed;
  std::uint64_t changed_bytes = 0;
};

// Reads the raw source once: its block map, and (against `parent` when given) the changed
// ranges saved into files under `work`.
Result<Scan> scan_source(const JobContext& ctx, const std::string& src, std::uint64_t size,
                         const exporter::BlockMap* parent, const fs::path& work) {
  const int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return make_error(ErrorClass::not_found, "cannot read disk " + src);
  ::posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
  Scan scan;
  std::vector<char> buf(exporter::kClusterSize);
  int region_fd = -1;
  std::uint64_t off = 0;
  Status failed;
  for (;;) {
    if (ctx.cancel.cancelled()) {
      failed = make_error(ErrorClass::cancelled, "cancelled while reading " + src);
      break;
    }
    std::size_t got = 0;
    while (got < buf.size()) {
      const ssize_t r = ::read(in, buf.data() + got, buf.size() - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += static_cast<std::size_t>(r);
    }
    if (got == 0) break;
    const auto digest = exporter::cluster_digest(buf.data(), got);
    const std::size_t index = scan.map.clusters.size();
    scan.map.clusters.push_back(digest);
    const bool changed =
        parent && (index >= parent->clusters.size() || parent->clusters[index] != digest ||
                   (index + 1 == parent->clusters.size() && parent->size != off + got));
    if (changed) {
      if (scan.changed.empty() || scan.changed.back().offset + scan.changed.back().length != off) {
        if (region_fd >= 0) ::close(region_fd);
        Region r{off, 0, work / ("region-" + std::to_string(scan.changed.size()))};
        region_fd = ::open(r.data.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (region_fd < 0) {
          failed = make_error(ErrorClass::internal, "cannot write " + r.data.string());
          break;
        }
        scan.changed.push_back(r);
      }
      if (Status s = exporter::write_all(region_fd, buf.data(), got, nullptr, "a changed range");
          !s.ok()) {
        failed = s;
        break;
      }
      scan.changed.back().length += got;
      scan.changed_bytes += got;
    }
    off += got;
    report(ctx, off, std::max(size, off));
    if (got < buf.size()) break;
  }
  if (region_fd >= 0) ::close(region_fd);
  ::close(in);
  if (!failed.ok()) return failed.error();
  scan.map.size = off;
  return scan;
}

// Backups to delete: all but the newest keep_last and those younger than keep_days, except
// any that a kept backup's chain reads (its ancestors).
std::vector<std::int64_t> retention_victims(const std::vector<store::Backup>& live,
                                            std::optional<std::int64_t> keep_last,
                                            std::optional<std::int64_t> keep_days,
                                            core::TimeMs now) {
  if (!keep_last && !keep_days) return {};
  std::map<std::int64_t, const store::Backup*> by_id;
  for (const auto& b : live) by_id[b.id] = &b;
  std::set<std::int64_t> kept;
  std::vector<const store::Backup*> newest;
  for (const auto& b : live) newest.push_back(&b);
  std::sort(newest.begin(), newest.end(), [](auto* a, auto* b) { return a->id > b->id; });
  for (std::size_t i = 0; i < newest.size(); ++i) {
    const bool by_count = keep_last && static_cast<std::int64_t>(i) < *keep_last;
    const bool by_age = keep_days && now - newest[i]->created_at < *keep_days * 86'400'000;
    // The newest backup is always kept: retention never leaves a VM with none.
    if (by_count || by_age || i == 0) kept.insert(newest[i]->id);
  }
  // A kept backup needs its whole chain.
  for (std::int64_t id : std::set<std::int64_t>(kept)) {
    auto it = by_id.find(id);
    while (it != by_id.end() && it->second->parent_id) {
      kept.insert(*it->second->parent_id);
      it = by_id.find(*it->second->parent_id);
    }
  }
  std::vector<std::int64_t> out;
  for (const auto& b : live)
    if (!kept.count(b.id)) out.push_back(b.id);
  return out;
}

class BackupHandler final : public Handler {
 public:
  explicit BackupHandler(ProviderJobDeps deps) : deps_(std::move(deps)) {}

  Result<std::string> run(JobContext& ctx) override {
    auto payload = payload_of(ctx);
    if (!payload) return payload.error();
    auto target = resolve_target(ctx, *payload, *deps_.providers);
    if (!target) return target.error();
    std::string type = payload->value("type", std::string("full"));
    if (type != "full" && type != "incremental")
      return invalid_error("type: expected full or incremental, got '" + type + "'");
    const fs::path dir = deps_.export_dir / "backups" / target->vm;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return make_error(ErrorClass::internal, "cannot create " + dir.string());
    if (step_string(*payload, "snapshot").empty()) {
      auto vm = target->provider->get(target->vm);
      if (vm && target->provider->native_backup_available(*vm))
        return run_native(ctx, *payload, *target, type, dir);
    }
    // A remote provider's disks are downloaded first, into a directory gone with the handler.
    struct Sources {
      fs::path p;
      ~Sources() {
        std::error_code e;
        fs::remove_all(p, e);
      }
    } sources{deps_.export_dir / "backups" / (".source-" + core::format_job_id(ctx.job.id))};
    auto disks = source_disks(ctx, *target, step_string(*payload, "snapshot"), sources.p);
    if (!disks) return disks.error();
    if (disks->size() != 1)
      return invalid_error("backup: VM '" + target->vm + "' has " + std::to_string(disks->size()) +
                           " disks; backups handle single-disk VMs for now");
    const providers::Disk& disk = disks->front();

    std::optional<store::Backup> parent;
    std::optional<exporter::BlockMap> parent_map;
    if (type == "incremental") {
      auto latest = deps_.backups->latest(target->vm, target->provider->name());
      if (!latest) return latest.error();
      if (*latest) {
        auto m = exporter::load_block_map((*latest)->path + ".map");
        if (m && fs::exists((*latest)->path, ec)) {
          parent = **latest;
          parent_map = std::move(*m);
        } else {
          ctx.log("system", "previous backup " + std::to_string((*latest)->id) + " is unusable (" +
                                (m ? "its file is missing" : m.error().message) +
                                "); taking a full backup instead");
        }
      } else {
        ctx.log("system", "no previous backup of " + target->vm + "; taking a full backup");
      }
      if (!parent) type = "full";
    }

    // Work files (a raw copy of a non-raw source, changed ranges) go away with the handler.
    const fs::path work = dir / (".work-" + core::format_job_id(ctx.job.id));
    fs::create_directories(work, ec);
    struct Cleanup {
      fs::path p;
      ~Cleanup() {
        std::error_code e;
        fs::remove_all(p, e);
      }
    } cleanup{work};
    std::string raw = disk.path;
    if (disk.format != "raw") {
      raw = (work / "source.raw").string();
      if (Status s = exporter::qemu_img_convert(disk.path, disk.format, raw, "raw",
                                                {nullptr, cancelled_fn(ctx)});
          !s.ok())
        return s.error();
    }
    auto scan = scan_source(ctx, raw, disk.capacity, parent_map ? &*parent_map : nullptr, work);
    if (!scan) return scan.error();

    const std::string name = target->vm + "-" + core::format_job_id(ctx.job.id) +
                             (type == "full" ? "-full" : "-incr") + ".qcow2";
    auto out = exporter::AtomicOutput::create(dir / name);
    if (!out) return out.error();
    const std::string tmp = out->temp_path().string();
    if (type == "full") {
      if (Status s =
              exporter::qemu_img_convert(raw, "raw", tmp, "qcow2", {nullptr, cancelled_fn(ctx)});
          !s.ok())
        return s.error();
    } else {
      const std::string backing = fs::path(parent->path).filename().string();
      auto created = exporter::qemu_img({"create", "-q", "-f", "qcow2", "-b", backing, "-F",
                                         "qcow2", tmp, std::to_string(scan->map.size)});
      if (!created) return created.error();
      // qemu-io, a batch of ranges per run (argv stays small).
      constexpr std::size_t kBatch = 256;
      for (std::size_t i = 0; i < scan->changed.size(); i += kBatch) {
        std::vector<std::string> args{"-f", "qcow2"};
        for (std::size_t j = i; j < std::min(scan->changed.size(), i + kBatch); ++j) {
          const Region& r = scan->changed[j];
          args.push_back("-c");
          args.push_back("write -q -s " + r.data.string() + " " + std::to_string(r.offset) + " " +
                         std::to_string(r.length));
        }
        args.push_back(tmp);
        auto wrote = exporter::qemu_io(args, {nullptr, cancelled_fn(ctx)});
        if (!wrote) return wrote.error();
        if (wrote->find("failed") != std::string::npos)
          return make_error(ErrorClass::internal, "qemu-io: " + wrote->substr(0, 500));
      }
    }
    // Verified before it counts: the image and its chain read back by qemu-img.
    if (auto check = exporter::qemu_img({"check", "-q", "-f", "qcow2", tmp}); !check)
      return make_error(ErrorClass::internal,
                        "the new backup failed qemu-img check: " + check.error().message);
    auto hash = hash_file(ctx, out->temp_path());
    if (!hash) return hash.error();
    const std::uint64_t size = fs::file_size(out->temp_path(), ec);
    if (Status s = out->commit(); !s.ok()) return s.error();
    if (Status s = exporter::save_block_map(scan->map, dir / (name + ".map")); !s.ok())
      return s.error();

    return record(ctx, *payload, *target, type, parent, dir / name, size, *hash,
                  type == "full" ? scan->map.size : scan->changed_bytes, "block_map");
  }

 private:
  // Records a backup written at `path` (verified), applies retention, and answers the step
  // contract's result.
  Result<std::string> record(JobContext& ctx, const json& payload, const Target& target,
                             const std::string& type, const std::optional<store::Backup>& parent,
                             const fs::path& path, std::uint64_t size, const std::string& hash,
                             std::uint64_t changed_bytes, const std::string& method) {
    store::Backup b;
    b.vm = target.vm;
    b.provider = target.provider->name();
    b.kind = type;
    if (parent) b.parent_id = parent->id;
    b.path = path.string();
    b.format = "qcow2";
    b.size_bytes = static_cast<std::int64_t>(size);
    b.sha256 = hash;
    b.job_id = ctx.job.id;
    b.schedule_id = ctx.job.spec.schedule_id;
    b.created_at = ctx.clock.now_ms();
    auto rec = deps_.backups->insert(b);
    if (!rec) return rec.error();
    if (Status s = deps_.backups->mark_verified(rec->id, ctx.clock.now_ms()); !s.ok())
      return s.error();
    ctx.log("system", type + " backup " + std::to_string(rec->id) + " of " + target.vm + ": " +
                          std::to_string(size) + " bytes, " + std::to_string(changed_bytes) +
                          " changed bytes written");
    json r = file_result({path, "qcow2", size, hash});
    r["backup_id"] = rec->id;
    r["type"] = type;
    r["chain_id"] = rec->chain_id;
    r["parent_id"] = parent ? json(parent->id) : json(nullptr);
    r["changed_bytes"] = changed_bytes;
    r["method"] = method;  // block_map | hypervisor (libvirt's backup API)
    r["provider"] = b.provider;
    r["vm"] = b.vm;
    auto deleted = apply_retention(ctx, payload, b.vm);
    if (!deleted) return deleted.error();
    r["deleted_backups"] = *deleted;
    return r.dump();
  }

  // A running VM whose hypervisor has a backup API (libvirt): the hypervisor writes the
  // backup (incremental since the parent's checkpoint while it still has it), which is then
  // chained onto the parent by name, checked, hashed and renamed into place.
  Result<std::string> run_native(JobContext& ctx, const json& payload, const Target& target,
                                 std::string type, const fs::path& dir) {
    std::optional<store::Backup> parent;
    std::string since;
    if (type == "incremental") {
      auto latest = deps_.backups->latest(target.vm, target.provider->name());
      if (!latest) return latest.error();
      std::error_code ec;
      if (*latest && (*latest)->job_id && fs::exists((*latest)->path, ec)) {
        parent = **latest;
        since = "hsdk-" + core::format_job_id(*parent->job_id);
      }
    }
    auto taken = target.provider->backup_native(
        target.vm, "hsdk-" + core::format_job_id(ctx.job.id), since,
        [&](std::uint64_t done, std::uint64_t total) { report(ctx, done, total); },
        cancelled_fn(ctx));
    if (!taken) return taken.error();
    if (type == "incremental" && !taken->incremental) {
      ctx.log("system", "no usable checkpoint of the previous backup (" +
                            (since.empty() ? std::string("none") : since) +
                            "); the hypervisor took a full backup");
      parent.reset();
    }
    type = taken->incremental ? "incremental" : "full";
    const std::string name = target.vm + "-" + core::format_job_id(ctx.job.id) +
                             (type == "full" ? "-full" : "-incr") + ".qcow2";
    auto placed = exporter::adopt_native_backup(
        taken->path, dir / name, parent ? fs::path(parent->path).filename().string() : "");
    if (!placed) return placed.error();
    auto hash = hash_file(ctx, dir / name);
    if (!hash) return hash.error();
    return record(ctx, payload, target, type, parent, dir / name, placed->size, *hash,
                  placed->data_bytes, "hypervisor");
  }

  Result<std::vector<std::int64_t>> apply_retention(JobContext& ctx, const json& payload,
                                                    const std::string& vm) {
    std::optional<std::int64_t> keep_last, keep_days;
    if (payload.contains("keep_last")) keep_last = payload["keep_last"].get<std::int64_t>();
    if (payload.contains("keep_days")) keep_days = payload["keep_days"].get<std::int64_t>();
    auto live = deps_.backups->list(vm, 100000);
    if (!live) return live.error();
    auto victims = retention_victims(*live, keep_last, keep_days, ctx.clock.now_ms());
    if (victims.empty()) return victims;
    if (Status s = deps_.backups->mark_deleted(victims, ctx.clock.now_ms()); !s.ok())
      return s.error();
    for (const auto& b : *live) {
      if (std::find(victims.begin(), victims.end(), b.id) == victims.end()) continue;
      std::error_code ec;
      fs::remove(b.path, ec);
      fs::remove(b.path + ".map", ec);
      ctx.log("system", "retention: deleted backup " + std::to_string(b.id) + " (" + b.path + ")");
    }
    return victims;
  }

  ProviderJobDeps deps_;
};

}  // namespace

std::shared_ptr<Handler> make_backup_handler(const ProviderJobDeps& deps) {
  return std::make_shared<BackupHandler>(deps);
}

}  // namespace hypersdk::engine
