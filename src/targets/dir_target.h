// The dir target: a directory on this machine (or a mounted share). Files are copied to a
// temporary name beside the destination, synced, then renamed, so a reader never sees a
// partial file; the copy is hashed as it is written and compared with the source.
#pragma once

#include "targets/target.h"

namespace hypersdk::targets {

class DirTarget final : public Target {
 public:
  explicit DirTarget(TargetSpec spec) : spec_(std::move(spec)) {}
  const TargetSpec& spec() const override { return spec_; }
  Result<PutResult> put(const std::filesystem::path& file, const std::string& key,
                        const PutOptions& options) override;
  Result<RemoteObject> stat(const std::string& key) override;
  Status fetch(const std::string& key,
               const std::function<bool(const char*, std::size_t)>& sink) override;
  Status remove(const std::string& key) override;
  Result<std::vector<ObjectEntry>> list(const std::string& prefix) override;
  std::string url_of(const std::string& key) const override;

 private:
  Result<std::filesystem::path> path_of(const std::string& key) const;
  const TargetSpec spec_;
};

}  // namespace hypersdk::targets
