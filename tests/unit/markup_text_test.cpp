#include <doctest/doctest.h>

#include "core/markup_text.h"

using hypersdk::core::markup_escape;

TEST_CASE("markup_escape makes text safe in XML and HTML elements and quoted attributes") {
  CHECK(markup_escape("web-1") == "web-1");
  CHECK(markup_escape(R"(<a href="x">&'</a>)") ==
        "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
  // XML 1.0 allows no control characters but tab and newline.
  CHECK(markup_escape(std::string("a\tb\nc\x01"
                                  "d")) == "a\tb\nc?d");
}
