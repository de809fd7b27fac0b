// Retention on an upload target (issue 12 item 4, "keep last N"): after an upload step put a
// VM's file on a target and checked the copy, the VM's older objects beside it are removed so
// that its newest `keep_last` remain, the one just made always among them.
// "The VM's objects beside it": keys in the same directory (prefix up to the last '/') whose
// file name starts with "<vm>-", as exports and backups name their files ("web-1-j-42.ova").
// Thread safety: pure function; apply_retention uses the Target on the calling thread.
#pragma once

#include <string>
#include <vector>

#include "targets/target.h"

namespace hypersdk::engine {

// The keys to remove, oldest first: newest by modification time (then key) are kept.
// REQUIRES: keep_last >= 1.
std::vector<std::string> retention_victims(const std::vector<targets::ObjectEntry>& objects,
                                           const std::string& just_made, const std::string& vm,
                                           int keep_last);

// Lists the directory of `just_made`, removes the victims. Returns the keys removed; an error
// (listing or a removal failed) names the key and keeps what was not yet removed.
Result<std::vector<std::string>> apply_retention(targets::Target& target,
                                                 const std::string& just_made,
                                                 const std::string& vm, int keep_last);

}  // namespace hypersdk::engine
