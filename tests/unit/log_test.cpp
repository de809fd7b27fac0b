#include "ops/log.h"

#include <doctest/doctest.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using hypersdk::ops::LogFields;
using hypersdk::ops::LogFormat;
using hypersdk::ops::LogLevel;
using hypersdk::ops::LogOptions;
using hypersdk::ops::LogScope;
namespace ops = hypersdk::ops;
using ordered_json = nlohmann::ordered_json;

namespace {

// A temporary directory with a log file; logging goes back to the default (warn+, stderr,
// text) when the test ends.
struct LogFile {
  fs::path dir;
  fs::path path;

  explicit LogFile(LogFormat format = LogFormat::json, LogLevel level = LogLevel::debug) {
    std::string tmpl = (fs::temp_directory_path() / "hypersdk-log-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
    path = dir / "hypersdk.log";
    auto s = hypersdk::ops::log_init(LogOptions{level, format, path.string()});
    REQUIRE(s.ok());
  }
  ~LogFile() {
    (void)hypersdk::ops::log_init(LogOptions{LogLevel::warn, LogFormat::text, ""});
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  static std::vector<std::string> lines(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
  std::vector<std::string> lines() const { return lines(path); }
  std::vector<ordered_json> records() const {
    std::vector<ordered_json> out;
    for (const auto& l : lines()) out.push_back(ordered_json::parse(l));
    return out;
  }
};

}  // namespace

TEST_CASE("log: json line starts with timestamp, level, message and service name, in that order") {
  LogFile f;
  ops::log::info("job claimed", {{"job.id", "j-42"}, {"attempt", 2}});
  auto recs = f.records();
  REQUIRE(recs.size() == 1);
  std::vector<std::string> keys;
  for (auto it = recs[0].begin(); it != recs[0].end(); ++it) keys.push_back(it.key());
  CHECK(keys == std::vector<std::string>{"@timestamp", "log.level", "message", "service.name",
                                         "job.id", "attempt"});
  CHECK(recs[0]["log.level"] == "info");
  CHECK(recs[0]["message"] == "job claimed");
  CHECK(recs[0]["service.name"] == "hypersdk");
  CHECK(recs[0]["job.id"] == "j-42");
  CHECK(recs[0]["attempt"] == 2);
}

TEST_CASE("log: timestamp is RFC 3339 UTC with milliseconds") {
  LogFile f;
  ops::log::warn("tick");
  auto recs = f.records();
  REQUIRE(recs.size() == 1);
  const std::string ts = recs[0]["@timestamp"];
  CHECK(std::regex_match(ts, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)")));
}

TEST_CASE("log: json escapes quotes, backslashes, newlines, control characters and keeps unicode") {
  LogFile f;
  const std::string nasty = "say \"hi\"\\ \n{\"injected\":true}\r\t\x01\x1f\x7f end";
  const std::string unicode = "h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80 \xE6\x97\xA5\xE6\x9C\xAC";
  ops::log::error(nasty, {{"payload", nasty}, {"name", unicode}, {"key \"x\"\n", "v"}});
  auto lines = f.lines();
  REQUIRE(lines.size() == 1);  // the newline did not split the record
  auto rec = ordered_json::parse(lines[0]);
  CHECK(rec["message"] == nasty);
  CHECK(rec["payload"] == nasty);
  CHECK(rec["name"] == unicode);
  CHECK(rec["key \"x\"\n"] == "v");
  CHECK(rec.size() == 7);  // nothing injected
  CHECK(lines[0].find("\\u0001") != std::string::npos);
  CHECK(lines[0].find(unicode) != std::string::npos);  // UTF-8 written as is, not \u-escaped
}

TEST_CASE("log: invalid UTF-8 is replaced so the line stays valid JSON") {
  LogFile f;
  // Lone continuation byte, truncated sequence, overlong '/', UTF-16 surrogate, > U+10FFFF.
  ops::log::info("bad \x80 \xE2\x9C \xC0\xAF \xED\xA0\x80 \xF4\x90\x80\x80 ok",
                 {{"v", std::string("\xFF\xFE", 2)}});
  auto recs = f.records();  // parse() throws on invalid UTF-8
  REQUIRE(recs.size() == 1);
  const std::string msg = recs[0]["message"];
  CHECK(msg.rfind("bad \xEF\xBF\xBD ", 0) == 0);
  CHECK(msg.find("ok") != std::string::npos);
  CHECK(recs[0]["v"] == "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("log: field values keep their JSON types") {
  LogFile f;
  const std::size_t bytes = 1234567890123ULL;
  ops::log::info("types", {{"i", -7},
                           {"u", bytes},
                           {"d", 0.25},
                           {"b", true},
                           {"s", std::string("x")},
                           {"nan", std::nan("")}});
  auto rec = f.records().at(0);
  CHECK(rec["i"] == -7);
  CHECK(rec["u"] == 1234567890123LL);
  CHECK(rec["d"] == 0.25);
  CHECK(rec["b"] == true);
  CHECK(rec["s"] == "x");
  CHECK(rec["nan"].is_null());
}

TEST_CASE("log: level names are debug, info, warn and error, never warning") {
  LogFile f;
  ops::log::debug("d");
  ops::log::info("i");
  ops::log::warn("w");
  ops::log::error("e");
  auto recs = f.records();
  REQUIRE(recs.size() == 4);
  CHECK(recs[0]["log.level"] == "debug");
  CHECK(recs[1]["log.level"] == "info");
  CHECK(recs[2]["log.level"] == "warn");
  CHECK(recs[3]["log.level"] == "error");
  CHECK(hypersdk::ops::parse_log_level("warning") == LogLevel::warn);
  CHECK(hypersdk::ops::parse_log_level("info") == LogLevel::info);
  CHECK_FALSE(hypersdk::ops::parse_log_level("verbose").has_value());
  CHECK(hypersdk::ops::to_string(LogLevel::warn) == "warn");
  CHECK(hypersdk::ops::parse_log_format("auto") == LogFormat::automatic);
}

TEST_CASE("log: lines below the level are dropped and the level can change live") {
  LogFile f(LogFormat::json, LogLevel::warn);
  ops::log::info("dropped");
  ops::log::warn("kept");
  hypersdk::ops::log_set_level(LogLevel::debug);
  CHECK(hypersdk::ops::log_enabled(LogLevel::debug));
  ops::log::debug("now kept");
  hypersdk::ops::log_set_level(LogLevel::error);
  ops::log::warn("dropped again");
  auto recs = f.records();
  REQUIRE(recs.size() == 2);
  CHECK(recs[0]["message"] == "kept");
  CHECK(recs[1]["message"] == "now kept");
}

TEST_CASE("log: scope fields are on every line of their thread until the scope ends") {
  LogFile f;
  {
    LogScope request({{"http.request.id", "req-1"}});
    ops::log::info("outer");
    {
      LogScope job({{"job.id", "j-7"}});
      ops::log::info("inner", {{"step", "export"}});
      std::thread([] { ops::log::info("other thread"); }).join();
      // The context can be carried to another thread explicitly.
      std::thread([ctx = hypersdk::ops::log_context()] {
        LogScope carried(ctx);
        ops::log::info("carried");
      }).join();
    }
    ops::log::info("after inner");
  }
  ops::log::info("no scope");
  auto recs = f.records();
  REQUIRE(recs.size() == 6);
  CHECK(recs[0]["http.request.id"] == "req-1");
  CHECK_FALSE(recs[0].contains("job.id"));
  CHECK(recs[1]["http.request.id"] == "req-1");
  CHECK(recs[1]["job.id"] == "j-7");
  CHECK(recs[1]["step"] == "export");
  CHECK_FALSE(recs[2].contains("http.request.id"));
  CHECK(recs[3]["job.id"] == "j-7");
  CHECK(recs[3]["http.request.id"] == "req-1");
  CHECK_FALSE(recs[4].contains("job.id"));
  CHECK(recs[4]["http.request.id"] == "req-1");
  CHECK_FALSE(recs[5].contains("http.request.id"));
}

TEST_CASE("log: a field of the call overrides a scope field and fixed keys cannot be overwritten") {
  LogFile f;
  LogScope scope({{"job.id", "from-scope"}});
  ops::log::info("real message", {{"job.id", "from-call"}, {"message", "forged"}});
  auto lines = f.lines();
  REQUIRE(lines.size() == 1);
  auto rec = ordered_json::parse(lines[0]);
  CHECK(rec["job.id"] == "from-call");
  CHECK(rec["message"] == "real message");
  CHECK(rec["fields.message"] == "forged");
  // No duplicate keys in the raw line either.
  CHECK(lines[0].find("from-scope") == std::string::npos);
}

TEST_CASE("log: text format: timestamp, padded upper-case level, message, key=value") {
  LogFile f(LogFormat::text);
  ops::log::info("job claimed", {{"job.id", "j-1"}, {"attempt", 2}, {"note", "two words"}});
  ops::log::warn("multi\nline", {{"empty", ""}});
  auto lines = f.lines();
  REQUIRE(lines.size() == 2);
  CHECK(std::regex_match(
      lines[0],
      std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  job claimed job\.id=j-1 )"
                 R"(attempt=2 note="two words")")));
  CHECK(lines[1].find(" WARN  multi\\nline empty=\"\"") != std::string::npos);
}

TEST_CASE("log: reopen after rename writes to the new file") {
  LogFile f;
  ops::log::info("one");
  const fs::path rotated = f.dir / "hypersdk.log.1";
  fs::rename(f.path, rotated);
  ops::log::info("two");  // still the old file: its descriptor is open
  REQUIRE(hypersdk::ops::log_reopen().ok());
  ops::log::info("three");
  auto old_lines = LogFile::lines(rotated);
  auto new_lines = f.lines();
  REQUIRE(old_lines.size() == 2);
  REQUIRE(new_lines.size() == 1);
  CHECK(ordered_json::parse(old_lines[1])["message"] == "two");
  CHECK(ordered_json::parse(new_lines[0])["message"] == "three");
}

TEST_CASE("log: reopen while many threads log: no line lost, none split") {
  LogFile f;
  constexpr int kThreads = 4, kLines = 2000, kRotations = 10;
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &go] {
      while (!go) std::this_thread::yield();
      for (int i = 0; i < kLines; ++i)
        ops::log::info("line", {{"t", t}, {"i", i}, {"pad", std::string(100, 'x')}});
    });
  }
  go = true;
  std::vector<fs::path> files;
  for (int r = 0; r < kRotations; ++r) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const fs::path rotated = f.dir / ("hypersdk.log." + std::to_string(r));
    fs::rename(f.path, rotated);
    files.push_back(rotated);
    REQUIRE(hypersdk::ops::log_reopen().ok());
  }
  for (auto& th : threads) th.join();
  files.push_back(f.path);
  std::set<std::pair<int, int>> seen;
  std::size_t total = 0;
  for (const auto& p : files) {
    for (const auto& line : LogFile::lines(p)) {
      auto rec = ordered_json::parse(line);
      seen.insert({rec["t"].get<int>(), rec["i"].get<int>()});
      ++total;
    }
  }
  CHECK(total == kThreads * kLines);
  CHECK(seen.size() == kThreads * kLines);
}

TEST_CASE("log: log_init with an unopenable file fails and keeps the previous output") {
  LogFile f;
  auto s = hypersdk::ops::log_init(
      LogOptions{LogLevel::debug, LogFormat::json, (f.dir / "missing" / "x.log").string()});
  CHECK_FALSE(s.ok());
  ops::log::info("still here");
  CHECK(f.lines().size() == 1);
}

TEST_CASE("log: spdlog's default logger writes through the same escaping JSON output") {
  LogFile f;
  LogScope scope({{"job.id", "j-9"}});
  spdlog::warn("raw \"spdlog\" line {}\nsecond", 1);
  auto recs = f.records();
  REQUIRE(recs.size() == 1);
  CHECK(recs[0]["log.level"] == "warn");
  CHECK(recs[0]["message"] == "raw \"spdlog\" line 1\nsecond");
  CHECK(recs[0]["job.id"] == "j-9");
}
