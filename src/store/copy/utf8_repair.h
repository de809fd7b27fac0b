// Making SQLite text acceptable to PostgreSQL (db copy). SQLite stores whatever bytes it was
// given in a TEXT column; PostgreSQL refuses a value that is not valid UTF-8 or holds a NUL
// byte, and one such value would fail the whole copy. Pure functions, no I/O.
// Thread safety: none needed (no shared state).
#pragma once

#include <string>
#include <string_view>

namespace hypersdk::store::copy {

// Whether `s` is valid UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF) without NUL bytes: exactly what PostgreSQL accepts in a UTF8 database.
bool is_pg_text(std::string_view s);

// Replaces each byte that does not begin a valid sequence, and each NUL, with U+FFFD.
// Returns whether anything was replaced (`s` untouched when it was already valid).
bool repair_utf8(std::string& s);

}  // namespace hypersdk::store::copy
