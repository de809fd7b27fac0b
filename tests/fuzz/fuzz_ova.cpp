// libFuzzer target: OVA packages someone hands us to verify or convert (export/ova.h): the
// ustar reader, the .ovf-first rule and the manifest parser. The first input byte picks the
// manifest parser alone or a whole package written to a temporary file.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include "export/ova.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    (void)hypersdk::exporter::parse_manifest(body);
    return 0;
  }
  static const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                            ("hypersdk-fuzz-" + std::to_string(getpid()) + ".ova");
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(body.data(), 1, body.size(), f);
    std::fclose(f);
    (void)hypersdk::exporter::verify_ova(path, nullptr, nullptr);
  }
  return 0;
}
