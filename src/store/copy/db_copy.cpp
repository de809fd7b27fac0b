#include "store/copy/db_copy.h"

#include <chrono>
#include <cstdio>
#include <map>

#include "store/copy/pg_target.h"
#include "store/copy/sqlite_source.h"

namespace hypersdk::store::copy {

namespace {

using Clock = std::chrono::steady_clock;

// Tables left behind, with the reason the report gives.
const std::map<std::string, std::string>& skipped_tables() {
  static const std::map<std::string, std::string> m = {
      {"servers",
       "rows of running serve processes, not history; each serve on PostgreSQL registers "
       "itself"},
      {"leader_lease", "which running serve leads; the nodes on PostgreSQL elect their own leader"},
  };
  return m;
}

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

// What to copy of one table: the target's column for each source column, in source order.
struct Plan {
  const SourceTable* source = nullptr;
  TargetTable target;
  std::vector<const TargetColumn*> columns;
};

// Matches the two schemas table by table and column by column.
Result<std::vector<Plan>> plan_copy(pg::Tx& tx, const std::vector<SourceTable>& tables) {
  const auto present = target_tables(tx);
  std::vector<Plan> plans;
  plans.reserve(tables.size());
  for (const auto& t : tables) {
    if (!present.count(t.name))
      return invalid_error("table " + t.name +
                           " of the SQLite database has no twin in PostgreSQL: the two schemas "
                           "differ (a migration missing from schema/pg/?)");
    Plan plan;
    plan.source = &t;
    plan.target = describe_target(tx, t.name);
    plans.push_back(std::move(plan));
  }
  // Pointers into plan.target are taken once `plans` no longer moves.
  for (auto& plan : plans) {
    for (const auto& c : plan.source->columns) {
      const TargetColumn* twin = plan.target.column(c);
      if (!twin)
        return invalid_error("column " + plan.source->name + "." + c +
                             " of the SQLite database has no twin in PostgreSQL: the two "
                             "schemas differ (a migration missing from schema/pg/?)");
      plan.columns.push_back(twin);
    }
    for (const auto& c : plan.target.columns) {
      bool copied = false;
      for (const auto* col : plan.columns) copied = copied || col == &c;
      if (!copied && c.not_null && !c.has_default)
        return invalid_error("column " + plan.target.name + "." + c.name +
                             " of PostgreSQL is NOT NULL without a default and has no twin in "
                             "the SQLite database: the two schemas differ");
    }
  }
  return plans;
}

// The target must hold nothing but what its migrations seeded: copying never merges.
Status refuse_unless_empty(pg::Tx& tx, const std::vector<Plan>& plans,
                           const std::set<std::string>& seeded, const std::string& where) {
  std::string held;
  for (const auto& plan : plans) {
    if (seeded.count(plan.target.name) || !target_has_rows(tx, plan.target.name)) continue;
    held += (held.empty() ? "" : ", ") + plan.target.name + " (" +
            std::to_string(target_count(tx, plan.target.name)) + " rows)";
  }
  if (held.empty()) return Status::Ok();
  return make_error(ErrorClass::conflict,
                    "the PostgreSQL database " + where + " already holds data: " + held +
                        ". db copy fills an empty database only and never merges; create a new "
                        "one (CREATE DATABASE ...) and copy into it");
}

}  // namespace

std::vector<std::string> count_mismatches(const std::vector<TableCount>& counts) {
  std::vector<std::string> out;
  for (const auto& c : counts)
    if (c.source != c.target)
      out.push_back(c.table + ": " + std::to_string(c.source) + " in SQLite, " +
                    std::to_string(c.target) + " in PostgreSQL");
  return out;
}

Result<CopyReport> copy_sqlite_to_postgres(const CopyOptions& opts) {
  const auto t0 = Clock::now();
  auto say = [&](const std::string& line) {
    if (opts.progress) opts.progress(line);
  };
  auto src = SqliteSource::open(opts.from);
  if (!src) return src.error();
  SqliteSource& source = **src;

  auto live = source.live_servers(opts.now_ms - opts.server_fresh_ms);
  if (!live) return live.error();
  if (!live->empty())
    return make_error(ErrorClass::conflict,
                      "a serve is running on " + opts.from + ": " + live->front() +
                          ". Stop it first: db copy reads a database nobody writes to, so "
                          "nothing written after the copy is lost");
  auto dangling = source.dangling_references();
  if (!dangling) return dangling.error();
  if (!dangling->empty()) {
    std::string list;
    for (const auto& d : *dangling) list += (list.empty() ? "" : "; ") + d;
    return invalid_error(opts.from +
                         " has rows whose foreign key names a row that does not exist (" + list +
                         "); PostgreSQL would refuse them");
  }
  auto all_tables = source.tables();
  if (!all_tables) return all_tables.error();
  auto sequences = source.sequences();
  if (!sequences) return sequences.error();

  CopyReport report;
  report.schema_version = source.schema_version();
  std::vector<SourceTable> tables;
  for (auto& t : *all_tables) {
    auto skip = skipped_tables().find(t.name);
    if (skip == skipped_tables().end()) {
      tables.push_back(std::move(t));
      continue;
    }
    report.skipped.push_back(t.name + " (" + skip->second + ")");
    say("skipping " + t.name + ": " + skip->second);
  }

  auto opened = pg::PgDatabase::open(opts.to);
  if (!opened) return opened.error();
  pg::PgDatabase& db = **opened;
  report.target = db.url_redacted();
  const auto seeded = seeded_tables();

  bool mismatch = false;
  Status s = db.write(
      [&](pg::Tx& tx) -> Status {
        // Runs again from the start if PostgreSQL asks for a retry: reset what it reports.
        report.counts.clear();
        report.mismatches.clear();
        report.rows = report.repaired = 0;
        mismatch = false;
        auto plans = plan_copy(tx, tables);
        if (!plans) return plans.error();
        // Nobody else writes these tables until the copy commits (a second copy waits, then
        // finds them full), and nobody waits forever on us or we on them.
        tx.exec("SET LOCAL lock_timeout = '10s'");
        std::string names;
        for (const auto& plan : *plans)
          names += (names.empty() ? "" : ", ") + quote_ident(plan.target.name);
        try {
          tx.exec("LOCK TABLE " + names + " IN EXCLUSIVE MODE");
        } catch (const pg::PgError& e) {
          if (e.sqlstate != "55P03") throw;
          return make_error(ErrorClass::unavailable,
                            "another session is writing to " + report.target +
                                " (its tables stayed locked for 10 s); stop it and try again");
        }
        if (Status e = refuse_unless_empty(tx, *plans, seeded, report.target); !e.ok()) return e;
        for (const auto& plan : *plans) {
          const auto t1 = Clock::now();
          const std::string& name = plan.target.name;
          auto n = source.count(name);
          if (!n) return n.error();
          if (seeded.count(name)) tx.exec("DELETE FROM " + quote_ident(name));
          BatchInsert insert(tx, name, plan.columns);
          Status scanned = source.scan(*plan.source, [&](std::vector<Cell>& row) {
            insert.add(row);
            return Status::Ok();
          });
          if (!scanned.ok()) return scanned;
          insert.flush();
          auto seq = sequences->find(name);
          for (const auto& c : plan.target.columns)
            reset_sequence(tx, name, c, seq == sequences->end() ? 0 : seq->second);
          report.rows += insert.rows();
          report.repaired += insert.repaired();
          report.counts.push_back({name, *n, target_count(tx, name)});
          say(name + ": " + std::to_string(insert.rows()) + " rows in " + seconds_text(since(t1)) +
              (insert.repaired() ? " (" + std::to_string(insert.repaired()) +
                                       " values with invalid UTF-8 repaired)"
                                 : ""));
        }
        report.mismatches = count_mismatches(report.counts);
        if (report.mismatches.empty()) return Status::Ok();
        mismatch = true;
        return make_error(ErrorClass::internal, "row counts differ");  // rolls back
      },
      pg::Isolation::read_committed);
  report.seconds = since(t0);
  if (mismatch) return report;
  if (!s.ok()) return s.error();
  return report;
}

}  // namespace hypersdk::store::copy
