// Moving bytes from one file descriptor to another with a SHA-256 of what was written, progress
// reports and cancellation: the one loop every export, package and backup step copies with.
// A source that stops producing bytes (a pipe, a stalled network file) does not block
// cancellation: reads wait in poll() slices of 200 ms and check `cancelled` between them; the
// stall itself shows as progress that stands still (the worker pool's stall detection).
// Thread safety: a free function; the callbacks run on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>

#include "core/error.h"
#include "export/sha256.h"

namespace hypersdk::exporter {

struct PumpHooks {
  // Called after each chunk with the bytes moved so far by this pump.
  std::function<void(std::uint64_t moved)> progress;
  // True when the work must stop; the pump returns an error of class cancelled.
  std::function<bool()> cancelled;
};

// Copies from `in` until end of file (or `limit` bytes when set), writing to `out` and
// feeding every hasher in `hashes` (null entries skipped). Returns the bytes moved. Errors:
// cancelled, internal (I/O, naming `what`).
Result<std::uint64_t> pump(int in, int out, std::initializer_list<Sha256*> hashes,
                           const PumpHooks& hooks, const std::string& what,
                           std::uint64_t limit = UINT64_MAX);

// Writes all of `data` to `out` (feeding `hash`). Errors: internal naming `what`.
Status write_all(int out, const void* data, std::size_t n, Sha256* hash, const std::string& what);

}  // namespace hypersdk::exporter
