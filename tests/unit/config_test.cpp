#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>
#include <limits>
#include <set>

#include "ops/config.h"
#include "ops/config_schema.h"
#include "ops/paths.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using hypersdk::test::TempDir;
using namespace hypersdk::ops;

namespace {

// A sandbox for discovery: its own working dir, HOME and system config dir.
struct Sandbox {
  TempDir dir;
  fs::path cwd = dir.path() / "cwd";
  fs::path home = dir.path() / "home";
  fs::path etc = dir.path() / "etc";

  Sandbox() {
    fs::create_directories(cwd);
    fs::create_directories(home);
    fs::create_directories(etc);
  }
  LoadOptions options() const {
    LoadOptions o;
    o.working_dir = cwd;
    o.system_dir = etc;
    o.env = {{"HOME", home.string()}};
    return o;
  }
  fs::path write(const fs::path& path, const std::string& text) const {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path;
  }
  // Loads `yaml` given as --config.
  hypersdk::Result<LoadedConfig> load(const std::string& yaml, EnvMap env = {}) const {
    LoadOptions o = options();
    o.path = write(dir.path() / "c.yaml", yaml);
    for (auto& [k, v] : env) o.env[k] = v;
    return load_config(o);
  }
  std::string cfg() const { return (dir.path() / "c.yaml").string(); }
};

std::string load_error(const Sandbox& s, const std::string& yaml, EnvMap env = {}) {
  auto r = s.load(yaml, std::move(env));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().cls == hypersdk::ErrorClass::invalid);
  return r.error().message;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("schema: every default is a valid value and names are unique") {
  std::set<std::string_view> names;
  for (const auto& spec : config_schema()) {
    CHECK_MESSAGE(names.insert(spec.name).second, spec.name);
    CHECK_FALSE(spec.help.empty());
  }
  for (const auto& alias : config_aliases()) {
    CHECK(find_key(alias.new_name) != nullptr);
    CHECK(find_key(alias.old_name) == nullptr);
  }
  Config c;  // throws when a default does not convert
  CHECK(c.get_int("workers.count") == 4);
  CHECK(c.get_string("db.synchronous") == "FULL");
  CHECK(c.get_duration("retention.finished_jobs") == std::chrono::hours(24 * 30));
  CHECK(c.get_list("retry.retry_on").size() == 6);
  CHECK(c.get_node("jobs.exec.exit_codes")["75"].as<std::string>() == "transient");
  CHECK(c.source("workers.count").to_string() == "default");
}

TEST_CASE("durations parse and format in every unit") {
  CHECK(parse_duration("250ms") == 250ms);
  CHECK(parse_duration("30s") == 30s);
  CHECK(parse_duration("5m") == 5min);
  CHECK(parse_duration("1h30m") == 90min);
  CHECK(parse_duration("7d") == std::chrono::hours(168));
  CHECK(parse_duration("0") == 0ms);
  for (const char* bad : {"", "30", "soon", "5 m", "-5s", "1y", "s"})
    CHECK_MESSAGE(!parse_duration(bad), bad);
  CHECK(format_duration(90min) == "90m");
  CHECK(format_duration(std::chrono::hours(168)) == "7d");
  CHECK(format_duration(1500ms) == "1500ms");
  CHECK(format_duration(0ms) == "0s");
}

TEST_CASE("no config file anywhere means all defaults") {
  Sandbox s;
  auto r = load_config(s.options());
  REQUIRE(r.ok());
  CHECK_FALSE(r->config.file());
  CHECK(r->warnings.empty());
  CHECK(r->config.get_string("api.listen") == "127.0.0.1:8080");
}

TEST_CASE("discovery: --config, HYPERSDK_CONFIG, ./hypersdk.yaml, XDG, /etc in that order") {
  Sandbox s;
  const fs::path xdg = s.dir.path() / "xdg";
  auto explicit_file = s.write(s.dir.path() / "explicit.yaml", "workers: {count: 1}\n");
  auto env_file = s.write(s.dir.path() / "env.yaml", "workers: {count: 2}\n");
  auto cwd_file = s.write(s.cwd / "hypersdk.yaml", "workers: {count: 3}\n");
  auto xdg_file = s.write(xdg / "hypersdk" / "config.yaml", "workers: {count: 5}\n");
  auto home_file =
      s.write(s.home / ".config" / "hypersdk" / "config.yaml", "workers: {count: 6}\n");
  auto etc_file = s.write(s.etc / "config.yaml", "workers: {count: 7}\n");

  LoadOptions o = s.options();
  o.path = explicit_file;
  o.env["HYPERSDK_CONFIG"] = env_file.string();
  o.env["XDG_CONFIG_HOME"] = xdg.string();
  auto count = [&] {
    auto r = load_config(o);
    REQUIRE(r.ok());
    return r->config.get_int("workers.count");
  };
  CHECK(count() == 1);
  o.path.reset();
  CHECK(count() == 2);
  o.env.erase("HYPERSDK_CONFIG");
  CHECK(count() == 3);
  fs::remove(cwd_file);
  CHECK(count() == 5);
  o.env.erase("XDG_CONFIG_HOME");  // falls back to ~/.config
  CHECK(count() == 6);
  fs::remove(home_file);
  auto r = load_config(o);
  REQUIRE(r.ok());
  CHECK(r->config.get_int("workers.count") == 7);
  CHECK(r->config.file() == etc_file);
  CHECK(config_search_path(o).size() == 3);
}

TEST_CASE("an explicit config path that does not exist is an error") {
  Sandbox s;
  LoadOptions o = s.options();
  o.path = s.dir.path() / "missing.yaml";
  auto r = load_config(o);
  REQUIRE_FALSE(r.ok());
  CHECK(contains(r.error().message,
                 "missing.yaml: error: config file does not exist (from --config)"));

  o.path.reset();
  o.env["HYPERSDK_CONFIG"] = (s.dir.path() / "gone.yaml").string();
  r = load_config(o);
  REQUIRE_FALSE(r.ok());
  CHECK(contains(r.error().message, "(from HYPERSDK_CONFIG)"));
}

TEST_CASE("precedence: defaults < file < env < flags, each with its source") {
  Sandbox s;
  auto r =
      s.load("# comment\nworkers:\n  count: 8\n  claim_batch: 16\napi:\n  listen: 127.0.0.1:9000\n",
             {{"HYPERSDK_WORKERS__CLAIM_BATCH", "32"}, {"HYPERSDK_API__LISTEN", "127.0.0.1:9100"}});
  REQUIRE(r.ok());
  Config& c = r->config;
  CHECK(c.get_duration("workers.lease_ttl") == 30s);
  CHECK(c.source("workers.lease_ttl").to_string() == "default");
  CHECK(c.get_int("workers.count") == 8);
  CHECK(c.source("workers.count").to_string() == s.cfg() + ":3");
  CHECK(c.get_int("workers.claim_batch") == 32);
  CHECK(c.source("workers.claim_batch").to_string() == "env HYPERSDK_WORKERS__CLAIM_BATCH");

  REQUIRE(c.set_override("api.listen", "0.0.0.0:9200", "--listen").ok());
  CHECK(c.get_string("api.listen") == "0.0.0.0:9200");
  CHECK(c.source("api.listen").to_string() == "flag --listen");

  auto entries = c.entries();
  REQUIRE(entries.size() == config_schema().size());
  auto it = std::find_if(entries.begin(), entries.end(),
                         [](const auto& e) { return e.key == "workers.count"; });
  REQUIRE(it != entries.end());
  CHECK(it->value == "8");
  CHECK(it->source.kind == SourceKind::file);
}

TEST_CASE("env overrides convert text to the key's type") {
  Sandbox s;
  auto r = s.load("", {{"HYPERSDK_JOBS__EXEC__ENABLED", "true"},
                       {"HYPERSDK_DB__SYNCHRONOUS", "normal"},
                       {"HYPERSDK_RETRY__BASE", "250ms"},
                       {"HYPERSDK_RETRY__RETRY_ON", "transient, timeout"},
                       {"HYPERSDK_JOBS__EXEC__EXIT_CODES", "{75: transient, 69: unavailable}"}});
  REQUIRE(r.ok());
  const Config& c = r->config;
  CHECK(c.get_bool("jobs.exec.enabled"));
  CHECK(c.source("jobs.exec.enabled").to_string() == "env HYPERSDK_JOBS__EXEC__ENABLED");
  CHECK(c.get_string("db.synchronous") == "NORMAL");
  CHECK(c.get_duration("retry.base") == 250ms);
  CHECK(c.get_list("retry.retry_on") == std::vector<std::string>{"transient", "timeout"});
  CHECK(c.get_node("jobs.exec.exit_codes")["69"].as<std::string>() == "unavailable");
  CHECK(env_var_for("jobs.exec.enabled") == "HYPERSDK_JOBS__EXEC__ENABLED");
}

TEST_CASE("unknown HYPERSDK_ env keys are reported with a suggestion") {
  Sandbox s;
  auto msg = load_error(s, "", {{"HYPERSDK_WORKERS__COUTN", "4"}, {"HYPERSDK_CONFIG_X", ""}});
  CHECK(contains(msg,
                 "env HYPERSDK_WORKERS__COUTN: error: unknown key 'workers.coutn'; did you "
                 "mean HYPERSDK_WORKERS__COUNT ('workers.count')?"));

  // Without "__" a variable may be something else (HYPERSDK_BIN): ignored, unless it looks
  // like a misspelled override (a warning). HYPERSDK_CONFIG and variables named by env:
  // secret references are never reported.
  auto r = s.load("api:\n  tokens:\n    - {name: ci, token: 'env:HYPERSDK_CI_TOKEN', role: read}\n",
                  {{"HYPERSDK_WORKERS_COUNT", "4"},
                   {"HYPERSDK_CI_TOKEN", "t0k"},
                   {"HYPERSDK_BIN", "/usr/bin/hypersdk"}});
  REQUIRE(r.ok());
  REQUIRE(r->warnings.size() == 1);
  CHECK(r->warnings[0].to_string() ==
        "env HYPERSDK_WORKERS_COUNT: warning: HYPERSDK_WORKERS_COUNT is not a config key "
        "(overrides are named HYPERSDK_SECTION__KEY); did you mean HYPERSDK_WORKERS__COUNT?");
  CHECK(r->config.get_int("workers.count") == 4);
}

TEST_CASE("an unknown key is an error with file:line:col and a suggestion") {
  Sandbox s;
  auto msg = load_error(s, "db:\n  path: /tmp/x.db\nworkers:\n  cout: 4\n");
  CHECK(msg == s.cfg() + ":4:3: error: unknown key 'workers.cout'; did you mean 'workers.count'?");

  // A key in the wrong section, a misspelled section, and one beyond recognition.
  msg = load_error(s, "count: 4\nworker:\n  count: 4\nzzzzzz: 1\n");
  CHECK(contains(msg, ":1:1: error: unknown key 'count'; did you mean 'workers.count'?"));
  CHECK(contains(msg, ":2:1: error: unknown key 'worker'; did you mean 'workers'?"));
  CHECK(msg.ends_with(":4:1: error: unknown key 'zzzzzz'"));
}

TEST_CASE("duplicate keys are errors although yaml-cpp keeps the first silently") {
  Sandbox s;
  auto msg = load_error(s, "workers:\n  count: 4\n  count: 5\n");
  CHECK(msg == s.cfg() + ":3:3: error: duplicate key 'workers.count' (first on line 2)");

  msg = load_error(s, "workers:\n  count: 4\nworkers.count: 5\n");
  CHECK(contains(msg, ":3:1: error: duplicate key 'workers.count' (first on line 2)"));

  msg = load_error(s, "log: {level: info}\nlog: {level: debug}\n");
  CHECK(contains(msg, ":2:1: error: duplicate key 'log' (first on line 1)"));
}

TEST_CASE("every diagnostic is collected: types, enums, durations, bounds, shapes") {
  Sandbox s;
  auto msg = load_error(s,
                        "workers:\n"
                        "  count: four\n"
                        "  lease_ttl: 100ms\n"
                        "db:\n"
                        "  synchronous: fast\n"
                        "  busy_timeout: soon\n"
                        "  backup_before_migrate: maybe\n"
                        "retry:\n"
                        "  retry_on: [transient, bogus]\n"
                        "api:\n"
                        "  listen: localhost\n"
                        "  rate_limit: 5\n");
  const std::string f = s.cfg();
  CHECK(contains(msg, f + ":2:10: error: workers.count: expected an integer, got 'four'"));
  CHECK(contains(msg, f + ":3:14: error: workers.lease_ttl: must be at least 1s, got '100ms'"));
  CHECK(
      contains(msg, f + ":5:16: error: db.synchronous: expected one of FULL, NORMAL, got 'fast'"));
  CHECK(contains(msg, f + ":6:17: error: db.busy_timeout: expected a duration such as 250ms, 30s, "
                          "5m, 1h or 7d, got 'soon'"));
  CHECK(contains(msg, "db.backup_before_migrate: expected true or false, got 'maybe'"));
  CHECK(contains(msg, f + ":9:25: error: retry.retry_on: unknown error class 'bogus'"));
  CHECK(contains(msg, "api.listen: expected HOST:PORT"));
  CHECK(contains(msg, f + ":12:15: error: api.rate_limit: expected a section of settings"));
  CHECK(std::count(msg.begin(), msg.end(), '\n') == 7);  // eight lines, one per problem
}

TEST_CASE("structured keys are checked: tokens, exit codes, holidays") {
  Sandbox s;
  auto msg = load_error(s,
                        "api:\n"
                        "  tokens:\n"
                        "    - {name: a, token: x, role: root}\n"
                        "    - {name: a, token: y, role: read, scope: all}\n"
                        "jobs:\n"
                        "  exec:\n"
                        "    exit_codes: {0: transient, 3: flaky}\n"
                        "holidays:\n"
                        "  us: {dates: [2026-02-30], icz: x.ics}\n");
  CHECK(contains(msg, "api.tokens: role: expected one of read, operate, admin, got 'root'"));
  CHECK(contains(msg, "api.tokens: unknown field 'scope'"));
  CHECK(contains(msg, "api.tokens: duplicate token name 'a'"));
  CHECK(contains(msg, "jobs.exec.exit_codes: exit code must be 1..255"));
  CHECK(contains(msg, "jobs.exec.exit_codes: unknown error class 'flaky'"));
  CHECK(contains(msg, ":9:16: error: holidays.us: expected a date YYYY-MM-DD, got '2026-02-30'"));
  CHECK(contains(msg, "holidays.us: unknown field 'icz' (expected dates, ics)"));

  auto r = s.load("holidays:\n  us: {dates: [2026-12-25], ics: /x.ics}\n");
  REQUIRE(r.ok());
  CHECK(r->config.get_node("holidays")["us"]["dates"][0].as<std::string>() == "2026-12-25");
}

TEST_CASE("YAML syntax errors report their line") {
  Sandbox s;
  auto msg = load_error(s, "workers:\n  count: 4\n  claim_batch: [1, 2\n");
  CHECK(msg.starts_with(s.cfg() + ":"));
  CHECK(contains(msg, "error: YAML syntax error"));
  CHECK_FALSE(msg.starts_with(s.cfg() + ": error"));  // has a line number

  msg = load_error(s, "- just\n- a list\n");
  CHECK(contains(msg, "expected a mapping of settings at the top level"));
}

TEST_CASE("a renamed key warns with the fix and its value moves to the new key") {
  Sandbox s;
  auto r = s.load("workers:\n  pool_size: 12\n");
  REQUIRE(r.ok());
  CHECK(r->config.get_int("workers.count") == 12);
  CHECK(r->config.source("workers.count").to_string() == s.cfg() + ":2");
  REQUIRE(r->warnings.size() == 1);
  CHECK(r->warnings[0].severity == Severity::warning);
  CHECK(r->warnings[0].to_string() ==
        s.cfg() +
            ":2:3: warning: 'workers.pool_size' is deprecated (renamed in 0.1); "
            "rename workers.pool_size to workers.count");

  auto msg = load_error(s, "workers:\n  pool_size: 12\n  count: 4\n");
  CHECK(contains(msg,
                 ":3:3: error: 'workers.count' and 'workers.pool_size' (line 2) both set "
                 "workers.count; keep only workers.count"));
  // The error message lists warnings too.
  CHECK(contains(msg, ":2:3: warning: 'workers.pool_size' is deprecated"));

  r = s.load("", {{"HYPERSDK_WORKERS__POOL_SIZE", "9"}});
  REQUIRE(r.ok());
  CHECK(r->config.get_int("workers.count") == 9);
  REQUIRE(r->warnings.size() == 1);
  CHECK(contains(r->warnings[0].message,
                 "rename HYPERSDK_WORKERS__POOL_SIZE to HYPERSDK_WORKERS__COUNT"));

  Config c;
  REQUIRE(c.set_override("workers.pool_size", "2", "--workers").ok());
  CHECK(c.get_int("workers.count") == 2);
}

TEST_CASE("flags are validated like the file") {
  Config c;
  auto st = c.set_override("workers.count", "many", "--workers");
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message == "--workers: workers.count: expected an integer, got 'many'");
  CHECK(c.get_int("workers.count") == 4);
  st = c.set_override("workers.cont", "2", "--set");
  REQUIRE_FALSE(st.ok());
  CHECK(contains(st.error().message, "did you mean 'workers.count'?"));
  CHECK_THROWS_AS(c.get_int("api.listen"), std::logic_error);
  CHECK_THROWS_AS(c.get_string("no.such.key"), std::logic_error);
}

TEST_CASE("cross-key checks: TLS pair, retry cap below base") {
  Sandbox s;
  auto msg = load_error(s, "api:\n  tls:\n    cert: /c.pem\nretry:\n  base: 1m\n  cap: 30s\n");
  CHECK(contains(msg, s.cfg() + ":3: error: api.tls.cert and api.tls.key must be set together"));
  CHECK(contains(msg, s.cfg() + ":6: error: retry.cap (30s) is shorter than retry.base (1m)"));
}

TEST_CASE("secrets are redacted in entries and JSON, references stay visible") {
  Sandbox s;
  auto r = s.load(
      "api:\n  tokens:\n"
      "    - {name: ci, token: s3cret-literal, role: operate}\n"
      "    - {name: ops, token: 'env:OPS_TOKEN', role: admin}\n",
      {{"OPS_TOKEN", "abc"}});
  REQUIRE(r.ok());
  const Config& c = r->config;
  auto j = c.to_json(true);
  CHECK(j["api"]["tokens"][0]["token"] == "***");
  CHECK(j["api"]["tokens"][0]["name"] == "ci");
  CHECK(j["api"]["tokens"][1]["token"] == "env:OPS_TOKEN");
  CHECK(j["workers"]["count"] == 4);
  CHECK(j["db"]["busy_timeout"] == "5s");
  CHECK(j["jobs"]["exec"]["enabled"] == false);
  CHECK(j["retry"]["retry_on"].size() == 6);
  CHECK(c.to_json(false)["api"]["tokens"][0]["token"] == "s3cret-literal");
  CHECK_FALSE(contains(j.dump(), "s3cret"));

  for (const auto& e : c.entries()) {
    CHECK_FALSE(contains(e.value, "s3cret"));
    if (e.key == "api.tokens") {
      CHECK(e.secret);
      CHECK(contains(e.value, "***"));
    }
  }
  // The get_node copy is the caller's: changing it does not change the Config.
  YAML::Node tokens = c.get_node("api.tokens");
  tokens[0]["token"] = "changed";
  CHECK(c.get_node("api.tokens")[0]["token"].as<std::string>() == "s3cret-literal");
}

TEST_CASE("resolve_secret reads env:, file: and literals, and warns on loose file modes") {
  TempDir dir;
  EnvMap env{{"API_TOKEN", "from-env"}};
  CHECK(resolve_secret("literal", env).value() == "literal");
  CHECK(resolve_secret("env:API_TOKEN", env).value() == "from-env");
  auto missing = resolve_secret("env:NOPE", env);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message == "secret env:NOPE: environment variable is not set");

  const std::string path = dir.file("token");
  std::ofstream(path) << "from-file\n";
  ::chmod(path.c_str(), 0600);
  std::vector<Diagnostic> warnings;
  CHECK(resolve_secret("file:" + path, env, &warnings).value() == "from-file");
  CHECK(warnings.empty());
  ::chmod(path.c_str(), 0644);
  CHECK(resolve_secret("file:" + path, env, &warnings).value() == "from-file");
  REQUIRE(warnings.size() == 1);
  CHECK(contains(warnings[0].message, "readable by group or others (mode 0644)"));
  CHECK_FALSE(resolve_secret("file:" + dir.file("absent"), env).ok());
}

TEST_CASE("load warns about secrets that do not resolve or sit in a readable file") {
  Sandbox s;
  const std::string yaml =
      "api:\n  tokens:\n    - {name: a, token: 'env:MISSING_TOKEN', role: read}\n"
      "    - {name: b, token: literal, role: read}\n";
  auto warnings_of = [&] {
    auto r = s.load(yaml);
    REQUIRE(r.ok());
    std::string all;
    for (const auto& w : r->warnings) all += w.to_string() + "\n";
    return all;
  };
  CHECK(s.load(yaml).ok());  // creates the file
  ::chmod(s.cfg().c_str(), 0600);
  std::string all = warnings_of();
  CHECK(contains(all, s.cfg() + ":2: warning: api.tokens: secret env:MISSING_TOKEN: environment "
                                "variable is not set"));
  CHECK_FALSE(contains(all, "holds literal secrets"));
  ::chmod(s.cfg().c_str(), 0644);
  CHECK(contains(warnings_of(), "holds literal secrets and is readable by group or others"));
}

TEST_CASE("default database path: state dir for root, XDG data dir for a user") {
  TempDir dir;
  const fs::path state = dir.path() / "state";
  EnvMap env{{"HOME", "/home/ann"}};
  CHECK(default_db_path(env, 0, state) == state / "hypersdk.db");
  // uid 4242424 has no passwd entry, so it is an ordinary user.
  CHECK(default_db_path(env, 4242424, state) == "/home/ann/.local/share/hypersdk/hypersdk.db");
  env["XDG_DATA_HOME"] = "/data/ann";
  CHECK(default_db_path(env, 4242424, state) == "/data/ann/hypersdk/hypersdk.db");
  env["XDG_DATA_HOME"] = "relative/ignored";
  CHECK(default_db_path(env, 4242424, state) == "/home/ann/.local/share/hypersdk/hypersdk.db");

  CHECK(resolve_db_path("/srv/q.db", env, 4242424) == "/srv/q.db");
  CHECK(resolve_db_path("~/q.db", env, 4242424) == "/home/ann/q.db");
  CHECK(resolve_db_path("", env, 0) == fs::path(kStateDir) / "hypersdk.db");
}

TEST_CASE("ensure_parent_dir creates missing directories with mode 0700") {
  TempDir dir;
  const fs::path db = dir.path() / "a" / "b" / "hypersdk.db";
  REQUIRE(ensure_parent_dir(db).ok());
  struct stat st {};
  REQUIRE(::stat((dir.path() / "a" / "b").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  REQUIRE(::stat((dir.path() / "a").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  CHECK(ensure_parent_dir(db).ok());  // idempotent

  std::ofstream(dir.file("plain")) << "x";
  auto st2 = ensure_parent_dir(dir.path() / "plain" / "x.db");
  REQUIRE_FALSE(st2.ok());
  CHECK(contains(st2.error().message, "plain"));
}

namespace {
fs::path example_file() {
  // The test may run from any build directory; find the repo root from this source file.
  for (fs::path p = fs::path(__FILE__).parent_path(); !p.empty() && p != p.root_path();
       p = p.parent_path())
    if (fs::exists(p / "hypersdk.yaml.example")) return p / "hypersdk.yaml.example";
  for (fs::path p = fs::current_path(); p != p.root_path(); p = p.parent_path())
    if (fs::exists(p / "hypersdk.yaml.example")) return p / "hypersdk.yaml.example";
  return {};
}

void collect_keys(const YAML::Node& map, const std::string& prefix, std::set<std::string>& out) {
  for (const auto& kv : map) {
    const std::string name = prefix.empty() ? kv.first.Scalar() : prefix + "." + kv.first.Scalar();
    out.insert(name);
    if (kv.second.IsMap() && !find_key(name)) collect_keys(kv.second, name, out);
  }
}
}  // namespace

TEST_CASE("hypersdk.yaml.example loads cleanly and documents every key at its default") {
  const fs::path path = example_file();
  REQUIRE_MESSAGE(!path.empty(), "hypersdk.yaml.example not found");
  Sandbox s;
  LoadOptions o = s.options();
  o.path = path;
  auto r = load_config(o);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r->warnings.empty());

  std::set<std::string> keys;
  collect_keys(YAML::LoadFile(path.string()), "", keys);
  const Config defaults;
  for (const auto& spec : config_schema()) {
    CHECK_MESSAGE(keys.contains(std::string(spec.name)), spec.name);
    CHECK_MESSAGE(r->config.source(spec.name).kind == SourceKind::file, spec.name);
  }
  auto a = r->config.entries(false), b = defaults.entries(false);
  for (size_t i = 0; i < a.size(); ++i) CHECK_MESSAGE(a[i].value == b[i].value, a[i].key);
}

TEST_CASE("every integer key has an upper bound that fits the int it is narrowed to") {
  for (const auto& spec : config_schema()) {
    if (spec.type != KeyType::integer) continue;
    INFO(spec.name);
    CHECK(spec.max < std::numeric_limits<std::int64_t>::max());
    if (spec.name != "db.journal_size_limit") CHECK(spec.max <= std::numeric_limits<int>::max());
  }
  Sandbox s;
  std::string msg = load_error(s, "workers:\n  claim_batch: 4294967295\n");
  CHECK(contains(msg, "workers.claim_batch: must be in the range 1..1000, got 4294967295"));
}

TEST_CASE("a mapping as a holiday calendar name is an error, not an exception later") {
  Sandbox s;
  std::string msg = load_error(s, "holidays:\n  ? {a: 1}\n  : {dates: [2025-01-01]}\n");
  CHECK(contains(msg, s.cfg() + ":2:"));
  CHECK(contains(msg, "holidays: a calendar name must be a plain name, got a mapping"));
}

TEST_CASE("YAML aliases and nesting are bounded in the file and in the environment") {
  Sandbox s;
  std::string bomb = "holidays:\n  h:\n    dates: [2025-01-01]\nx0: &b0 [1, 2, 3, 4, 5, 6, 7, 8]\n";
  for (int i = 1; i < 10; ++i) {
    bomb += "x" + std::to_string(i) + ": &b" + std::to_string(i) + " [";
    for (int j = 0; j < 8; ++j) bomb += std::string(j ? ", " : "") + "*b" + std::to_string(i - 1);
    bomb += "]\n";
  }
  CHECK(contains(load_error(s, bomb), "the YAML expands to more than 100000 values (aliases?)"));
  CHECK(contains(load_error(s, "holidays: " + std::string(50, '[') + std::string(50, ']') + "\n"),
                 "the YAML nested deeper than 32 levels"));
  CHECK(contains(
      load_error(s, "", {{"HYPERSDK_HOLIDAYS", std::string(50, '[') + std::string(50, ']')}}),
      "holidays: the YAML nested deeper than 32 levels"));
}

TEST_CASE("a config that is not UTF-8 is refused with file:line:col, in a file or the env") {
  // Found by make fuzz (fuzz_config): such a file loaded, and `config show --json` then
  // failed with an internal error (nlohmann's dump throws on the invalid byte).
  Sandbox s;
  std::string msg = load_error(s, "export:\n  dir: /tmp/ex\x8bports\n");
  CHECK(contains(msg, s.cfg() + ":2:15: error: not valid UTF-8: byte 0x8B"));
  msg = load_error(s, "", {{"HYPERSDK_EXPORT__DIR", "/tmp/\xC3("}});
  CHECK(contains(msg, "env HYPERSDK_EXPORT__DIR: error: the value is not valid UTF-8"));
  // Valid multi-byte text is kept and renders.
  auto ok = s.load("export:\n  dir: /tmp/expörts\n");
  REQUIRE(ok.ok());
  CHECK(ok->config.to_json(true).dump().find("expörts") != std::string::npos);
}

TEST_CASE("a huge unknown key gets no suggestion and is shown shortened") {
  Sandbox s;
  const std::string key(200'000, 'k');
  // An explicit key ("? "): a plain one over 1024 characters is a YAML syntax error.
  std::string msg = load_error(s, "? " + key + "\n: 1\n");
  CHECK(contains(msg, "unknown key '" + std::string(80, 'k') + "...'"));
  CHECK(msg.size() < 400);
  CHECK_FALSE(contains(msg, "did you mean"));
}

TEST_CASE("config and secret files must be regular files within their size bounds") {
  Sandbox s;
  LoadOptions o = s.options();
  o.path = "/dev/zero";
  auto r = load_config(o);
  REQUIRE_FALSE(r.ok());
  CHECK(contains(r.error().message, "config file /dev/zero: not a regular file"));
  o.path = "/dev/null";  // the conventional empty config
  CHECK(load_config(o).ok());
  auto secret = resolve_secret("file:/dev/zero", {});
  REQUIRE_FALSE(secret.ok());
  CHECK(contains(secret.error().message, "not a regular file"));
  const fs::path big = s.write(s.dir.path() / "big.token", std::string(100'000, 'x'));
  secret = resolve_secret("file:" + big.string(), {});
  REQUIRE_FALSE(secret.ok());
  CHECK(contains(secret.error().message, "is larger than the limit of 65536 bytes"));
}
