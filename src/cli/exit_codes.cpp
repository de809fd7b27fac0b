#include "cli/exit_codes.h"

namespace hypersdk::cli {

int exit_code_for(ErrorClass cls) {
  switch (cls) {
    case ErrorClass::invalid:
      return kExitUsage;
    case ErrorClass::not_found:
      return kExitNotFound;
    case ErrorClass::conflict:
      return kExitConflict;
    case ErrorClass::unavailable:
    case ErrorClass::network:
    case ErrorClass::rate_limited:
      return kExitUnavailable;
    case ErrorClass::auth:
      return kExitAuth;
    case ErrorClass::timeout:
      return kExitTimeout;
    default:
      return kExitFailure;
  }
}

}  // namespace hypersdk::cli
