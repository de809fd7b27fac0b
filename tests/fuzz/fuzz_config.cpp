// libFuzzer target: the config loader (ops/config.h load_config: yaml-cpp, duplicate keys, the
// schema's types and ranges, deprecated keys, notification receivers and routes, providers)
// on arbitrary YAML. The loader reads a file, so each input is written to one scratch file
// first. A config that loads is also rendered as `config show` does (redacted and not).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "ops/config.h"

namespace {

const std::filesystem::path& scratch() {
  static const std::filesystem::path p =
      std::filesystem::temp_directory_path() /
      ("hypersdk-fuzz-config-" + std::to_string(getpid()) + ".yaml");
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    std::ofstream f(scratch(), std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  hypersdk::ops::LoadOptions options;
  options.path = scratch();
  options.working_dir = "/nonexistent";
  options.system_dir = "/nonexistent";
  auto loaded = hypersdk::ops::load_config(options);
  if (loaded) {
    (void)loaded->config.to_json(true).dump();
    (void)loaded->config.entries(false);
  }
  return 0;
}
