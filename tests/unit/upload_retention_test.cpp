// Retention on upload targets (keep_last): which objects go, against hand-made listings, and
// the dir target's listing on a real directory.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "engine/upload_retention.h"
#include "targets/dir_target.h"
#include "test_support.h"

using namespace hypersdk;
using hypersdk::engine::retention_victims;
using hypersdk::targets::ObjectEntry;

TEST_CASE("keep_last keeps the newest of the VM's objects beside the new one") {
  const std::vector<ObjectEntry> objects{
      {"n/web-1-j-1.ova", 1, 100},   {"n/web-1-j-2.ova", 1, 200},
      {"n/web-1-j-3.ova", 1, 300},   {"n/web-1-j-4.ova", 1, 400},  // the one just made
      {"n/web-10-j-1.ova", 1, 50},  // another VM whose name starts alike
      {"n/web-2-j-1.ova", 1, 10},    {"w/web-1-j-0.ova", 1, 5},  // another directory
      {"n/sub/web-1-j-0.ova", 1, 5},                             // below it
  };
  CHECK(retention_victims(objects, "n/web-1-j-4.ova", "web-1", 2) ==
        std::vector<std::string>{"n/web-1-j-1.ova", "n/web-1-j-2.ova"});
  CHECK(retention_victims(objects, "n/web-1-j-4.ova", "web-1", 1) ==
        std::vector<std::string>{"n/web-1-j-1.ova", "n/web-1-j-2.ova", "n/web-1-j-3.ova"});
  CHECK(retention_victims(objects, "n/web-1-j-4.ova", "web-1", 4).empty());
  CHECK(retention_victims(objects, "n/web-1-j-4.ova", "web-1", 100).empty());
}

TEST_CASE("keep_last never removes the object just made, even when its clock says older") {
  const std::vector<ObjectEntry> objects{{"web-1-a", 1, 900}, {"web-1-b", 1, 100}};
  CHECK(retention_victims(objects, "web-1-b", "web-1", 1) == std::vector<std::string>{"web-1-a"});
  // Same second (S3 LastModified): the key decides, so the outcome does not depend on order.
  const std::vector<ObjectEntry> tie{{"web-1-j-2", 1, 7}, {"web-1-j-1", 1, 7}, {"web-1-j-3", 1, 7}};
  CHECK(retention_victims(tie, "web-1-j-3", "web-1", 2) == std::vector<std::string>{"web-1-j-1"});
}

TEST_CASE("the dir target lists the objects under a prefix, relative to its base") {
  test::TempDir dir;
  const auto base = dir.file("nas");
  std::filesystem::create_directories(base + "/n/sub");
  for (const char* f :
       {"/n/web-1-a", "/n/web-1-b", "/n/web-2-a", "/n/sub/web-1-c", "/n/web-1-d.hypersdk-part"})
    std::ofstream(base + f) << "x";
  targets::TargetSpec spec;
  spec.name = "nas";
  spec.kind = "dir";
  spec.path = base;
  targets::DirTarget t(spec);
  auto listed = t.list("n/web-1-");
  REQUIRE(listed.ok());
  std::vector<std::string> keys;
  for (const auto& o : *listed) keys.push_back(o.key);
  std::sort(keys.begin(), keys.end());
  CHECK(keys == std::vector<std::string>{"n/web-1-a", "n/web-1-b"});
  CHECK(t.list("nothing/here-").ok());  // a prefix whose directory does not exist: empty
}
