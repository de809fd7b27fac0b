// glibc malloc settings for the long-running daemon (serve).
//
// glibc gives threads up to 8 arenas per core (16 here) as they first allocate; serve runs
// ~30 threads (HTTP pools, workers, scheduler, notifier), so an idle serve kept a dozen
// arenas with their own partly used heaps: 0.6-0.8 MB of its 23 MB idle RSS (issue 14 item
// 7). One arena per core (at least two) keeps allocations from contending on one lock while
// the per-thread caches (tcache) absorb most small allocations anyway.
//
// Thread safety: call before other threads exist (serve does, first thing).
#pragma once

namespace hypersdk::ops {

// Caps malloc's arenas at max(2, cores) unless MALLOC_ARENA_MAX or GLIBC_TUNABLES already
// says how (an operator's setting wins). Returns the cap set, or 0 when left alone.
int limit_malloc_arenas();

}  // namespace hypersdk::ops
