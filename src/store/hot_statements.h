// The store's hot statements, by name: those run on every claim, tick or page, whose cost
// must not grow with the size of the jobs table. tests/unit/query_plan_test.cpp runs EXPLAIN
// QUERY PLAN on each against big tables (with and without ANALYZE statistics) and fails on a
// scan or a temporary B-tree where an index should serve. A new hot statement is added here
// by the file that owns it, and the test then demands an expectation for it.
#pragma once

#include <vector>

namespace hypersdk::store {

struct HotStatement {
  const char* name;  // "claim", "list.status", ...
  const char* sql;   // the very constant the store runs
};

std::vector<HotStatement> hot_statements();

namespace detail {
// Each SQLite store file appends its own hot statements.
void add_hot_job_statements(std::vector<HotStatement>& out);
void add_hot_admin_statements(std::vector<HotStatement>& out);
void add_hot_log_statements(std::vector<HotStatement>& out);
void add_hot_schedule_statements(std::vector<HotStatement>& out);  // and the two below
void add_hot_schedule_fire_statements(std::vector<HotStatement>& out);
}  // namespace detail

}  // namespace hypersdk::store
