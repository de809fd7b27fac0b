// Text placed in XML or HTML documents (OVF descriptors, HTML email). Pure, no I/O.
#pragma once

#include <string>
#include <string_view>

namespace hypersdk::core {

// Escapes & < > " ' so `s` is safe as element text and in a quoted attribute value, in XML
// and in HTML. Control characters other than tab and newline are not allowed in XML 1.0 and
// become '?'.
std::string markup_escape(std::string_view s);

}  // namespace hypersdk::core
