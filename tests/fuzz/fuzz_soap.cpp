// libFuzzer target: a vSphere server's SOAP answers (vsphere/soap_answer.h, vsphere/xml.h).
// The first input byte picks the HTTP status; the rest is the answer. A readable answer is then
// walked the way the vim25 client reads answers (returnval, props, faults, attributes).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "vsphere/soap_answer.h"

namespace {

using hypersdk::vsphere::XmlNode;

std::size_t walk(const XmlNode& n, int depth) {
  if (!n || depth > 64) return 0;
  std::size_t seen = n.name().size() + n.text().size() + n.attr("type").size();
  for (const XmlNode& c : n.children()) seen += walk(c, depth + 1);
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const long kStatus[] = {200, 400, 500, 503};
  const long status = kStatus[data[0] % 4];
  const std::string_view answer(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string fault;
  auto doc = hypersdk::vsphere::read_soap_answer(answer, status, "https://fuzz/sdk", fault);
  if (!doc) return 0;
  const XmlNode root = doc->root();
  const XmlNode rv = root.find("returnval");
  (void)rv.child_text("token");
  for (const XmlNode& p : rv.children("propSet")) (void)walk(p.child("val"), 0);
  (void)walk(root, 0);
  return 0;
}
