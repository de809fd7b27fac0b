// db copy (store/copy/db_copy.h) against a real PostgreSQL: a SQLite database with history is
// copied, then both stores give the same answers through the store port (the issue's "list,
// schedule list and dlq list give the same answers on both"), ids go on past the copied ones,
// a second copy is refused, a failed copy leaves nothing, bad UTF-8 is repaired and counted.
// Built into hypersdk_pg_unit (ctest "unit-pg: store conformance", tests/pg/with_pg.sh).
#include <doctest/doctest.h>

#include <chrono>
#include <set>

#include "core/schedule_rules.h"
#include "store/copy/db_copy.h"
#include "store/pg/pg_store.h"
#include "store_conformance.h"
#include "wire/job_json.h"
#include "wire/schedule_json.h"
#include "wire/workflow_json.h"
#include "workflow_test_support.h"

using namespace hypersdk;
using namespace hypersdk::store;
using std::chrono::milliseconds;

namespace {

constexpr TimeMs kT0 = 1'750'000'000'000;

ScheduleSpec schedule_spec(const std::string& name) {
  ScheduleSpec s;
  s.name = name;
  s.cron = "0 2 * * *";
  s.timezone = "America/Chicago";
  s.job_type = "noop";
  REQUIRE(core::validate_schedule(s).ok());
  return s;
}

core::JobSpec noop(int retries = 0) {
  core::JobSpec j;
  j.type = "noop";
  j.retry.max_retries = retries;
  return j;
}

// What an installation accumulates: jobs that succeeded (with output), failed into the dead
// letters, and still queued; a schedule that fired and missed (with its event), an emergency
// run (audit), a workflow, a template, and a deleted schedule (an id SQLite never reuses).
struct History {
  JobId succeeded = 0, dead = 0;
  ScheduleId nightly = 0, gone = 0;
};

History populate(Store& s) {
  History h;
  TimeMs now = kT0;
  for (int i = 0; i < 4; ++i) REQUIRE(s.job_enqueue(noop(), now).ok());
  auto claimed = s.job_claim(2, ++now, milliseconds(60000), "node-1").value();
  REQUIRE(claimed.size() == 2);
  h.succeeded = claimed[0].id;
  h.dead = claimed[1].id;
  std::vector<LogLine> lines;
  for (int i = 0; i < 3; ++i) {
    LogLine l;
    l.job_id = h.succeeded;
    l.ts = now;
    l.stream = i == 2 ? "stderr" : "stdout";
    l.line = "line " + std::to_string(i) + " caf\xC3\xA9 \xE2\x9C\x93";
    lines.push_back(l);
  }
  REQUIRE(s.job_log_append(lines).ok());
  Completion ok{h.succeeded, claimed[0].lease_token, Outcome::succeeded, {}, R"({"bytes":42})"};
  Completion bad{h.dead, claimed[1].lease_token, Outcome::failed,
                 invalid_error("disk vm-7 not found"), ""};
  REQUIRE(s.job_complete({ok, bad}, ++now).ok());

  auto nightly = s.schedule_create(schedule_spec("nightly"), ++now).value();
  h.nightly = nightly.id;
  FireRequest fire;
  fire.schedule_id = nightly.id;
  fire.expected_cursor = nightly.cursor_ms;
  fire.expected_version = nightly.version;
  PlannedFire missed;
  missed.nominal_utc = now + 1000;
  missed.nominal_local = "2025-06-15T02:00:00";
  missed.reason = "catchup_none";
  PlannedFire ran;
  ran.nominal_utc = now + 2000;
  ran.nominal_local = "2025-06-16T02:00:00";
  ran.run = true;
  ran.job = noop();
  ran.job.schedule_id = nightly.id;
  fire.occurrences = {missed, ran};
  fire.new_cursor = ran.nominal_utc;
  auto fired = s.schedule_fire(fire, now + 2000);
  REQUIRE(fired.ok());
  REQUIRE(fired->recorded.size() == 2);
  now += 3000;
  RunRequest run;
  run.name = "nightly";
  run.job = noop();
  run.emergency = true;
  run.actor = "alice";
  run.reason = "restore drill";
  REQUIRE(s.schedule_run(run, ++now).ok());

  WorkflowSubmit wf;
  wf.spec.name = "migrate-web";
  wf.spec.steps = {test::step("export"), test::step("upload", {"export"})};
  wf.definition = R"({"name":"migrate-web"})";
  REQUIRE(s.workflow_submit(wf, ++now).ok());
  WorkflowTemplate t;
  t.name = "nightly-chain";
  t.definition = R"({"name":"{{vm}}","steps":[{"name":"a","type":"noop"}]})";
  REQUIRE(s.workflow_template_put(t, false, ++now).ok());

  h.gone = s.schedule_create(schedule_spec("gone"), ++now).value().id;
  REQUIRE(s.schedule_delete("gone").ok());
  return h;
}

std::string dump(const nlohmann::json& j) {
  return j.dump(1);
}

// The answers an operator reads: list, dlq list, schedule list (and show), workflow list,
// audit, logs, templates, events. Equal JSON on both stores.
void same_answers(Store& a, Store& b, const History& h) {
  auto both = [&](auto read) { CHECK(dump(read(a)) == dump(read(b))); };
  both([](Store& s) {
    JobFilter all;
    all.limit = 1000;
    nlohmann::json out = nlohmann::json::array();
    for (const auto& j : s.job_list(all).value()) out.push_back(wire::job_to_json(j));
    return out;
  });
  both([](Store& s) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& d : s.dlq_list(1000).value()) out.push_back(wire::dead_letter_to_json(d));
    return out;
  });
  both([](Store& s) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& x : s.schedule_list().value()) out.push_back(wire::schedule_to_json(x));
    return out;
  });
  both([](Store& s) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& w : s.workflow_list(100).value()) out.push_back(wire::workflow_to_json(w));
    return out;
  });
  both([&](Store& s) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& o : s.schedule_occurrences(h.nightly, 100).value())
      out.push_back({o.nominal_utc, o.nominal_local, static_cast<int>(o.outcome), o.reason,
                     o.job_id.value_or(0), o.recorded_at});
    return out;
  });
  both([](Store& s) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : s.audit_list(100).value())
      out.push_back(
          {e.id, e.at, e.actor, e.action, e.subject, e.reason, e.job_id.value_or(0), e.details});
    return out;
  });
  both([&](Store& s) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& l : s.job_log_read(h.succeeded, 0, 100).value())
      out.push_back({l.seq, l.ts, l.stream, l.line});
    return out;
  });
  both([](Store& s) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : s.event_list(0, 1000).value())
      out.push_back({e.id, e.kind, e.severity, e.subject, e.payload, e.created_at});
    return out;
  });
  both([](Store& s) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& t : s.workflow_template_list().value())
      if (!t.builtin) out.push_back({t.name, t.definition, t.created_at, t.updated_at});
    return out;
  });
  CHECK(a.schedule_generation().value() == b.schedule_generation().value());
}

copy::CopyOptions to(const std::string& from, const std::string& url) {
  copy::CopyOptions o;
  o.from = from;
  o.to = url;
  o.now_ms =
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  return o;
}

std::unique_ptr<pg::PgStore> pg_store(const test::PgTestSchema& schema) {
  auto db = pg::PgDatabase::open(schema.url());
  REQUIRE_MESSAGE(db.ok(), (db.ok() ? "" : db.error().message));
  return std::make_unique<pg::PgStore>(std::shared_ptr<pg::PgDatabase>(std::move(db.value())));
}

std::int64_t pg_count(pg::PgStore& s, const std::string& table) {
  std::int64_t n = -1;
  REQUIRE(s.database()
              .read([&](pg::Tx& tx) {
                n = tx.exec("SELECT count(*) FROM " + table).i64(0, 0);
                return Status::Ok();
              })
              .ok());
  return n;
}

}  // namespace

TEST_CASE("db copy: both stores give the same answers, and ids go on past the copied ones") {
  test::StoreFixture sqlite;
  const History h = populate(*sqlite.store);
  test::PgTestSchema schema;

  std::vector<std::string> progress;
  auto opts = to(sqlite.db->path(), schema.url());
  opts.progress = [&](const std::string& line) { progress.push_back(line); };
  auto r = copy::copy_sqlite_to_postgres(opts);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r->committed());
  CHECK(r->repaired == 0);
  CHECK(r->mismatches.empty());
  std::map<std::string, copy::TableCount> counts;
  for (const auto& c : r->counts) counts[c.table] = c;
  CHECK(counts.at("jobs").source == 8);  // 4 + the schedule's run + emergency run + 2 steps
  CHECK(counts.at("jobs").target == 8);
  CHECK(counts.at("dead_letters").target == 1);
  CHECK(counts.at("schedule_occurrences").target == 2);
  CHECK(counts.at("audit_log").target >= 1);
  CHECK(counts.at("workflow_edges").target == 1);
  CHECK(counts.count("servers") == 0);
  CHECK(counts.count("leader_lease") == 0);
  REQUIRE(r->skipped.size() == 2);
  std::set<std::string> skipped;
  for (const auto& s : r->skipped) skipped.insert(s.substr(0, s.find(' ')));
  CHECK(skipped == std::set<std::string>{"leader_lease", "servers"});
  CHECK(progress.size() == counts.size() + 2);  // a line per table, one per skip

  auto pg = pg_store(schema);
  same_answers(*sqlite.store, *pg, h);

  // New rows get new ids: past the largest copied id, and past the deleted schedule's id that
  // SQLite's AUTOINCREMENT never hands out again.
  JobId max_job = 0;
  JobFilter all;
  all.limit = 1000;
  for (const auto& j : sqlite.store->job_list(all).value()) max_job = std::max(max_job, j.id);
  auto next_pg = pg->job_enqueue(noop(), kT0 + 100'000);
  auto next_sqlite = sqlite.store->job_enqueue(noop(), kT0 + 100'000);
  REQUIRE(next_pg.ok());
  CHECK(next_pg->id == max_job + 1);
  CHECK(next_pg->id == next_sqlite->id);
  auto sched_pg = pg->schedule_create(schedule_spec("after-copy"), kT0 + 100'000);
  REQUIRE(sched_pg.ok());
  CHECK(sched_pg->id == h.gone + 1);
  CHECK(sched_pg->id == sqlite.store->schedule_create(schedule_spec("after-copy"), kT0).value().id);
  WorkflowSubmit wf;
  wf.spec.name = "after";
  wf.spec.steps = {test::step("one")};
  CHECK(pg->workflow_submit(wf, kT0 + 100'000).value().id ==
        sqlite.store->workflow_submit(wf, kT0 + 100'000).value().id);
}

TEST_CASE("db copy: a second copy into the same database is refused and changes nothing") {
  test::StoreFixture sqlite;
  populate(*sqlite.store);
  test::PgTestSchema schema;
  REQUIRE(copy::copy_sqlite_to_postgres(to(sqlite.db->path(), schema.url())).ok());
  auto pg = pg_store(schema);
  const auto jobs = pg_count(*pg, "jobs");
  const auto logs = pg_count(*pg, "job_log_chunks");

  auto again = copy::copy_sqlite_to_postgres(to(sqlite.db->path(), schema.url()));
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().cls == ErrorClass::conflict);
  CHECK(again.error().message.find("already holds data") != std::string::npos);
  CHECK(again.error().message.find("jobs (8 rows)") != std::string::npos);
  CHECK(pg_count(*pg, "jobs") == jobs);
  CHECK(pg_count(*pg, "job_log_chunks") == logs);
}

TEST_CASE("db copy: a row PostgreSQL refuses fails the whole copy and leaves the target empty") {
  test::StoreFixture sqlite;
  const History h = populate(*sqlite.store);
  // SQLite keeps text that does not look like a number in an INTEGER column; PostgreSQL's
  // BIGINT refuses it. The workflows and schedules copied before jobs must not stay behind.
  REQUIRE(sqlite.db
              ->write([&](Connection& c) {
                c.db().exec("UPDATE jobs SET priority = 'high' WHERE id = " +
                            std::to_string(h.dead));
                return Status::Ok();
              })
              .ok());
  test::PgTestSchema schema;
  auto r = copy::copy_sqlite_to_postgres(to(sqlite.db->path(), schema.url()));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("high") != std::string::npos);
  auto pg = pg_store(schema);
  for (const char* t : {"workflows", "schedules", "jobs", "schedule_occurrences", "audit_log"})
    CHECK_MESSAGE(pg_count(*pg, t) == 0, t);
  CHECK(pg_count(*pg, "schedule_generation") == 1);  // the migration's own row is back
}

TEST_CASE("db copy: text PostgreSQL would refuse is repaired with U+FFFD and counted") {
  test::StoreFixture sqlite;
  const History h = populate(*sqlite.store);
  REQUIRE(sqlite.db
              ->write([&](Connection& c) {
                c.db().exec(
                    "UPDATE jobs SET error_message = CAST(X'626164FF20627974' AS TEXT)"
                    " WHERE id = " +
                    std::to_string(h.dead));
                c.db().exec("UPDATE dead_letters SET error_message = CAST(X'6100620080' AS TEXT)");
                return Status::Ok();
              })
              .ok());
  test::PgTestSchema schema;
  auto r = copy::copy_sqlite_to_postgres(to(sqlite.db->path(), schema.url()));
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r->committed());
  CHECK(r->repaired == 2);
  auto pg = pg_store(schema);
  CHECK(pg->job_get(h.dead).value().last_error->message == "bad\xEF\xBF\xBD byt");
  std::string letter;
  REQUIRE(pg->database()
              .read([&](pg::Tx& tx) {
                letter = tx.exec("SELECT error_message FROM dead_letters").text(0, 0);
                return Status::Ok();
              })
              .ok());
  CHECK(letter ==
        "a\xEF\xBF\xBD"
        "b\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("db copy: a SQLite table or column without a PostgreSQL twin stops the copy by name") {
  for (const char* change : {"ALTER TABLE jobs ADD COLUMN notes TEXT",
                             "CREATE TABLE scratch (id INTEGER PRIMARY KEY, body TEXT)"}) {
    CAPTURE(change);
    test::StoreFixture sqlite;
    populate(*sqlite.store);
    REQUIRE(sqlite.db
                ->write([&](Connection& c) {
                  c.db().exec(change);
                  return Status::Ok();
                })
                .ok());
    test::PgTestSchema schema;
    auto r = copy::copy_sqlite_to_postgres(to(sqlite.db->path(), schema.url()));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().cls == ErrorClass::invalid);
    CHECK(r.error().message.find("has no twin in PostgreSQL") != std::string::npos);
    const bool column = std::string(change).find("notes") != std::string::npos;
    CHECK(r.error().message.find(column ? "column jobs.notes" : "table scratch") !=
          std::string::npos);
    CHECK(pg_count(*pg_store(schema), "jobs") == 0);
  }
}
