#include "cli/pg_dump.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "ops/paths.h"
#include "ops/process.h"
#include "store/pg/pg_database.h"

namespace hypersdk::cli {

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decoded(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Removes "password=VALUE" (VALUE up to one of `end_chars` or the end) with one separator
// around it and returns VALUE; only a whole keyword (at the start, or after `separator` or
// the '?' that starts a query) counts.
std::string take_keyword(std::string& s, const char* end_chars, char separator) {
  std::string value;
  std::size_t from = 0;
  for (auto pos = s.find("password=", from); pos != std::string::npos;
       pos = s.find("password=", from)) {
    if (pos > 0 && s[pos - 1] != separator && s[pos - 1] != '?') {
      from = pos + 1;
      continue;
    }
    const auto v = pos + 9;
    auto end = s.find_first_of(end_chars, v);
    if (end == std::string::npos) end = s.size();
    value = s.substr(v, end - v);
    if (end < s.size())
      s.erase(pos, end + 1 - pos);  // with the separator after it
    else if (pos > 0)
      s.erase(pos - 1);  // the last one: with the separator (or '?') before it
    else
      s.erase(pos);
    from = pos > 0 ? pos - 1 : 0;
  }
  return value;
}

}  // namespace

PgDumpCall pg_dump_call(const std::string& url, const std::string& path) {
  std::string rest = url;
  std::string password;
  if (store::pg::is_postgres_url(rest)) {
    const auto start = rest.find("://") + 3;
    // user:password@ is in the authority, before the path or query (which may hold '@').
    const auto end = rest.find_first_of("/?", start);
    const auto at = rest.find('@', start);
    const auto colon = rest.find(':', start);
    if (at != std::string::npos && at < end && colon != std::string::npos && colon < at) {
      password = percent_decoded(rest.substr(colon + 1, at - colon - 1));
      rest.erase(colon, at - colon);
    }
    if (auto q = take_keyword(rest, "&", '&'); !q.empty()) password = percent_decoded(q);
  } else if (auto k = take_keyword(rest, " ", ' '); !k.empty()) {
    password = k;  // a conninfo value in quotes is not supported: put it in the URL instead
  }
  return {{"pg_dump", "--format=custom", "--no-password", "--file=" + path, "--dbname=" + rest},
          password};
}

Status pg_dump_to(const std::string& url, const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec))
    return make_error(ErrorClass::conflict, "backup target " + path + " already exists");
  // Created empty and private first: pg_dump opens it for writing (truncating, keeping the
  // mode), so the dump is never readable by others, not even while it is being written.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return make_error(errno == EEXIST ? ErrorClass::conflict : ErrorClass::unavailable,
                      "cannot create backup " + path + ": " + std::strerror(errno));
  ::close(fd);
  const PgDumpCall call = pg_dump_call(url, path);
  ops::SpawnOptions opts;
  opts.argv = call.argv;
  for (const auto& [k, v] : ops::environ_map()) opts.env[k] = v;
  if (!call.password.empty()) opts.env["PGPASSWORD"] = call.password;
  auto fail = [&](Error e) {
    std::filesystem::remove(path, ec);  // an empty or partial dump is no backup
    return Status(std::move(e));
  };
  auto child = ops::ChildProcess::spawn(opts);
  if (!child)
    return fail(make_error(
        ErrorClass::not_found,
        "cannot run pg_dump (" + child.error().message +
            "): `db backup` on PostgreSQL runs pg_dump from PATH; install the PostgreSQL client "
            "of the server's major version or newer (Debian: postgresql-client)"));
  child->close_stdout();
  std::string errors;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(child->stderr_fd(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (errors.size() < 16384) errors.append(buf, static_cast<std::size_t>(n));
  }
  const ops::ExitStatus st = child->wait();
  if (st.code == 0 && st.signal == 0) return Status::Ok();
  while (!errors.empty() && (errors.back() == '\n' || errors.back() == ' ')) errors.pop_back();
  // pg_dump names the database in its messages the way it got it: without the password.
  return fail(make_error(
      ErrorClass::unavailable,
      "pg_dump of " + store::pg::redact_url(url) + " failed (" +
          (st.signal ? "signal " + std::to_string(st.signal) : "exit " + std::to_string(st.code)) +
          ")" + (errors.empty() ? std::string() : ": " + errors)));
}

}  // namespace hypersdk::cli
