// qemu-img (Debian qemu-utils) as a child process, as virt-v2v uses it: disk format
// conversion (raw, qcow2, vmdk streamOptimized), image info, and backing-file chains.
// Progress of a conversion comes from `-p` ("(42.00/100%)"); a cancel stops the process group.
// Thread safety: free functions; callbacks run on the calling thread.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"

namespace hypersdk::exporter {

struct QemuImgHooks {
  std::function<void(double percent)> progress;  // 0..100
  std::function<bool()> cancelled;
};

// Runs `qemu-img ARGS...`; returns its stdout. Errors: not_found (qemu-img missing: install
// qemu-utils), cancelled, internal with qemu-img's own message.
Result<std::string> qemu_img(const std::vector<std::string>& args, const QemuImgHooks& hooks = {});

// `qemu-io ARGS...` (writing chosen ranges into an image). Errors as qemu_img.
Result<std::string> qemu_io(const std::vector<std::string>& args, const QemuImgHooks& hooks = {});

// `qemu-img convert -p -f FROM -O TO [-o OPTIONS] src dst`; to "vmdk" means streamOptimized.
Status qemu_img_convert(const std::string& src, const std::string& src_format,
                        const std::string& dst, const std::string& dst_format,
                        const QemuImgHooks& hooks);

// `qemu-img info --output=json` of one image.
Result<nlohmann::json> qemu_img_info(const std::string& path);

}  // namespace hypersdk::exporter
