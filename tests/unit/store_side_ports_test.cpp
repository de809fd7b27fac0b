// The store's side ports (store/backend.h: outbox, audit log, backup and upload records) on
// both drivers: a conformance file (tests/CMakeLists.txt HYPERSDK_PG_CONFORMANCE), so every case
// here runs on SQLite and, under tests/pg/with_pg.sh, on PostgreSQL.
#include <doctest/doctest.h>

#include "store_conformance.h"

namespace hypersdk {
namespace {

store::JobId enqueue_noop(test::ConformanceFixture& f, store::TimeMs now) {
  store::JobSpec s;
  s.type = "noop";
  auto job = f.store->job_enqueue(s, now);
  REQUIRE(job.ok());
  return job->id;
}

}  // namespace

TEST_CASE("audit: append, filter by time, actor and action, prune by age") {
  test::ConformanceFixture f;
  store::AuditLog& log = *f.backend->audit;
  auto add = [&](core::TimeMs at, const std::string& actor, const std::string& action) {
    store::AuditRecord r;
    r.entry.at = at;
    r.entry.actor = actor;
    r.entry.action = action;
    r.entry.subject = "j-1";
    r.request_id = action == "jobs.create" ? "req-" + std::to_string(at) : "";
    r.source = "api";
    REQUIRE(log.audit_append(r).ok());
  };
  add(1000, "ci", "jobs.create");
  add(2000, "ops", "jobs.cancel");
  add(3000, "ci", "jobs.cancel");
  auto all = log.audit_query({});
  REQUIRE(all.ok());
  REQUIRE(all->size() == 3);
  CHECK(all->front().entry.at == 3000);  // newest first
  CHECK(all->front().source == "api");
  CHECK(all->front().entry.details == "{}");
  CHECK(all->back().request_id == "req-1000");
  CHECK(all->front().request_id.empty());
  CHECK(log.audit_query({.actor = "ci"})->size() == 2);
  CHECK(log.audit_query({.since = 2000})->size() == 2);
  CHECK(log.audit_query({.since = 2000, .actor = "ci"})->size() == 1);
  CHECK(log.audit_query({.action = "jobs.cancel"})->size() == 2);
  CHECK(log.audit_query({.limit = 1})->size() == 1);
  auto pruned = log.audit_prune(2500);
  REQUIRE(pruned.ok());
  CHECK(*pruned == 2);
  CHECK(log.audit_query({})->size() == 1);
  // The schedule audit (emergency overrides only) does not list ordinary actions.
  auto overrides = f.store->audit_list(100);
  REQUIRE(overrides.ok());
  CHECK(overrides->empty());
}

TEST_CASE("upload ledger keeps an upload's parts until it finishes") {
  test::ConformanceFixture f;
  const store::JobId job = enqueue_noop(f, 1000);  // for the foreign key
  store::UploadStore& ledger = *f.backend->uploads;
  CHECK_FALSE(ledger.upload_get(job)->has_value());
  CHECK(ledger.upload_part_done(job, {1, 5, "\"e\"", "m"}).error().cls == ErrorClass::not_found);
  REQUIRE(ledger.upload_begin({job, "s3", "k", "/f", 100, 1, "up-1", 50, 1000, {}}).ok());
  REQUIRE(ledger.upload_part_done(job, {2, 50, "\"e2\"", "m2"}).ok());
  REQUIRE(ledger.upload_part_done(job, {1, 50, "\"e1\"", "m1"}).ok());
  REQUIRE(ledger.upload_part_done(job, {2, 50, "\"e2b\"", "m2b"}).ok());  // again: replaced
  auto got = ledger.upload_get(job);
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK((*got)->upload_id == "up-1");
  CHECK((*got)->part_size == 50);
  CHECK((*got)->file_size == 100);
  REQUIRE((*got)->parts.size() == 2);
  CHECK((*got)->parts[0].number == 1);
  CHECK((*got)->parts[1].etag == "\"e2b\"");
  // A new upload replaces the old one and its parts.
  REQUIRE(ledger.upload_begin({job, "s3", "k", "/f", 100, 1, "up-2", 50, 2000, {}}).ok());
  CHECK((*ledger.upload_get(job))->parts.empty());
  REQUIRE(ledger.upload_finish(job).ok());
  CHECK_FALSE(ledger.upload_get(job)->has_value());
}

TEST_CASE("backups: a full backup starts a chain, incrementals join it, deleted ones end it") {
  test::ConformanceFixture f;
  store::BackupStore& backups = *f.backend->backups;
  store::Backup full;
  full.vm = "web-1";
  full.provider = "local";
  full.kind = "full";
  full.path = "/b/1.qcow2";
  full.format = "qcow2";
  full.size_bytes = 100;
  full.sha256 = "aa";
  full.created_at = 1000;
  auto a = backups.insert(full);
  REQUIRE(a.ok());
  CHECK(a->chain_id == a->id);
  CHECK_FALSE(a->parent_id);
  store::Backup inc = full;
  inc.kind = "incremental";
  inc.parent_id = a->id;
  inc.path = "/b/2.qcow2";
  inc.created_at = 2000;
  auto b = backups.insert(inc);
  REQUIRE(b.ok());
  CHECK(b->chain_id == a->id);
  auto latest = backups.latest("web-1", "local");
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  CHECK((*latest)->id == b->id);
  CHECK_FALSE(backups.latest("web-1", "vsphere")->has_value());
  auto chain = backups.chain(b->id);
  REQUIRE(chain.ok());
  REQUIRE(chain->size() == 2);
  CHECK((*chain)[0].id == a->id);
  CHECK((*chain)[1].id == b->id);
  REQUIRE(backups.mark_verified(b->id, 3000).ok());
  CHECK(*backups.get(b->id)->verified_at == 3000);
  CHECK(backups.get(999).error().cls == ErrorClass::not_found);
  store::Backup orphan = inc;
  orphan.parent_id = 999;
  CHECK(backups.insert(orphan).error().cls == ErrorClass::not_found);

  REQUIRE(backups.mark_deleted({a->id}, 4000).ok());
  CHECK(backups.list("web-1", 10)->size() == 1);  // live ones only
  CHECK(backups.list("web-1", 10, true)->size() == 2);
  CHECK(backups.list("", 10, true)->front().id == b->id);  // newest first
  CHECK(backups.chain(b->id).error().cls == ErrorClass::conflict);
  store::Backup after = inc;
  after.parent_id = a->id;
  CHECK(backups.insert(after).error().cls == ErrorClass::conflict);
}

TEST_CASE("outbox: routing writes deliveries once, attempts are recorded, retry and prune") {
  test::ConformanceFixture f;
  store::Outbox& outbox = *f.backend->outbox;
  const store::JobId job = enqueue_noop(f, 1000);
  REQUIRE(f.store->job_cancel(job, 1500).ok());  // job.cancelled
  auto events = outbox.event_unrouted(10);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 1);
  CHECK((*events)[0].kind == "job.cancelled");
  const auto id = (*events)[0].id;
  REQUIRE(outbox.event_route({{id, {"a", "b"}}}, 2000).ok());
  REQUIRE(outbox.event_route({{id, {"a", "b", "c"}}}, 2001).ok());  // routed already
  CHECK(outbox.event_unrouted(10)->empty());
  auto due = outbox.delivery_due(2000, 10);
  REQUIRE(due.ok());
  REQUIRE(due->size() == 2);
  CHECK((*due)[0].payload.find("job.cancelled") != std::string::npos);
  const auto a = (*due)[0].id, b = (*due)[1].id;

  store::DeliveryOutcome retry{
      a, {1, 2000, 503, 12, "HTTP 503"}, store::DeliveryOutcome::Next::retry, 5000};
  REQUIRE(outbox.delivery_record(retry, 2000).ok());
  store::DeliveryOutcome failed{
      b, {1, 2000, 400, 9, "HTTP 400"}, store::DeliveryOutcome::Next::failed, 0};
  REQUIRE(outbox.delivery_record(failed, 2000).ok());
  CHECK(outbox.delivery_due(4999, 10)->empty());
  CHECK(*outbox.delivery_next_due() == 5000);
  REQUIRE(outbox.delivery_due(5000, 10)->size() == 1);
  store::DeliveryOutcome ok{a, {2, 5000, 200, 7, ""}, store::DeliveryOutcome::Next::delivered, 0};
  REQUIRE(outbox.delivery_record(ok, 5000).ok());

  auto got = outbox.delivery_get(a);
  REQUIRE(got.ok());
  CHECK(got->status == "delivered");
  CHECK(got->attempts == 2);
  REQUIRE(got->history.size() == 2);
  CHECK(got->history[0].http_status == 503);
  CHECK(got->history[1].http_status == 200);
  auto failed_list = outbox.delivery_list({"failed", "", "", 10});
  REQUIRE(failed_list->size() == 1);
  CHECK(failed_list->front().last_error == "HTTP 400");
  CHECK(outbox.delivery_list({"", "job.cancelled", "b", 10})->size() == 1);
  auto counts = outbox.delivery_counts();
  REQUIRE(counts.ok());
  CHECK(counts->size() == 2);  // a delivered, b failed

  CHECK(outbox.delivery_retry(a, 6000).error().cls == ErrorClass::conflict);
  CHECK(outbox.delivery_retry(999, 6000).error().cls == ErrorClass::not_found);
  auto again = outbox.delivery_retry(b, 6000);
  REQUIRE(again.ok());
  CHECK(again->status == "pending");
  CHECK(outbox.delivery_due(6000, 10)->size() == 1);

  // Prune: finished ones before the bound go with their attempts; pending ones stay, and so
  // does the event they need.
  CHECK(*outbox.delivery_prune(5001) == 1);
  CHECK_FALSE(outbox.delivery_get(a).ok());
  REQUIRE(outbox.delivery_get(b).ok());
  CHECK(*f.store->schedule_prune(1'000'000) == 0);
  CHECK(outbox.delivery_get(b).ok());

  // An event no state change carries (system.disk_low) is routed like the others.
  REQUIRE(outbox.event_raise("system.disk_low", "warning", "database", "{}", 7000).ok());
  auto raised = outbox.event_unrouted(10);
  REQUIRE(raised->size() == 1);
  CHECK(raised->front().kind == "system.disk_low");
  CHECK(raised->front().created_at == 7000);
  CHECK(*f.backend->event_last_id() == raised->front().id);
}

TEST_CASE("outbox: a batch routes each event once, in order, receivers or none") {
  test::ConformanceFixture f;
  store::Outbox& outbox = *f.backend->outbox;
  for (const char* kind : {"system.one", "system.two", "system.three"})
    REQUIRE(outbox.event_raise(kind, "info", "test", "{}", 1000).ok());
  auto events = outbox.event_unrouted(10).value();
  REQUIRE(events.size() == 3);
  const auto e1 = events[0].id, e2 = events[1].id, e3 = events[2].id;
  REQUIRE(outbox.event_route({{e1, {"x"}}}, 2000).ok());
  // e1 is routed already (nothing for "y"), e2 has no receiver but is routed all the same.
  REQUIRE(outbox.event_route({{e1, {"y"}}, {e2, {}}, {e3, {"b\"q", "a"}}}, 2000).ok());
  CHECK(outbox.event_unrouted(10)->empty());
  auto due = outbox.delivery_due(2000, 10).value();
  REQUIRE(due.size() == 3);
  CHECK(due[0].event_id == e1);
  CHECK(due[0].receiver == "x");
  CHECK(due[1].event_id == e3);
  CHECK(due[1].receiver == "b\"q");
  CHECK(due[1].event_kind == "system.three");
  CHECK(due[2].event_id == e3);
  CHECK(due[2].receiver == "a");
  CHECK(due[1].id < due[2].id);  // the batch's order
}

TEST_CASE("backend statistics: outcome counts, the oldest due job, workflows by status") {
  test::ConformanceFixture f;
  const store::JobId a = enqueue_noop(f, 1000);
  enqueue_noop(f, 2000);
  auto oldest = f.backend->job_oldest_due(5000);
  REQUIRE(oldest.ok());
  CHECK(*oldest == std::optional<core::TimeMs>(1000));
  CHECK_FALSE(*f.backend->job_oldest_due(500));
  REQUIRE(f.store->job_cancel(a, 3000).ok());
  auto counts = f.backend->job_outcome_counts(0);
  REQUIRE(counts.ok());
  REQUIRE(counts->size() == 1);
  CHECK(counts->front().type == "noop");
  CHECK(counts->front().cancelled == 1);
  CHECK(counts->front().succeeded == 0);
  CHECK(f.backend->workflow_count_by_status()->empty());
  auto version = f.backend->schema_version_read();
  REQUIRE(version.ok());
  CHECK(*version == f.backend->schema_version_wanted());
  CHECK_FALSE(f.backend->write_health().failing);
  REQUIRE(f.backend->probe_write(9000).ok());
  CHECK(f.backend->checkpoint().ok());
}

}  // namespace hypersdk
