// Issue 15: tokens stored as digests, the audit trail's store and naming, TLS credentials.
#include <doctest/doctest.h>

#include <cctype>
#include <fstream>

#include "api/auth.h"
#include "api/route.h"
#include "api/tls_context.h"
#include "engine/exec_job.h"
#include "store/audit_log.h"
#include "test_support.h"

using namespace hypersdk;

TEST_CASE("auth: a token_sha256 entry admits its token and only its token") {
  const std::string secret = "hsdk_correct-horse-battery-staple";
  api::Authenticator auth({{"ci", "", api::Role::operate, api::sha256_hex(secret)},
                           {"ops", "plain-secret", api::Role::admin, ""}});
  REQUIRE(auth.enabled());
  auto who = auth.authenticate("Bearer " + secret);
  REQUIRE(who.ok());
  CHECK(who->name == "ci");
  CHECK(who->role == api::Role::operate);
  CHECK(auth.authenticate("bearer plain-secret")->name == "ops");
  CHECK_FALSE(auth.authenticate("Bearer " + secret + "x").ok());
  CHECK_FALSE(
      auth.authenticate("Bearer " + api::sha256_hex(secret)).ok());  // the digest is no token
  CHECK_FALSE(auth.authenticate("Bearer ").ok());
  CHECK(auth.authenticate("Bearer nope").error().cls == ErrorClass::auth);
}

TEST_CASE("auth: sha256_hex and parse_sha256_hex agree, in either case") {
  // SHA-256("test"), a published test vector.
  const std::string hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  CHECK(api::sha256_hex("test") == hex);
  std::string upper = hex;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(api::parse_sha256_hex(upper) == api::parse_sha256_hex(hex));
  CHECK_FALSE(api::parse_sha256_hex(hex.substr(1)));
  CHECK_FALSE(api::parse_sha256_hex(hex.substr(1) + "g"));
}

TEST_CASE("audit: actions are named from the route") {
  CHECK(api::audit_action("POST", "/api/v1/jobs") == "jobs.create");
  CHECK(api::audit_action("POST", "/api/v1/jobs/{id}/cancel") == "jobs.cancel");
  CHECK(api::audit_action("POST", "/api/v1/dlq/{id}/replay") == "dlq.replay");
  CHECK(api::audit_action("DELETE", "/api/v1/dlq") == "dlq.delete");
  CHECK(api::audit_action("DELETE", "/api/v1/dlq/{id}") == "dlq.delete");
  CHECK(api::audit_action("POST", "/api/v1/schedules/{name}") == "schedules.update");
  CHECK(api::audit_action("POST", "/api/v1/schedules/{name}/run") == "schedules.run");
  CHECK(api::audit_action("POST", "/api/v1/workflows/{id}/retry") == "workflows.retry");
  CHECK(api::audit_action("GET", "/api/v1/audit") == "audit.read");
}

TEST_CASE("tls: credentials that do not load are refused with the file named") {
  test::TempDir d;
  std::ofstream(d.file("junk.pem")) << "not a certificate\n";
  auto r = api::TlsCredentials::load(d.file("junk.pem"), d.file("junk.pem"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().cls == ErrorClass::invalid);
  CHECK(r.error().message.find("junk.pem") != std::string::npos);
  auto missing = api::TlsCredentials::load(d.file("none.pem"), d.file("none.key"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("none.pem") != std::string::npos);
}

TEST_CASE("exec allow-list: exact commands and directory prefixes, no climbing out") {
  const std::vector<std::string> allowed = {"/usr/local/bin/backup.sh", "rsync", "/opt/jobs/"};
  CHECK(engine::exec_command_allowed("/usr/local/bin/backup.sh", allowed));
  CHECK(engine::exec_command_allowed("rsync", allowed));
  CHECK(engine::exec_command_allowed("/opt/jobs/nightly", allowed));
  CHECK(engine::exec_command_allowed("/opt/jobs/sub/x.sh", allowed));
  CHECK_FALSE(engine::exec_command_allowed("/opt/jobs/", allowed));
  CHECK_FALSE(engine::exec_command_allowed("/opt/jobs/../../bin/sh", allowed));
  CHECK_FALSE(engine::exec_command_allowed("/opt/jobsx/evil", allowed));
  CHECK_FALSE(engine::exec_command_allowed("/usr/bin/rsync", allowed));
  CHECK_FALSE(engine::exec_command_allowed("/bin/sh", allowed));
  CHECK_FALSE(engine::exec_command_allowed("backup.sh", allowed));
}

TEST_CASE("exec allow-list: a payload outside it is refused at submit, naming the command") {
  engine::ExecConfig c;
  c.allow_shell = true;
  c.allowed = {"/bin/true"};
  CHECK(engine::validate_exec_payload(R"({"argv":["/bin/true"]})", c).ok());
  auto bad = engine::validate_exec_payload(R"({"argv":["/bin/rm","-rf","/"]})", c);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().cls == ErrorClass::invalid);
  CHECK(bad.error().message.find("'/bin/rm'") != std::string::npos);
  CHECK(bad.error().message.find("jobs.exec.allowed") != std::string::npos);
  CHECK_FALSE(engine::validate_exec_payload(R"({"shell":"true"})", c).ok());
  c.allowed.push_back("/bin/sh");
  CHECK(engine::validate_exec_payload(R"({"shell":"true"})", c).ok());
  c.allowed.clear();  // empty: anything
  CHECK(engine::validate_exec_payload(R"({"argv":["/bin/rm"]})", c).ok());
}
