-- wrk script: every request submits one noop job (POST /api/v1/jobs), acknowledged by serve
-- only after its transaction committed.
wrk.method = "POST"
wrk.body = '{"type":"noop"}'
wrk.headers["Content-Type"] = "application/json"
