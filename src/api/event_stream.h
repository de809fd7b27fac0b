// Internal to src/api: GET /api/v1/events, the dashboard's live feed, as Server-Sent Events.
//
//   event: change      data: {"data_version": N, "events": [new stored events]}   id: last
//                      sent whenever anything in the database changed (any process)
//   event: heartbeat   data: {"at": ms}   after `heartbeat` without a change, so proxies keep
//                      the idle stream open and the page can show that it is live
//
// The store's data_version is polled every 250 ms; a client reloads what it shows on a
// change (coalescing them as it likes). The stream ends when the client disconnects or the
// server stops. A reconnecting client resumes the events after Last-Event-ID.
//
// Thread safety: the response body is produced on the request's HTTP thread.
#pragma once

#include <httplib.h>

#include <chrono>

namespace hypersdk::api {

class ServerState;

// Sets a chunked text/event-stream body on `res`, or a 503 error when too many streams are
// open already.
void start_event_stream(ServerState& state, std::chrono::seconds heartbeat,
                        const httplib::Request& req, httplib::Response& res);

}  // namespace hypersdk::api
