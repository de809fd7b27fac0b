// Readiness of the runtime (issue 7 item 8, issue 18 item 2): every failing check names its
// reason, a write holding the writer does not delay the probe, failed writes leave the
// writer connection clean and turn readiness to failing until a write succeeds again.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "engine/runtime.h"
#include "test_support.h"

using namespace hypersdk;
using namespace std::chrono;

namespace {

struct RuntimeFixture {
  test::TempDir dir;
  engine::SystemClock clock;
  std::unique_ptr<engine::Runtime> rt;

  RuntimeFixture() {
    ops::LoadOptions o;
    o.working_dir = dir.path();
    o.system_dir = dir.path();
    auto cfg = ops::load_config(o);
    REQUIRE_MESSAGE(cfg.ok(), cfg.error().message);
    auto r = engine::Runtime::open(
        {std::make_shared<const ops::Config>(std::move(cfg->config)), dir.file("rt.db"), &clock});
    REQUIRE_MESSAGE(r.ok(), r.error().message);
    rt = std::move(r.value());
  }

  const engine::ReadinessCheck& check(const std::vector<engine::ReadinessCheck>& all,
                                      const std::string& name) {
    for (const auto& c : all)
      if (c.name == name) return c;
    FAIL("no readiness check " << name);
    throw std::logic_error("unreachable");
  }
};

}  // namespace

TEST_CASE("readiness answers at once while a long write holds the writer") {
  RuntimeFixture f;
  std::atomic<bool> inside{false};
  std::thread writer([&] {
    (void)f.rt->backend().sqlite()->write([&](store::Connection&) {
      inside = true;
      std::this_thread::sleep_for(seconds(2));  // as a long checkpoint or a big prune batch
      return Status::Ok();
    });
  });
  while (!inside) std::this_thread::sleep_for(milliseconds(1));
  const auto t0 = steady_clock::now();
  auto checks = f.rt->readiness();
  const auto took = steady_clock::now() - t0;
  writer.join();
  CHECK(took < milliseconds(500));
  CHECK(f.check(checks, "database:reachable").ok);
  CHECK(f.check(checks, "database:migrations").ok);
  CHECK(f.check(checks, "database:writable").ok);
}

TEST_CASE("a failing write turns readiness to failing with its reason until a write succeeds") {
  RuntimeFixture f;
  auto& db = *f.rt->backend().sqlite();
  Status s = db.write([](store::Connection& c) {
    c.db().exec("INSERT INTO no_such_table VALUES (1)");
    return Status::Ok();
  });
  REQUIRE_FALSE(s.ok());
  auto writable = f.check(f.rt->readiness(), "database:writable");
  CHECK_FALSE(writable.ok);
  CHECK(writable.detail.find("no such table") != std::string::npos);
  CHECK(writable.detail.find("the last of 1 failed writes in a row") != std::string::npos);

  // A refusal by the operation itself (a conflict, a missing job) is no storage failure.
  REQUIRE(db.probe_write(1).ok());
  CHECK(f.check(f.rt->readiness(), "database:writable").ok);
  (void)db.write(
      [](store::Connection&) { return Status(make_error(ErrorClass::not_found, "no job j-1")); });
  CHECK(f.check(f.rt->readiness(), "database:writable").ok);
}

TEST_CASE("a write that throws mid-statement leaves the writer clean for checkpoint and writes") {
  RuntimeFixture f;
  auto& db = *f.rt->backend().sqlite();
  REQUIRE(db.write([](store::Connection& c) {
              c.db().exec("CREATE TABLE t (x INTEGER)");
              c.db().exec("INSERT INTO t VALUES (1), (2), (3)");
              return Status::Ok();
            }).ok());
  static constexpr const char* kRows = "SELECT x FROM t";
  Status s = db.write([](store::Connection& c) -> Status {
    auto& st = c.stmt(kRows);
    REQUIRE(st.executeStep());  // one row read, two pending: the statement stays active
    throw std::runtime_error("handler failed halfway");
  });
  CHECK_FALSE(s.ok());
  // Before the fix the stepped statement kept a read open on the writer: the checkpoint
  // failed with "database table is locked" and later writes with "database is locked".
  Status cp = db.checkpoint();
  CHECK_MESSAGE(cp.ok(), cp.error().message);
  Status again = db.write([](store::Connection& c) {
    auto& st = c.stmt(kRows);
    int n = 0;
    while (st.executeStep()) ++n;
    CHECK(n == 3);
    c.db().exec("INSERT INTO t VALUES (4)");
    return Status::Ok();
  });
  CHECK_MESSAGE(again.ok(), again.error().message);
}
