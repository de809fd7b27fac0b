#include "core/utf8.h"

#include <doctest/doctest.h>

namespace hypersdk::core {
namespace {

TEST_CASE("utf8: valid text has no invalid byte and the first bad one is found") {
  CHECK_FALSE(first_invalid_utf8(""));
  CHECK_FALSE(first_invalid_utf8("plain ascii\n"));
  CHECK_FALSE(first_invalid_utf8("exp\xC3\xB6rts \xE2\x82\xAC \xF0\x9F\x98\x80"));  // ö € 😀
  CHECK(first_invalid_utf8("ab\x8b") == 2u);            // lone continuation
  CHECK(first_invalid_utf8("a\xC3(") == 1u);            // cut sequence
  CHECK(first_invalid_utf8("\xC0\xAF") == 0u);          // overlong '/'
  CHECK(first_invalid_utf8("x\xED\xA0\x80") == 1u);     // surrogate
  CHECK(first_invalid_utf8("\xF4\x90\x80\x80") == 0u);  // above U+10FFFF
  CHECK(first_invalid_utf8("ok\xE2\x82") == 2u);        // truncated at the end
}

}  // namespace
}  // namespace hypersdk::core
