// Parsing what WebDAV, SFTP and S3 servers say about a directory, for Target::list (retention:
// keep_last). Pure functions over the server's text; no I/O. Dates are parsed by hand:
// date::parse read an indeterminate value on some malformed inputs (fuzz_remote_listing).
//  - WebDAV: a PROPFIND (Depth: 1) multistatus answer, parsed with libxml2 (no network, no
//    entity expansion), names relative to the listed collection.
//  - SFTP: libcurl's two listings of one directory, names only (CURLOPT_DIRLISTONLY) and the
//    server's long "ls -l" lines, joined to tell files from directories and links by name
//    (the long line's own name field is not parsed: its layout is the server's choice).
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace hypersdk::targets {

struct DavEntry {
  std::string name;  // percent-decoded, relative to the listed collection, no trailing '/'
  bool collection = false;
  std::uint64_t size = 0;
  std::int64_t modified_ms = 0;  // getlastmodified; 0 when absent or not RFC 1123
};

// The members of the collection at `collection` (its URL or URL path, "/dav/nightly/"); the
// collection itself is left out. Hrefs may be paths or absolute URLs.
// Errors: unavailable when the answer is not a DAV multistatus document.
Result<std::vector<DavEntry>> parse_propfind(std::string_view xml, const std::string& collection);

// "%XX" sequences decoded (a '+' stays a '+': these are paths, not forms).
std::string percent_decode(std::string_view s);

// RFC 1123 ("Mon, 30 Nov 2026 19:20:00 GMT") -> ms since the epoch; 0 when it does not parse.
std::int64_t parse_http_date_ms(const std::string& text);

// S3's LastModified ("2026-11-30T17:02:03.000Z", milliseconds optional, any number of
// fraction digits) -> ms since the epoch; 0 when it does not parse.
std::int64_t parse_iso8601_ms(std::string_view text);

// The regular files among `names` (one name a line, CURLOPT_DIRLISTONLY) according to the
// long listing of the same directory (a line per entry ending in its name, type in its first
// character; a link's line ends "name -> target"). A name with no long line is left out.
std::vector<std::string> sftp_regular_files(std::string_view names, std::string_view long_lines);

}  // namespace hypersdk::targets
