// Process exit codes of every hypersdk command (documented in the README).
#pragma once

#include "core/error.h"

namespace hypersdk::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,      // internal error, or a job/check that failed
  kExitUsage = 2,        // bad flags, bad input (class invalid)
  kExitNotFound = 3,     // no such job, schedule, dead letter
  kExitConflict = 4,     // wrong state for the action; database newer than this binary
  kExitUnavailable = 5,  // server unreachable, database busy, draining
  kExitAuth = 6,         // missing or wrong API token
  kExitTimeout = 7,
  kExitUnhealthy = 8,  // `health`: the service answered but is not healthy
};

int exit_code_for(ErrorClass cls);

}  // namespace hypersdk::cli
