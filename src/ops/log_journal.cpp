#include "ops/log_journal.h"

#include <sys/stat.h>
#include <unistd.h>

#include <charconv>

namespace hypersdk::ops {
namespace {

template <typename T>
bool parse_decimal(std::string_view s, T& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

bool stderr_is_journal(std::optional<std::string_view> journal_stream) {
  if (!journal_stream) return false;
  const auto colon = journal_stream->find(':');
  if (colon == std::string_view::npos) return false;
  unsigned long long dev = 0, ino = 0;
  if (!parse_decimal(journal_stream->substr(0, colon), dev) ||
      !parse_decimal(journal_stream->substr(colon + 1), ino))
    return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev &&
         static_cast<unsigned long long>(st.st_ino) == ino;
}

std::string_view syslog_prefix(LogLevel level) {
  switch (level) {
    case LogLevel::error:
      return "<3>";
    case LogLevel::warn:
      return "<4>";
    case LogLevel::info:
      return "<6>";
    case LogLevel::debug:
      return "<7>";
  }
  return "<6>";
}

}  // namespace hypersdk::ops
