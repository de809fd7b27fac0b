// The vSphere client's pure parts: XML reading of vim25 answers, fault classes, thumbprints,
// and the provider's config rules. The protocol itself is tested against vcsim
// (tests/integration/test_vsphere.py).
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <thread>

#include "providers/vsphere_provider.h"
#include "vsphere/session_pool.h"
#include "vsphere/soap_client.h"
#include "vsphere/xml.h"

using namespace hypersdk;
using namespace hypersdk::vsphere;

TEST_CASE("xml: elements by local name, prefixed attributes, escaped text") {
  auto doc = XmlDoc::parse(
      "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soapenv:Body>"
      "<R xmlns=\"urn:vim25\"><returnval type=\"VirtualMachine\">vm-1</returnval>"
      "<val xsi:type=\"VirtualDisk\"><fileName>[ds] a &amp; b.vmdk</fileName></val>"
      "</R></soapenv:Body></soapenv:Envelope>");
  REQUIRE(doc.ok());
  XmlNode r = doc->root().child("Body").child();
  CHECK(r.name() == "R");
  CHECK(r.child("returnval").attr("type") == "VirtualMachine");
  CHECK(r.child_text("returnval") == "vm-1");
  CHECK(r.child("val").attr("type") == "VirtualDisk");
  CHECK(doc->root().find("fileName").text() == "[ds] a & b.vmdk");
  CHECK_FALSE(r.child("nothing"));
  CHECK(r.child("nothing").child_text("x").empty());
}

TEST_CASE("xml: not XML is an error, and entities are never fetched or expanded") {
  CHECK_FALSE(XmlDoc::parse("<html>oops").ok());
  auto doc = XmlDoc::parse(
      "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
      "<r>&x;</r>");
  if (doc.ok()) CHECK(doc->root().text().find("root:") == std::string::npos);
}

TEST_CASE("vim25 faults map to error classes") {
  CHECK(fault_class("InvalidLogin") == ErrorClass::auth);
  CHECK(fault_class("NotAuthenticated") == ErrorClass::auth);
  CHECK(fault_class("ManagedObjectNotFound") == ErrorClass::not_found);
  CHECK(fault_class("InvalidPowerState") == ErrorClass::invalid);
  CHECK(fault_class("TaskInProgress") == ErrorClass::transient);
  CHECK(fault_class("SomethingNew") == ErrorClass::internal);
}

TEST_CASE("thumbprints: any case, colons optional, exactly 32 bytes") {
  const std::string t(64, 'A');
  CHECK(normalize_thumbprint(t) == std::string(64, 'a'));
  std::string colons;
  for (int i = 0; i < 32; ++i) colons += std::string(i ? ":" : "") + "0f";
  CHECK(normalize_thumbprint(colons).size() == 64);
  CHECK(normalize_thumbprint("AB:CD").empty());
  CHECK(normalize_thumbprint(std::string(64, 'g')).empty());
}

TEST_CASE("vsphere config: defaults, /sdk added, secrets resolved, rules named") {
  ops::EnvMap env{{"VC_PASS", "s3cret"}};
  auto ok = providers::vsphere_config(
      "providers.vc",
      YAML::Load("{kind: vsphere, url: 'https://vc.example', username: u, password: env:VC_PASS}"),
      env);
  REQUIRE(ok.ok());
  CHECK(ok->url == "https://vc.example/sdk");
  CHECK(ok->password == "s3cret");
  CHECK(ok->max_sessions == 4);
  auto bad = [&](const std::string& yaml) {
    auto r = providers::vsphere_config("providers.vc", YAML::Load(yaml), env);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().cls == ErrorClass::invalid);
    return r.error().message;
  };
  CHECK(bad("{kind: vsphere, url: 'http://vc', username: u, password: env:VC_PASS}").find(".url") !=
        std::string::npos);
  CHECK(bad("{kind: vsphere, url: 'https://vc', password: env:VC_PASS}").find(".username") !=
        std::string::npos);
  CHECK(bad("{kind: vsphere, url: 'https://vc', username: u, password: hunter2}")
            .find("env:NAME or file:/path") != std::string::npos);
  CHECK(bad("{kind: vsphere, url: 'https://vc', username: u, password: env:NOPE}")
            .find(".password") != std::string::npos);
  CHECK(
      bad("{kind: vsphere, url: 'https://vc', username: u, password: env:VC_PASS, insecure: true, "
          "thumbprint: '" +
          std::string(64, 'a') + "'}")
          .find("exclude each other") != std::string::npos);
  CHECK(bad("{kind: vsphere, url: 'https://vc', username: u, password: env:VC_PASS, max_sessions: "
            "99}")
            .find("max_sessions") != std::string::npos);
}

TEST_CASE("session pool: at most max clients, reused once given back") {
  int made = 0;
  SessionPool pool(
      [&] {
        ++made;
        return std::make_unique<VimClient>("https://127.0.0.1:1/sdk", TlsOptions{}, "u", "p");
      },
      2);
  {
    auto a = pool.acquire();
    auto b = pool.acquire();
    std::atomic<bool> got{false};
    std::thread t([&] {
      auto c = pool.acquire();  // waits: both are out
      got = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK_FALSE(got.load());
    { auto gone = std::move(a); }  // gives one back
    t.join();
    CHECK(got.load());
  }
  CHECK(made == 2);
  auto again = pool.acquire();
  CHECK(made == 2);
}
