// Writing to the events table on PostgreSQL: the record of what happened (job.*, workflow.*,
// schedule.missed) that the notifier reads. The twins of detail::event_insert and
// detail::job_event (store/event_row.h, store/job_event.h), same payloads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/job.h"
#include "store/job_event.h"
#include "store/pg/pg_database.h"

namespace hypersdk::store::pg {

// Appends one event. REQUIRES: inside the write transaction of the change it reports.
void pg_event_insert(Tx& tx, std::string_view kind, std::string_view severity,
                     std::string_view subject, const std::string& payload_json, core::TimeMs now);

// Raises `kind` for job `id` as it is now in this transaction (payload and severity as
// detail::job_event). REQUIRES: inside the write transaction of the change.
void pg_job_event(Tx& tx, core::JobId id, std::string_view kind, core::TimeMs now,
                  detail::JobEventFacts facts = {});

// The same `kind` for many jobs in two statements (one read of their facts, one insert), in
// the order of `ids`: a batched claim's job.started events cost the same for 1 job or 100.
void pg_job_events(Tx& tx, const std::vector<core::JobId>& ids, std::string_view kind,
                   core::TimeMs now);

// One job event of a batch: the job, the kind and its facts.
struct PgJobEvent {
  core::JobId id = 0;
  std::string_view kind;  // a literal: it must outlive the call
  detail::JobEventFacts facts;
};

// Events of several kinds for several jobs in two statements, in the order given: a batch of
// completions raises job.completed, job.failed and job.cancelled at the cost of one. The
// facts are read as the jobs are now in this transaction. REQUIRES: inside the write.
void pg_job_events(Tx& tx, const std::vector<PgJobEvent>& events, core::TimeMs now);

}  // namespace hypersdk::store::pg
