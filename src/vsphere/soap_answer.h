// Reading one vim25 SOAP answer: the envelope's Body, or the fault it carries as an error with
// its class. Apart from the transport so that a hostile or broken server's bytes can be fuzzed
// (tests/fuzz/fuzz_soap.cpp) without a network.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "vsphere/xml.h"

namespace hypersdk::vsphere {

// The parsed answer when its Body holds no Fault and the status is below 400. `fault` is set to
// the fault's type ("InvalidLogin", "SOAP fault" when it names none) when there is one.
// Errors: the fault's class (fault_class), network for HTTP 5xx without an envelope, internal
// for an answer that is not a SOAP envelope; every message names `url`.
Result<XmlDoc> read_soap_answer(std::string_view answer, long http_status, const std::string& url,
                                std::string& fault);

}  // namespace hypersdk::vsphere
