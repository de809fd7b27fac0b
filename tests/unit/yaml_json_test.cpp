// submit --file inputs (issue 18 item 10, 4th bullet): alias bombs, deep nesting, endless
// files, through the real file reader.
#include "cli/yaml_json.h"

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>

#include "test_support.h"

namespace hypersdk::cli {
namespace {

std::string write(const test::TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.file(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string error_of(const Result<nlohmann::json>& r) {
  return r.ok() ? std::string("accepted") : r.error().message;
}

TEST_CASE("a YAML alias bomb is refused while it is expanded, quickly") {
  test::TempDir dir;
  // 10 levels of 10 aliases each: 10^10 values once expanded, under 600 bytes on disk.
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    const std::string prev = "*a" + std::to_string(i - 1);
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) text += (k ? ", " : "") + prev;
    text += "]\n";
  }
  text += "type: noop\n";
  const auto start = std::chrono::steady_clock::now();
  auto r = read_json_or_yaml_file(write(dir, "bomb.yaml", text));
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().cls == ErrorClass::invalid);
  CHECK(error_of(r).find("more than 100000 values once aliases are expanded") != std::string::npos);
  CHECK(took < std::chrono::seconds(2));
}

TEST_CASE("deeply nested job files are refused, as YAML and as JSON") {
  test::TempDir dir;
  const std::string deep_json =
      "{\"type\":\"noop\",\"payload\":{\"a\":" + std::string(100000, '[') +
      std::string(100000, ']') + "}}";
  auto j = read_json_or_yaml_file(write(dir, "deep.json", deep_json));
  REQUIRE_FALSE(j.ok());
  CHECK(error_of(j).find("deeper than 32 levels") != std::string::npos);

  const std::string deep_yaml =
      "type: noop\npayload: " + std::string(100, '[') + std::string(100, ']') + "\n";
  auto y = read_json_or_yaml_file(write(dir, "deep.yaml", deep_yaml));
  REQUIRE_FALSE(y.ok());
  CHECK(error_of(y).find("deeper than 32 levels") != std::string::npos);

  // yaml-cpp's own parser gives up past its depth guard: still an error, not a crash.
  const std::string deeper =
      "type: noop\npayload: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
  CHECK_FALSE(read_json_or_yaml_file(write(dir, "deeper.yaml", deeper)).ok());
}

TEST_CASE("an endless or huge job file is read only up to the limit") {
  auto r = read_json_or_yaml_file("/dev/zero");
  REQUIRE_FALSE(r.ok());
  CHECK(error_of(r).find("larger than 4 MiB") != std::string::npos);
}

TEST_CASE("a mapping as a key and a NUL in a value are refused, naming the file") {
  test::TempDir dir;
  auto key = read_json_or_yaml_file(write(dir, "key.yaml", "? {a: 1}\n: 2\ntype: noop\n"));
  REQUIRE_FALSE(key.ok());
  CHECK(error_of(key).find("keys must be plain strings") != std::string::npos);
  auto nul = read_json_or_yaml_file(write(dir, "nul.yaml", "type: \"no\\0op\"\n"));
  REQUIRE_FALSE(nul.ok());
  CHECK(error_of(nul).find("NUL") != std::string::npos);
  auto ok = read_json_or_yaml_file(write(dir, "ok.yaml", "type: noop\npriority: 5\n"));
  REQUIRE(ok.ok());
  CHECK((*ok)["priority"] == 5);
}

}  // namespace
}  // namespace hypersdk::cli
