// Internal to src/api: GET /api/v1/jobs/{id}/logs?follow=1 as Server-Sent Events.
//
//   event: log   id: <seq>   data: <log line JSON>      for every line after `after`
//   event: end               data: <job JSON>           once the job is terminal and every
//                                                       line was sent; then the stream ends
//   ": ping" comments every 15 s while idle, so a vanished client is noticed.
//
// The store is polled every 200 ms (lines may come from workers of another process). The
// stream also ends when the client disconnects or the server stops. A reconnecting client
// resumes with Last-Event-ID.
//
// Thread safety: the response body is produced on the request's HTTP thread.
#pragma once

#include <httplib.h>

#include <cstdint>

#include "core/job.h"

namespace hypersdk::api {

class ServerState;

// REQUIRES: the job exists. Sets a chunked text/event-stream body on `res`, or a 503 error
// when too many streams are open already.
void start_log_stream(ServerState& state, core::JobId id, std::int64_t after,
                      httplib::Response& res);

}  // namespace hypersdk::api
