#include "providers/libvirt_xml.h"

namespace hypersdk::providers {

namespace {

// The position of the next start tag `<element` (followed by a space, '/' or '>') at or
// after `from`, npos when none.
std::size_t find_tag(const std::string& xml, const std::string& element, std::size_t from,
                     std::size_t until) {
  const std::string open = "<" + element;
  for (std::size_t at = xml.find(open, from); at != std::string::npos && at < until;
       at = xml.find(open, at + 1)) {
    const std::size_t after = at + open.size();
    if (after < xml.size() && (xml[after] == ' ' || xml[after] == '/' || xml[after] == '>' ||
                               xml[after] == '\n' || xml[after] == '\t'))
      return at;
  }
  return std::string::npos;
}

// The matching end of the element whose start tag is at `at` (its `</element>` or, for
// `<element .../>`, the end of the tag), accounting for nested elements of the same name.
std::size_t element_end(const std::string& xml, const std::string& element, std::size_t at) {
  const std::size_t tag_end = xml.find('>', at);
  if (tag_end == std::string::npos) return std::string::npos;
  if (xml[tag_end - 1] == '/') return tag_end + 1;
  const std::string close = "</" + element + ">";
  int depth = 1;
  std::size_t pos = tag_end + 1;
  while (depth > 0) {
    const std::size_t next_open = find_tag(xml, element, pos, std::string::npos);
    const std::size_t next_close = xml.find(close, pos);
    if (next_close == std::string::npos) return std::string::npos;
    if (next_open != std::string::npos && next_open < next_close) {
      const std::size_t e = xml.find('>', next_open);
      if (e == std::string::npos) return std::string::npos;
      if (xml[e - 1] != '/') ++depth;
      pos = e + 1;
    } else {
      --depth;
      pos = next_close + close.size();
    }
  }
  return pos;
}

std::string unescape(std::string s) {
  static const std::pair<const char*, char> kEntities[] = {
      {"&apos;", '\''}, {"&quot;", '"'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}};
  for (const auto& [entity, ch] : kEntities) {
    const std::string e(entity);
    for (std::size_t at = s.find(e); at != std::string::npos; at = s.find(e, at + 1))
      s.replace(at, e.size(), 1, ch);
  }
  return s;
}

}  // namespace

std::string xml_attribute(const std::string& xml, const std::string& element,
                          const std::string& name, std::size_t from, std::size_t until) {
  const std::size_t at = find_tag(xml, element, from, until);
  if (at == std::string::npos) return "";
  const std::size_t end = xml.find('>', at);
  if (end == std::string::npos) return "";
  const std::string tag = xml.substr(at, end - at);
  for (std::size_t p = tag.find(name + "="); p != std::string::npos;
       p = tag.find(name + "=", p + 1)) {
    const char before = tag[p - 1];
    if (before != ' ' && before != '\n' && before != '\t') continue;
    const std::size_t q = p + name.size() + 1;
    if (q >= tag.size() || (tag[q] != '\'' && tag[q] != '"')) continue;
    const std::size_t close = tag.find(tag[q], q + 1);
    if (close == std::string::npos) return "";
    return unescape(tag.substr(q + 1, close - q - 1));
  }
  return "";
}

Result<std::vector<LibvirtDisk>> parse_domain_disks(const std::string& xml) {
  if (find_tag(xml, "domain", 0, std::string::npos) == std::string::npos)
    return invalid_error("not a libvirt domain description (no <domain> element)");
  std::vector<LibvirtDisk> out;
  for (std::size_t at = find_tag(xml, "disk", 0, std::string::npos); at != std::string::npos;) {
    const std::size_t end = element_end(xml, "disk", at);
    if (end == std::string::npos) return invalid_error("a <disk> element is not closed");
    LibvirtDisk d;
    d.device = xml_attribute(xml, "disk", "device", at, end);
    if (d.device.empty()) d.device = "disk";
    // The disk's own <source> and <driver> come before its <backingStore>.
    const std::size_t backing_at = find_tag(xml, "backingStore", at, end);
    const std::size_t own_end = backing_at == std::string::npos ? end : backing_at;
    d.target = xml_attribute(xml, "target", "dev", at, end);
    d.format = xml_attribute(xml, "driver", "type", at, own_end);
    d.source = xml_attribute(xml, "source", "file", at, own_end);
    if (d.source.empty()) d.source = xml_attribute(xml, "source", "dev", at, own_end);
    if (backing_at != std::string::npos) {
      const std::size_t backing_end = element_end(xml, "backingStore", backing_at);
      const std::size_t inner = find_tag(xml, "backingStore", backing_at + 1, backing_end);
      const std::size_t limit = inner == std::string::npos ? backing_end : inner;
      d.backing = xml_attribute(xml, "source", "file", backing_at, limit);
      if (d.backing.empty()) d.backing = xml_attribute(xml, "source", "dev", backing_at, limit);
      d.backing_format = xml_attribute(xml, "format", "type", backing_at, limit);
    }
    out.push_back(std::move(d));
    at = find_tag(xml, "disk", end, std::string::npos);
  }
  return out;
}

}  // namespace hypersdk::providers
