// Factories of the sftp and webdav targets (sftp_target.cpp, webdav_target.cpp).
#pragma once

#include <memory>

#include "targets/target.h"

namespace hypersdk::targets {

Result<std::unique_ptr<Target>> make_sftp_target(const TargetSpec& spec);
Result<std::unique_ptr<Target>> make_webdav_target(const TargetSpec& spec);

}  // namespace hypersdk::targets
