// journald's view of our stderr (DESIGN §11, README "Logs"). Under systemd, stderr is a
// stream to journald and systemd sets JOURNAL_STREAM=<device>:<inode> of that stream; a line
// that starts with "<N>" (sd-daemon(3)) is stored with syslog priority N and the prefix
// removed, so `journalctl -p err` / `-p warning` select by level.
// Thread safety: pure functions, except stderr_is_journal() which calls fstat(2).
#pragma once

#include <optional>
#include <string_view>

#include "ops/log.h"

namespace hypersdk::ops {

// True when `journal_stream` ("DEV:INO", from $JOURNAL_STREAM) names the file open as
// stderr: a process whose stderr was redirected elsewhere (a pipe, a file) must not prefix.
bool stderr_is_journal(std::optional<std::string_view> journal_stream);

// "<3>" error, "<4>" warn, "<6>" info, "<7>" debug (syslog LOG_ERR, LOG_WARNING, LOG_INFO,
// LOG_DEBUG).
std::string_view syslog_prefix(LogLevel level);

}  // namespace hypersdk::ops
