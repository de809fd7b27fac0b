#include "targets/remote_listing.h"

#include <date/date.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <memory>

namespace hypersdk::targets {
namespace {

bool is(const xmlNode* n, std::string_view local) {
  return n->type == XML_ELEMENT_NODE &&
         std::string_view(reinterpret_cast<const char*>(n->name)) == local;
}

const xmlNode* child(const xmlNode* n, std::string_view local) {
  for (const xmlNode* c = n ? n->children : nullptr; c; c = c->next)
    if (is(c, local)) return c;
  return nullptr;
}

std::string text(const xmlNode* n) {
  if (!n) return "";
  xmlChar* c = xmlNodeGetContent(n);
  if (!c) return "";
  std::string s(reinterpret_cast<const char*>(c));
  xmlFree(c);
  return s;
}

std::string trimmed(std::string s) {
  const auto a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\r\n") - a + 1);
}

// The path of an href: "http://h:1/dav/x" -> "/dav/x"; a path stays as it is.
std::string path_of_href(std::string href) {
  if (const auto scheme = href.find("://"); scheme != std::string::npos) {
    const auto slash = href.find('/', scheme + 3);
    href = slash == std::string::npos ? "/" : href.substr(slash);
  }
  return href;
}

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < text.size()) {
    auto end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(at, end - at));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) out.push_back(std::move(line));
    at = end + 1;
  }
  return out;
}

// The decimal number in text[at, at + width) into `out`; false when a character is no digit.
// REQUIRES: at + width <= text.size().
bool digits_at(std::string_view text, std::size_t at, std::size_t width, int& out) {
  out = 0;
  for (std::size_t i = at; i < at + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

}  // namespace

std::string percent_decode(std::string_view s) {
  auto hexval = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      out += static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::int64_t parse_http_date_ms(const std::string& text) {
  // IMF-fixdate, fixed widths: "Mon, 30 Nov 2026 19:20:01 GMT". Parsed by hand: date::parse
  // read an indeterminate value on some malformed inputs (found by fuzz_remote_listing).
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (text.size() != 29 || text.compare(3, 2, ", ") != 0 || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.compare(25, 4, " GMT") != 0)
    return 0;
  auto number = [&](std::size_t at, std::size_t width, int& out) {
    return digits_at(text, at, width, out);
  };
  int day = 0, year = 0, hh = 0, mm = 0, ss = 0;
  if (!number(5, 2, day) || !number(12, 4, year) || !number(17, 2, hh) || !number(20, 2, mm) ||
      !number(23, 2, ss) || hh > 23 || mm > 59 || ss > 60)
    return 0;
  unsigned month = 0;
  for (unsigned m = 0; m < 12; ++m)
    if (text.compare(8, 3, kMonths[m]) == 0) month = m + 1;
  const date::year_month_day ymd{date::year(year), date::month(month),
                                 date::day(static_cast<unsigned>(day))};
  if (month == 0 || !ymd.ok()) return 0;
  using namespace std::chrono;
  const auto t = date::sys_days(ymd) + hours(hh) + minutes(mm) + seconds(ss);
  return duration_cast<milliseconds>(t.time_since_epoch()).count();
}

std::int64_t parse_iso8601_ms(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.f...]Z
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || text.back() != 'Z')
    return 0;
  auto number = [&](std::size_t at, std::size_t width, int& out) {
    return digits_at(text, at, width, out);
  };
  int year = 0, month = 0, day = 0, hh = 0, mm = 0, ss = 0, ms = 0;
  if (!number(0, 4, year) || !number(5, 2, month) || !number(8, 2, day) || !number(11, 2, hh) ||
      !number(14, 2, mm) || !number(17, 2, ss) || hh > 23 || mm > 59 || ss > 60)
    return 0;
  if (text.size() > 20) {  // a fraction: ".", digits, "Z"
    if (text[19] != '.' || text.size() == 21) return 0;
    for (std::size_t i = 20; i + 1 < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') return 0;
      if (i < 23) ms = ms * 10 + (text[i] - '0');
    }
    for (std::size_t i = text.size() - 1; i < 23; ++i) ms *= 10;  // ".5Z" is 500 ms
  }
  const date::year_month_day ymd{date::year(year), date::month(static_cast<unsigned>(month)),
                                 date::day(static_cast<unsigned>(day))};
  if (!ymd.ok()) return 0;
  using namespace std::chrono;
  const auto t = date::sys_days(ymd) + hours(hh) + minutes(mm) + seconds(ss) + milliseconds(ms);
  return duration_cast<milliseconds>(t.time_since_epoch()).count();
}

Result<std::vector<DavEntry>> parse_propfind(std::string_view xml, const std::string& collection) {
  // No network, no entities, no DTD loading: the answer is data, never instructions.
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(
      xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "propfind.xml", nullptr,
                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING),
      xmlFreeDoc);
  const xmlNode* root = doc ? xmlDocGetRootElement(doc.get()) : nullptr;
  if (!root || !is(root, "multistatus"))
    return make_error(ErrorClass::unavailable,
                      "the WebDAV server's PROPFIND answer is not a multistatus document");
  std::string base = percent_decode(path_of_href(collection));
  if (base.empty() || base.back() != '/') base += '/';
  std::vector<DavEntry> out;
  for (const xmlNode* r = root->children; r; r = r->next) {
    if (!is(r, "response")) continue;
    std::string path = percent_decode(path_of_href(trimmed(text(child(r, "href")))));
    if (!path.starts_with(base)) continue;  // not below the listed collection
    DavEntry e;
    e.name = path.substr(base.size());
    while (!e.name.empty() && e.name.back() == '/') e.name.pop_back();
    if (e.name.empty()) continue;  // the collection itself
    for (const xmlNode* ps = r->children; ps; ps = ps->next) {
      if (!is(ps, "propstat")) continue;
      // Only the properties the server found (a 404 propstat lists the missing ones).
      if (text(child(ps, "status")).find(" 200") == std::string::npos) continue;
      const xmlNode* prop = child(ps, "prop");
      if (!prop) continue;
      if (const xmlNode* rt = child(prop, "resourcetype"))
        e.collection = e.collection || child(rt, "collection") != nullptr;
      if (const xmlNode* len = child(prop, "getcontentlength"))
        e.size = std::strtoull(trimmed(text(len)).c_str(), nullptr, 10);
      if (const xmlNode* lm = child(prop, "getlastmodified"))
        e.modified_ms = parse_http_date_ms(trimmed(text(lm)));
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<std::string> sftp_regular_files(std::string_view names, std::string_view long_lines) {
  std::vector<std::string> listed;
  for (std::string& name : lines_of(names))
    if (name != "." && name != "..") listed.push_back(std::move(name));
  // Each long line belongs to the longest listed name it ends with (" a b" is the line of
  // "a b", not of "b"); a name is a regular file when one of its lines says '-'. A link's line
  // ("x -> b") may end with another name: it says 'l', which never makes that name a file.
  std::vector<bool> regular(listed.size(), false);
  for (const std::string& line : lines_of(long_lines)) {
    std::size_t best = listed.size();
    for (std::size_t i = 0; i < listed.size(); ++i) {
      const std::string& name = listed[i];
      if (line.size() > name.size() + 1 && line.ends_with(" " + name) &&
          (best == listed.size() || name.size() > listed[best].size()))
        best = i;
    }
    if (best != listed.size() && line.front() == '-') regular[best] = true;
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < listed.size(); ++i)
    if (regular[i]) out.push_back(listed[i]);
  return out;
}

}  // namespace hypersdk::targets
