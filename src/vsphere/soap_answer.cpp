#include "vsphere/soap_answer.h"

#include "vsphere/soap_client.h"

namespace hypersdk::vsphere {

namespace {

// The fault's type from its detail element: the xsi:type attribute, else the element's name
// without its "Fault" suffix ("InvalidLoginFault" -> "InvalidLogin"), never a namespace prefix.
std::string fault_type(const XmlNode& fault) {
  XmlNode detail = fault.child("detail").child();
  std::string type = detail.attr("type");
  if (type.empty() && detail) {
    type = detail.name();
    if (type.size() > 5 && type.ends_with("Fault")) type.resize(type.size() - 5);
  }
  if (auto colon = type.find(':'); colon != std::string::npos) type = type.substr(colon + 1);
  return type;
}

}  // namespace

Result<XmlDoc> read_soap_answer(std::string_view answer, long http_status, const std::string& url,
                                std::string& fault) {
  const std::string status = std::to_string(http_status);
  auto doc = XmlDoc::parse(answer);
  if (!doc) {
    return make_error(http_status >= 500 ? ErrorClass::network : ErrorClass::internal,
                      url + " answered HTTP " + status +
                          " without a SOAP envelope (is it a vSphere /sdk endpoint?)");
  }
  XmlNode body = doc->root().child("Body");
  if (!body)
    return make_error(ErrorClass::internal,
                      url + ": SOAP answer without a Body (HTTP " + status + ")");
  if (XmlNode f = body.child("Fault")) {
    const std::string type = fault_type(f);
    fault = type.empty() ? "SOAP fault" : type;
    const std::string why = f.child_text("faultstring");
    return make_error(fault_class(type), fault + (why.empty() ? "" : ": " + why));
  }
  if (http_status >= 400)
    return make_error(http_status >= 500 ? ErrorClass::network : ErrorClass::internal,
                      url + " answered HTTP " + status);
  return doc;
}

}  // namespace hypersdk::vsphere
