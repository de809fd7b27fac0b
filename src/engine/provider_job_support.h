// Shared pieces of the provider job handlers (provider_jobs.h): payload parsing, resolving
// the provider and VM (payload, job spec or upstream input), the hooks that connect the
// export pipeline to the job's cancel token and progress, and writing one converted disk.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/handler.h"
#include "export/byte_pump.h"
#include "export/qemu_img.h"
#include "providers/registry.h"

namespace hypersdk::engine::provider_job {

Result<nlohmann::json> payload_of(const JobContext& ctx);

struct Target {
  std::shared_ptr<providers::Provider> provider;
  std::string vm;
};
// Provider from payload `provider`, the job's provider or an input's; VM likewise from `vm`
// and the job's target. Errors: invalid (missing), not_found (unknown provider).
Result<Target> resolve_target(const JobContext& ctx, const nlohmann::json& payload,
                              const providers::ProviderRegistry& registry);

std::function<bool()> cancelled_fn(const JobContext& ctx);

// The disks to read for an export or a backup (Provider::fetch_disks) with the job's
// progress, log and cancel token. A remote provider (vsphere) downloads them into `workdir`,
// which this creates; the caller removes it when done.
Result<std::vector<providers::Disk>> source_disks(const JobContext& ctx, const Target& target,
                                                  const std::string& snapshot,
                                                  const std::filesystem::path& workdir);
void report(const JobContext& ctx, std::uint64_t done, std::uint64_t total);

struct Written {
  std::filesystem::path path;
  std::string format;
  std::uint64_t size = 0;
  std::string sha256;
};
// Writes `src` (of `src_format`) as `dst_format` at `dst`, atomically, hashing the output.
// raw to raw is copied in-process (works on pipes, reports progress per chunk); everything
// else goes through qemu-img convert, then one read to hash. Progress: bytes of this disk.
Result<Written> write_disk(const JobContext& ctx, const std::string& src,
                           const std::string& src_format, const std::filesystem::path& dst,
                           const std::string& dst_format, std::uint64_t capacity);

// SHA-256 of a whole file (reading it once, with progress and cancel).
Result<std::string> hash_file(const JobContext& ctx, const std::filesystem::path& path);

// {"path","format","size_bytes","sha256","output_size_bytes","output_format"}
nlohmann::json file_result(const Written& w);

// Formats of files: ova | ovf | vmdk | qcow2 | raw, from the extension ("" when unknown).
std::string format_of_path(const std::filesystem::path& p);

}  // namespace hypersdk::engine::provider_job
