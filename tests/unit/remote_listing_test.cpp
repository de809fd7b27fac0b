// What WebDAV and SFTP servers say about a directory, parsed for Target::list (retention).
#include <doctest/doctest.h>

#include "targets/remote_listing.h"

using namespace hypersdk::targets;

TEST_CASE("propfind: the collection's files and subcollections, names decoded, itself left out") {
  // As nginx's dav-ext module answers (paths), plus an absolute href and a 404 propstat.
  const std::string xml = R"(<?xml version="1.0" encoding="utf-8" ?>
<D:multistatus xmlns:D="DAV:">
<D:response><D:href>/dav/night%20ly/</D:href><D:propstat><D:prop>
  <D:resourcetype><D:collection/></D:resourcetype>
  <D:getlastmodified>Mon, 30 Nov 2026 19:20:00 GMT</D:getlastmodified>
</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>
<D:response><D:href>/dav/night%20ly/web-1-j%202.ova</D:href><D:propstat><D:prop>
  <D:resourcetype/><D:getcontentlength>4096</D:getcontentlength>
  <D:getlastmodified>Mon, 30 Nov 2026 19:20:01 GMT</D:getlastmodified>
</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>
<D:response><D:href>http://127.0.0.1:8080/dav/night%20ly/old/</D:href><D:propstat><D:prop>
  <D:resourcetype><D:collection/></D:resourcetype>
</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
<D:propstat><D:prop><D:getcontentlength>77</D:getcontentlength></D:prop>
<D:status>HTTP/1.1 404 Not Found</D:status></D:propstat></D:response>
</D:multistatus>)";
  auto entries = parse_propfind(xml, "http://127.0.0.1:8080/dav/night%20ly/");
  REQUIRE(entries);
  REQUIRE(entries->size() == 2);
  CHECK((*entries)[0].name == "web-1-j 2.ova");
  CHECK_FALSE((*entries)[0].collection);
  CHECK((*entries)[0].size == 4096);
  CHECK((*entries)[0].modified_ms == 1796066401000);  // 2026-11-30T19:20:01Z
  CHECK((*entries)[1].name == "old");
  CHECK((*entries)[1].collection);
  CHECK((*entries)[1].size == 0);  // the 404 propstat's length is not the server's word
}

TEST_CASE("propfind: an answer that is not a multistatus is an error naming PROPFIND") {
  for (const char* body : {"", "<html><body>404</body></html>", "<D:multistatus"}) {
    auto r = parse_propfind(body, "/dav/");
    REQUIRE_FALSE(r);
    CHECK(r.error().cls == hypersdk::ErrorClass::unavailable);
    CHECK(r.error().message.find("PROPFIND") != std::string::npos);
  }
}

TEST_CASE("dates: RFC 1123 (WebDAV) and ISO 8601 (S3) parse to ms, anything else to 0") {
  CHECK(parse_http_date_ms("Thu, 01 Jan 1970 00:00:01 GMT") == 1000);
  CHECK(parse_http_date_ms("Mon, 30 Nov 2026 19:20:01 GMT") == 1796066401000);
  CHECK(parse_http_date_ms("2026-11-30T19:20:00Z") == 0);
  CHECK(parse_http_date_ms("Mon, 31 Feb 2026 19:20:01 GMT") == 0);  // no such day
  CHECK(parse_http_date_ms("Mon, 30 Nov 2026 1%:20:01 GMT") == 0);
  CHECK(parse_http_date_ms("Mon, 30 Xyz 2026 19:20:01 GMT") == 0);
  CHECK(parse_http_date_ms("Mon, 30 Nov 2026 24:00:00 GMT") == 0);
  CHECK(parse_iso8601_ms("2026-11-30T19:20:01.000Z") == 1796066401000);
  CHECK(parse_iso8601_ms("2026-11-30T19:20:01Z") == 1796066401000);
  CHECK(parse_iso8601_ms("2026-11-30T19:20:01.5Z") == 1796066401500);
  CHECK(parse_iso8601_ms("2026-11-30T19:20:01.123456Z") == 1796066401123);
  CHECK(parse_iso8601_ms("2026-02-30T19:20:01Z") == 0);
  CHECK(parse_iso8601_ms("2026-11-30T19:20:01.Z") == 0);
  CHECK(parse_iso8601_ms("2026-11-30 19:20:01Z") == 0);
  CHECK(parse_iso8601_ms("2026-11-30T1%:20:01Z") == 0);
  CHECK(percent_decode("a%20b%2Fc%zz%4") == "a b/c%zz%4");
}

TEST_CASE("sftp listing: regular files by name, not directories, links or a name's suffix") {
  // OpenSSH's long lines; "j 2.ova" ends the line of "web-1-j 2.ova" too, and the link's line
  // ends with the name of the file it points to.
  const std::string names = ".\n..\nweb-1-j 2.ova\nj 2.ova\nold\nlink\nweb-1-j-3.ova\n";
  const std::string longs =
      "drwxr-xr-x    3 root     root         4096 Nov 30 19:20 .\n"
      "drwxr-xr-x    3 root     root         4096 Nov 30 19:20 ..\n"
      "-rw-r--r--    1 root     root          102 Nov 28 19:20 web-1-j 2.ova\n"
      "drwxr-xr-x    2 root     root         4096 Nov 20 19:20 j 2.ova\n"
      "drwxr-xr-x    2 root     root         4096 Nov 20 19:20 old\n"
      "lrwxrwxrwx    1 root     root           13 Nov 20 19:20 link -> web-1-j-3.ova\n";
  // web-1-j-3.ova has no line of its own (it appeared between the two listings): left out.
  CHECK(sftp_regular_files(names, longs) == std::vector<std::string>{"web-1-j 2.ova"});
  CHECK(sftp_regular_files(names, longs + "-rw-r--r-- 1 u g 5 Nov 30 2025 web-1-j-3.ova\r\n") ==
        std::vector<std::string>{"web-1-j 2.ova", "web-1-j-3.ova"});
}
