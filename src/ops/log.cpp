#include "ops/log.h"

// One file over the ~400-line aim on purpose: the escaper, the sink and the process-wide
// state are private to each other, and splitting them would only publish internals.

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>

#include <spdlog/logger.h>
#include <spdlog/sinks/sink.h>
#include <spdlog/spdlog.h>

#include "core/utf8.h"
#include "ops/log_journal.h"

namespace hypersdk::ops {
namespace {

using Clock = std::chrono::system_clock;

constexpr std::string_view kServiceName = "hypersdk";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// ---- rendering ----------------------------------------------------------------------------

using core::utf8_length;

// Appends s with control characters escaped and invalid UTF-8 replaced. With `json`, also
// escapes '"' and '\\' (the body of a JSON string); without, leaves them (text messages).
void append_escaped(std::string& out, std::string_view s, bool json) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t len = utf8_length(s, i);
      if (len == 0) {
        out += kReplacement;
        ++i;
      } else {
        out.append(s.substr(i, len));
        i += len;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out += json ? "\\\"" : "\"";
        break;
      case '\\':
        out += json ? "\\\\" : "\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  append_escaped(out, s, true);
  out += '"';
}

// Text values are bare unless they would be ambiguous: then quoted, JSON-escaped.
void append_text_value(std::string& out, std::string_view s) {
  bool quote = s.empty();
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F || c == '"' || c == '=' || c == '\\') quote = true;
  }
  if (quote) {
    append_json_string(out, s);
  } else {
    append_escaped(out, s, false);
  }
}

template <typename T>
void append_number(std::string& out, T v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? end : buf);
}

void append_value(std::string& out, const LogValue& value, bool json) {
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::string>) {
          json ? append_json_string(out, v) : append_text_value(out, v);
        } else if constexpr (std::is_same_v<V, bool>) {
          out += v ? "true" : "false";
        } else if constexpr (std::is_same_v<V, double>) {
          if (json && !std::isfinite(v)) {
            out += "null";  // JSON has no NaN or infinity
          } else {
            append_number(out, v);
          }
        } else {
          append_number(out, v);
        }
      },
      value.get());
}

void append_timestamp(std::string& out, Clock::time_point tp) {
  const auto ms = std::chrono::floor<std::chrono::milliseconds>(tp.time_since_epoch()).count();
  const auto secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  const auto milli = static_cast<int>(ms - static_cast<std::int64_t>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  const int n =
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, milli);
  out.append(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

bool is_fixed_key(std::string_view k) {
  return k == "@timestamp" || k == "log.level" || k == "message" || k == "service.name";
}

thread_local LogFields t_context;

// One line, '\n' included. Scope fields first, then the call's; a repeated key keeps the
// position of its first occurrence and the value of its last.
std::string render(bool json, LogLevel level, Clock::time_point tp, std::string_view message,
                   const LogFields* fields) {
  std::vector<std::pair<std::string, const LogValue*>> merged;
  auto add = [&](const LogFields& from) {
    for (const LogField& f : from) {
      std::string key = is_fixed_key(f.key) ? "fields." + f.key : f.key;
      bool replaced = false;
      for (auto& [k, v] : merged) {
        if (k == key) {
          v = &f.value;
          replaced = true;
          break;
        }
      }
      if (!replaced) merged.emplace_back(std::move(key), &f.value);
    }
  };
  add(t_context);
  if (fields != nullptr) add(*fields);

  std::string out;
  out.reserve(128 + message.size() + merged.size() * 32);
  if (json) {
    out += "{\"@timestamp\":\"";
    append_timestamp(out, tp);
    out += "\",\"log.level\":\"";
    out += to_string(level);
    out += "\",\"message\":";
    append_json_string(out, message);
    out += ",\"service.name\":";
    append_json_string(out, kServiceName);
    for (const auto& [k, v] : merged) {
      out += ',';
      append_json_string(out, k);
      out += ':';
      append_value(out, *v, true);
    }
    out += "}\n";
  } else {
    static constexpr std::string_view kLabels[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
    append_timestamp(out, tp);
    out += ' ';
    out += kLabels[static_cast<int>(level)];
    out += ' ';
    append_escaped(out, message, false);
    for (const auto& [k, v] : merged) {
      out += ' ';
      append_escaped(out, k, false);
      out += '=';
      append_value(out, *v, false);
    }
    out += '\n';
  }
  return out;
}

// ---- output -------------------------------------------------------------------------------

// Writes each record's payload (an already rendered line) with one write(2) to a descriptor:
// stderr, or a file opened with O_APPEND that reopen() can replace.
class LineSink final : public spdlog::sinks::sink {
 public:
  static std::shared_ptr<LineSink> for_stderr() {
    return std::shared_ptr<LineSink>(new LineSink(STDERR_FILENO, ""));
  }
  static Result<std::shared_ptr<LineSink>> for_file(const std::string& path) {
    const int fd = open_append(path);
    if (fd < 0) return open_error(path);
    return std::shared_ptr<LineSink>(new LineSink(fd, path));
  }
  ~LineSink() override {
    if (!path_.empty()) ::close(fd_);
  }

  void log(const spdlog::details::log_msg& msg) override {
    std::lock_guard lock(mu_);
    const char* p = msg.payload.data();
    std::size_t left = msg.payload.size();
    while (left > 0) {
      const ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw spdlog::spdlog_ex("hypersdk log write failed", errno);
      }
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  }
  void flush() override {}  // nothing is buffered
  void set_pattern(const std::string&) override {}
  void set_formatter(std::unique_ptr<spdlog::formatter>) override {}

  // The new file is opened before the lock is taken; the swap happens under the lock that
  // every write holds, so no line is split between files or lost.
  Status reopen() {
    if (path_.empty()) return Status::Ok();
    const int fd = open_append(path_);
    if (fd < 0) return open_error(path_);
    int old = -1;
    {
      std::lock_guard lock(mu_);
      old = fd_;
      fd_ = fd;
    }
    ::close(old);
    return Status::Ok();
  }

 private:
  LineSink(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  static int open_append(const std::string& path) {
    return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  }
  static Error open_error(const std::string& path) {
    return make_error(ErrorClass::invalid,
                      "cannot open log file " + path + ": " + std::strerror(errno));
  }

  std::mutex mu_;
  int fd_;  // GUARDED_BY(mu_)
  const std::string path_;
};

struct Output {
  std::shared_ptr<LineSink> sink;
  std::shared_ptr<spdlog::logger> logger;
  bool json = false;
  bool syslog_prefix = false;  // stderr is journald's stream (log_journal.h)
};

std::shared_ptr<const Output> make_output(std::shared_ptr<LineSink> sink, bool json,
                                          bool syslog_prefix = false) {
  auto logger = std::make_shared<spdlog::logger>("hypersdk", sink);
  logger->set_level(spdlog::level::trace);  // filtering is ours (Global::level)
  return std::make_shared<const Output>(
      Output{std::move(sink), std::move(logger), json, syslog_prefix});
}

struct Global {
  std::atomic<std::shared_ptr<const Output>> out;
  std::atomic<int> level{static_cast<int>(LogLevel::warn)};
  std::mutex config_mu;  // serializes log_init and log_reopen
};

// Never destroyed: threads may still log while static destructors run.
Global& global() {
  static Global* g = [] {
    auto* fresh = new Global;
    fresh->out.store(make_output(LineSink::for_stderr(), false));
    return fresh;
  }();
  return *g;
}

void emit(LogLevel level, Clock::time_point tp, std::string_view message, const LogFields* fields) {
  Global& g = global();
  if (static_cast<int>(level) < g.level.load(std::memory_order_relaxed)) return;
  const std::shared_ptr<const Output> out = g.out.load();
  std::string line = render(out->json, level, tp, message, fields);
  if (out->syslog_prefix) line.insert(0, syslog_prefix(level));
  out->logger->log(tp, spdlog::source_loc{}, spdlog::level::info, line);
}

// spdlog's default logger: lines logged with spdlog::info(...) get our format and escaping.
class BridgeSink final : public spdlog::sinks::sink {
 public:
  void log(const spdlog::details::log_msg& msg) override {
    LogLevel level = LogLevel::info;
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        level = LogLevel::debug;
        break;
      case spdlog::level::info:
        level = LogLevel::info;
        break;
      case spdlog::level::warn:
        level = LogLevel::warn;
        break;
      case spdlog::level::err:
      case spdlog::level::critical:
        level = LogLevel::error;
        break;
      default:
        return;
    }
    emit(level, msg.time, std::string_view(msg.payload.data(), msg.payload.size()), nullptr);
  }
  void flush() override {}
  void set_pattern(const std::string&) override {}
  void set_formatter(std::unique_ptr<spdlog::formatter>) override {}
};

}  // namespace

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
  }
  return "info";
}

std::optional<LogLevel> parse_log_level(std::string_view text) {
  if (text == "debug") return LogLevel::debug;
  if (text == "info") return LogLevel::info;
  if (text == "warn" || text == "warning") return LogLevel::warn;
  if (text == "error") return LogLevel::error;
  return std::nullopt;
}

std::string_view to_string(LogFormat format) {
  switch (format) {
    case LogFormat::automatic:
      return "auto";
    case LogFormat::json:
      return "json";
    case LogFormat::text:
      return "text";
  }
  return "auto";
}

std::optional<LogFormat> parse_log_format(std::string_view text) {
  if (text == "auto") return LogFormat::automatic;
  if (text == "json") return LogFormat::json;
  if (text == "text") return LogFormat::text;
  return std::nullopt;
}

Status log_init(const LogOptions& options) {
  Global& g = global();
  std::lock_guard lock(g.config_mu);
  std::shared_ptr<LineSink> sink;
  if (options.file.empty()) {
    sink = LineSink::for_stderr();
  } else {
    auto opened = LineSink::for_file(options.file);
    if (!opened) return opened.error();
    sink = std::move(opened.value());
  }
  bool json = options.format == LogFormat::json;
  if (options.format == LogFormat::automatic)
    json = !(options.file.empty() && ::isatty(STDERR_FILENO) == 1);
  const char* journal_stream = std::getenv("JOURNAL_STREAM");
  const bool prefix =
      options.file.empty() &&
      stderr_is_journal(journal_stream ? std::optional<std::string_view>(journal_stream)
                                       : std::nullopt);
  g.out.store(make_output(std::move(sink), json, prefix));
  g.level.store(static_cast<int>(options.level));

  static std::once_flag bridge_once;
  std::call_once(bridge_once, [] {
    auto bridge =
        std::make_shared<spdlog::logger>("hypersdk-bridge", std::make_shared<BridgeSink>());
    bridge->set_level(spdlog::level::trace);
    spdlog::set_default_logger(std::move(bridge));
  });
  return Status::Ok();
}

void log_set_level(LogLevel level) {
  global().level.store(static_cast<int>(level));
}

LogLevel log_level() {
  return static_cast<LogLevel>(global().level.load());
}

bool log_enabled(LogLevel level) {
  return static_cast<int>(level) >= global().level.load(std::memory_order_relaxed);
}

Status log_reopen() {
  Global& g = global();
  std::lock_guard lock(g.config_mu);
  return g.out.load()->sink->reopen();
}

LogFields log_context() {
  return t_context;
}

LogScope::LogScope(std::initializer_list<LogField> fields) : restore_size_(t_context.size()) {
  t_context.insert(t_context.end(), fields.begin(), fields.end());
}

LogScope::LogScope(LogFields fields) : restore_size_(t_context.size()) {
  for (LogField& f : fields) t_context.push_back(std::move(f));
}

LogScope::~LogScope() {
  t_context.erase(t_context.begin() + static_cast<std::ptrdiff_t>(restore_size_), t_context.end());
}

void log::write(LogLevel level, std::string_view message, const LogFields& fields) {
  if (!log_enabled(level)) return;
  emit(level, Clock::now(), message, &fields);
}

}  // namespace hypersdk::ops
