// verify_ova on packages handed to us damaged or hostile: sizes in tar headers come from the
// package and must never be trusted for an allocation (found by tests/fuzz/fuzz_ova.cpp).
#include <doctest/doctest.h>

#include <fstream>

#include "export/ova.h"
#include "export/ustar.h"
#include "test_support.h"

using namespace hypersdk;

TEST_CASE("verify_ova: a manifest header claiming 8 GiB is refused without allocating it") {
  test::TempDir dir;
  const std::string path = dir.file("hostile.ova");
  {
    std::ofstream out(path, std::ios::binary);
    auto ovf = exporter::tar_header("vm.ovf", 4, 0);
    REQUIRE(ovf);
    out.write(ovf->data(), ovf->size());
    std::string member = "abcd";
    member.resize(exporter::kTarBlock, '\0');
    out << member;
    auto mf = exporter::tar_header("vm.mf", (1ULL << 33) - 1, 0);
    REQUIRE(mf);
    out.write(mf->data(), mf->size());
  }
  auto r = exporter::verify_ova(path, nullptr, nullptr);
  REQUIRE_FALSE(r);
  CHECK(r.error().cls == ErrorClass::invalid);
  CHECK(r.error().message.find("the manifest vm.mf claims 8589934591 bytes") != std::string::npos);
}
