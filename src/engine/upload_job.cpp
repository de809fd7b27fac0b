#include "engine/upload_job.h"

#include <sys/stat.h>

#include <filesystem>
#include <mutex>

#include "engine/step_inputs.h"
#include "engine/upload_retention.h"
#include "targets/target.h"

namespace hypersdk::engine {
namespace {

using nlohmann::json;

Result<json> parse_payload(const std::string& text) {
  json p = json::parse(text, nullptr, false);
  if (p.is_discarded() || !p.is_object()) return invalid_error("payload: expected a JSON object");
  return p;
}

Result<std::string> string_field(const json& p, const char* name, bool required) {
  if (!p.contains(name)) {
    if (required) return invalid_error(std::string("payload.") + name + " is required");
    return std::string();
  }
  if (!p[name].is_string() || p[name].get<std::string>().empty())
    return invalid_error(std::string("payload.") + name + ": expected a non-empty string");
  return p[name].get<std::string>();
}

std::int64_t mtime_ns(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

}  // namespace

Result<std::string> input_path(const json& payload) {
  if (payload.contains("path")) {
    auto p = string_field(payload, "path", true);
    if (!p) return p.error();
    if ((*p)[0] != '/')
      return invalid_error("payload.path: expected an absolute path, got '" + *p + "'");
    return p;
  }
  return step_path(payload);
}

Result<std::string> UploadHandler::run(JobContext& ctx) {
  auto payload = parse_payload(ctx.job.spec.payload);
  if (!payload) return payload.error();
  auto target_name = string_field(*payload, "target", true);
  if (!target_name) return target_name.error();
  auto path = input_path(*payload);
  if (!path) return path.error();
  auto key = string_field(*payload, "key", false);
  if (!key) return key.error();
  if (key->empty()) *key = std::filesystem::path(*path).filename().string();
  // keep_last: N -- after the upload, the VM's older objects beside it beyond N are removed.
  int keep_last = 0;
  std::string vm;
  if (payload->contains("keep_last")) {
    // A number, or its text (a template's "{{keep_last}}"); 0 keeps everything.
    const json& k = (*payload)["keep_last"];
    std::int64_t n = -1;
    if (k.is_number_integer()) n = k.get<std::int64_t>();
    if (k.is_string() && !k.get<std::string>().empty() && k.get<std::string>().size() < 7 &&
        k.get<std::string>().find_first_not_of("0123456789") == std::string::npos)
      n = std::stoll(k.get<std::string>());
    if (n < 0 || n > 100000)
      return invalid_error(
          "payload.keep_last: expected a whole number from 0 (keep all) to 100000");
    keep_last = static_cast<int>(n);
  }
  if (keep_last > 0) {
    auto v = string_field(*payload, "vm", false);
    if (!v) return v.error();
    vm = v->empty() ? ctx.job.spec.target : *v;
    if (vm.empty())
      return invalid_error(
          "payload.keep_last: needs the VM whose older objects it removes "
          "(payload vm, or the step's target)");
  }
  std::string sha256;  // from the producing step, when it says
  if (payload->contains("inputs"))
    if (auto in = step_input_with(*payload, "path"); in && *in && (**in)["path"] == *path &&
                                                     (*in)->contains("sha256") &&
                                                     (**in)["sha256"].is_string())
      sha256 = (**in)["sha256"].get<std::string>();
  if (!std::filesystem::is_regular_file(*path))
    return make_error(ErrorClass::not_found, "payload.path: no file " + *path);

  auto spec = targets_->find(*target_name);
  if (!spec) return spec.error();
  auto target = targets::make_target(*spec);
  if (!target) return target.error();

  const core::JobId job_id = ctx.job.id;
  const std::int64_t size = static_cast<std::int64_t>(std::filesystem::file_size(*path));
  const std::int64_t mtime = mtime_ns(*path);
  targets::MultipartLedger ledger;
  ledger.load = [&]() -> std::optional<targets::MultipartResume> {
    auto r = ledger_->upload_get(job_id);
    if (!r || !*r) return std::nullopt;
    const store::UploadRecord& rec = **r;
    if (rec.target != *target_name || rec.object_key != *key || rec.file_path != *path ||
        rec.file_size != size || rec.file_mtime != mtime) {
      ctx.log("system", "the stored upload " + rec.upload_id +
                            " was for another file or key; starting a new one");
      (void)ledger_->upload_finish(job_id);
      return std::nullopt;
    }
    targets::MultipartResume out{rec.upload_id, static_cast<std::uint64_t>(rec.part_size), {}};
    for (const auto& p : rec.parts)
      out.parts.push_back({p.number, static_cast<std::uint64_t>(p.size), p.etag, p.md5});
    ctx.log("system", "resuming upload " + rec.upload_id + ": " + std::to_string(rec.parts.size()) +
                          " parts already sent");
    return out;
  };
  ledger.begin = [&](const std::string& upload_id, std::uint64_t part_size) {
    return ledger_->upload_begin({job_id,
                                  *target_name,
                                  *key,
                                  *path,
                                  size,
                                  mtime,
                                  upload_id,
                                  static_cast<std::int64_t>(part_size),
                                  clock_.now_ms(),
                                  {}});
  };
  ledger.part_done = [&](const targets::MultipartPart& p) {
    return ledger_->upload_part_done(
        job_id, {p.number, static_cast<std::int64_t>(p.size), p.etag, p.md5_hex});
  };
  ledger.finish = [&] { return ledger_->upload_finish(job_id); };

  targets::PutOptions options;
  options.sha256 = sha256;
  options.ledger = &ledger;
  options.cancelled = [&] { return ctx.cancel.cancelled() || clock_.steady_now() > ctx.deadline; };
  options.cancel_is_final = [&] {
    const CancelReason why = ctx.cancel.reason();
    return why != CancelReason::shutdown && why != CancelReason::lease_lost;
  };
  if (ctx.progress) options.progress = ctx.progress;
  ctx.log("system", "uploading " + *path + " (" + std::to_string(size) + " bytes) to " +
                        (*target)->url_of(*key));
  auto put = (*target)->put(*path, *key, options);
  if (!put) {
    Error e = put.error();
    if (e.cls == ErrorClass::cancelled && clock_.steady_now() > ctx.deadline)
      e = make_error(ErrorClass::timeout, "upload timed out: " + e.message);
    return e;
  }
  ctx.log("system", "uploaded " + std::to_string(put->size_bytes) + " bytes in " +
                        std::to_string(put->parts) + " part(s), " +
                        std::to_string(put->parts_resumed) + " resumed; checked by " +
                        put->checked_by);
  json out = {{"target", *target_name}, {"url", put->url},
              {"key", put->key},        {"size_bytes", put->size_bytes},
              {"sha256", put->sha256},  {"checked_by", put->checked_by},
              {"parts", put->parts},    {"parts_resumed", put->parts_resumed},
              {"path", *path}};
  // path is the local source (a verify step downstream may check it too).
  if (keep_last > 0) {
    // The copy is in place and checked (checked_by); only then do older ones go. A failed
    // removal does not undo the upload: the result and the log say what was left.
    auto removed = apply_retention(**target, put->key, vm, keep_last);
    json retention{{"keep_last", keep_last}, {"vm", vm}};
    if (removed) {
      retention["removed"] = *removed;
      for (const auto& k : *removed)
        ctx.log("system",
                "keep_last " + std::to_string(keep_last) + ": removed " + (*target)->url_of(k));
    } else {
      retention["error"] = removed.error().to_string();
      ctx.log("system",
              "keep_last " + std::to_string(keep_last) + " failed: " + removed.error().to_string());
    }
    out["retention"] = retention;
  }
  return out.dump();
}

Result<std::string> verify_uploaded(const targets::TargetRegistry& targets, const json& payload) {
  json src = payload;
  if (!payload.contains("target") || !payload.contains("key")) {
    auto in = step_input_with(payload, "key");
    if (!in) return in.error();
    if (!*in) return invalid_error("payload.key is required (no upstream input has one)");
    src = **in;
  }
  auto name = string_field(src, "target", true);
  if (!name) return name.error();
  auto key = string_field(src, "key", true);
  if (!key) return key.error();
  auto sha = string_field(src, "sha256", true);
  if (!sha) return sha.error();
  if (!src.contains("size_bytes") || !src["size_bytes"].is_number_unsigned())
    return invalid_error("size_bytes: expected a byte count");
  auto spec = targets.find(*name);
  if (!spec) return spec.error();
  auto target = targets::make_target(*spec);
  if (!target) return target.error();
  auto check = targets::verify_remote(**target, *key, *sha, src["size_bytes"].get<std::uint64_t>());
  if (!check) return check.error();
  return json{{"target", *name},
              {"key", *key},
              {"url", (*target)->url_of(*key)},
              {"size_bytes", check->size_bytes},
              {"sha256", check->sha256},
              {"checked_by", check->checked_by}}
      .dump();
}

}  // namespace hypersdk::engine
