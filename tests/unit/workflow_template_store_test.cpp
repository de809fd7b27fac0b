// Workflow templates in the store: put (conflict unless replace), get, list by name in byte
// order (as SQLite's BINARY collation sorts), delete. Conformance tests: a real SQLite file or
// a real PostgreSQL (store_conformance.h).
#include <doctest/doctest.h>

#include "store_conformance.h"

using namespace hypersdk;
using namespace hypersdk::store;

namespace {

WorkflowTemplate tmpl(const std::string& name, const std::string& definition = "{}") {
  WorkflowTemplate t;
  t.name = name;
  t.definition = definition;
  return t;
}

std::vector<std::string> names(Store& s) {
  std::vector<std::string> out;
  for (const auto& t : s.workflow_template_list().value()) out.push_back(t.name);
  return out;
}

}  // namespace

TEST_CASE("a workflow template is stored once, replaced only on request, listed and deleted") {
  test::ConformanceFixture f;
  auto first = f.store->workflow_template_put(tmpl("nightly", R"({"steps":[]})"), false, 100);
  REQUIRE(first.ok());
  CHECK(first->definition == R"({"steps":[]})");
  CHECK(first->created_at == 100);
  CHECK(first->updated_at == 100);

  auto again = f.store->workflow_template_put(tmpl("nightly", "{}"), false, 200);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().cls == ErrorClass::conflict);
  CHECK(f.store->workflow_template_get("nightly")->definition == R"({"steps":[]})");

  auto replaced = f.store->workflow_template_put(tmpl("nightly", R"({"x":1})"), true, 300);
  REQUIRE(replaced.ok());
  CHECK(replaced->definition == R"({"x":1})");
  CHECK(replaced->created_at == 100);
  CHECK(replaced->updated_at == 300);

  // Byte order: upper case sorts before lower case, '-' before letters.
  for (const char* n : {"b", "B", "a-b", "a"})
    REQUIRE(f.store->workflow_template_put(tmpl(n), false, 400).ok());
  CHECK(names(*f.store) == std::vector<std::string>{"B", "a", "a-b", "b", "nightly"});

  REQUIRE(f.store->workflow_template_delete("nightly").ok());
  CHECK(f.store->workflow_template_get("nightly").error().cls == ErrorClass::not_found);
  CHECK(f.store->workflow_template_delete("nightly").error().cls == ErrorClass::not_found);
  CHECK(names(*f.store).size() == 4);
}
