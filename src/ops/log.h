// Structured logging (DESIGN §11) on top of spdlog: one line per record, JSON lines for
// machines, a compact text form for people on a TTY.
//
//   ops::log::info("job claimed", {{"job.id", id}, {"attempt", 2}});
//   ops::LogScope scope({{"http.request.id", rid}});   // added to every line of this thread
//
// JSON line keys, in this order: "@timestamp" (RFC 3339 UTC, milliseconds), "log.level"
// (debug|info|warn|error), "message", "service.name" ("hypersdk"), then the thread's scope
// fields (outer scopes first), then the call's fields. A key given twice keeps the last value
// (a call's field overrides a scope's); a field named like one of the four fixed keys is
// written as "fields.<key>". Every string (message, keys, values) is escaped here, and
// invalid UTF-8 is replaced by U+FFFD, so a line is always one valid JSON object.
// Text form: `2026-11-27T23:30:00.123Z INFO  message key=value key="with space"`.
//
// Callers never pass secrets (tokens, passwords, webhook secrets, signed URLs) as a message
// or a field: nothing here can tell a secret from other text.
//
// Before log_init() the logger writes warn and above to stderr as text. log_init() also
// routes spdlog's default logger (spdlog::info(...) from anywhere) through the same output
// and format, so no unescaped line reaches the log.
//
// Thread safety: every function here may be called from any thread at any time, including
// concurrently with log_init(), log_set_level() and log_reopen(). A line is written with
// one write(2) under a lock: lines never interleave, and nothing is buffered in the process.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.h"

namespace hypersdk::ops {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };
std::string_view to_string(LogLevel level);                      // "debug" ... "error"
std::optional<LogLevel> parse_log_level(std::string_view text);  // also accepts "warning"

enum class LogFormat {
  automatic,  // text when writing to stderr and stderr is a TTY, else JSON
  json,
  text,
};
std::string_view to_string(LogFormat format);                      // "auto" | "json" | "text"
std::optional<LogFormat> parse_log_format(std::string_view text);  // "auto" | "json" | "text"

struct LogOptions {
  LogLevel level = LogLevel::info;
  LogFormat format = LogFormat::automatic;
  std::string file;  // append to this file; empty = stderr (stderr reaches journald under systemd)
};

// A field value: a string, an integer, a floating-point number or a boolean.
class LogValue {
 public:
  using Variant = std::variant<std::string, std::int64_t, double, bool>;

  LogValue(std::string v) : v_(std::move(v)) {}
  LogValue(std::string_view v) : v_(std::string(v)) {}
  LogValue(const char* v) : v_(std::string(v != nullptr ? v : "")) {}
  LogValue(bool v) : v_(v) {}
  LogValue(double v) : v_(v) {}
  // Any integer type; values above INT64_MAX wrap (callers do not log such values).
  template <std::integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, char>) LogValue(T v)
      : v_(static_cast<std::int64_t>(v)) {}

  const Variant& get() const { return v_; }

 private:
  Variant v_;
};

struct LogField {
  std::string key;
  LogValue value;
};
using LogFields = std::vector<LogField>;

// Configures the process-wide logger. On error (the file cannot be opened) the previous
// configuration stays in effect.
Status log_init(const LogOptions& options);

// Hot reload of the level (SIGHUP): takes effect for the next line of every thread.
void log_set_level(LogLevel level);
LogLevel log_level();
bool log_enabled(LogLevel level);

// SIGUSR1 / logrotate: opens the configured file path again and switches to it. Every line
// written before this returns is in the old file, every line after it in the new one. When
// the new file cannot be opened, logging stays on the old file and the error is returned.
// A no-op when logging to stderr.
Status log_reopen();

// The fields of the calling thread's live LogScopes, outer first: hand them to a LogScope on
// another thread to carry the context across (e.g. a request handled by a worker thread).
LogFields log_context();

// Adds fields to every line logged from this thread while it is alive.
// REQUIRES: scopes of one thread end in the reverse order of their creation (stack objects).
class LogScope {
 public:
  LogScope(std::initializer_list<LogField> fields);  // LogScope s({{"job.id", id}});
  explicit LogScope(LogFields fields);               // e.g. log_context() of another thread
  ~LogScope();
  LogScope(const LogScope&) = delete;
  LogScope& operator=(const LogScope&) = delete;

 private:
  std::size_t restore_size_;
};

namespace log {
void write(LogLevel level, std::string_view message, const LogFields& fields = {});
inline void debug(std::string_view message, const LogFields& fields = {}) {
  write(LogLevel::debug, message, fields);
}
inline void info(std::string_view message, const LogFields& fields = {}) {
  write(LogLevel::info, message, fields);
}
inline void warn(std::string_view message, const LogFields& fields = {}) {
  write(LogLevel::warn, message, fields);
}
inline void error(std::string_view message, const LogFields& fields = {}) {
  write(LogLevel::error, message, fields);
}
}  // namespace log

}  // namespace hypersdk::ops
