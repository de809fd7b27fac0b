// A small read-only view of an XML document (libxml2), enough for vim25 SOAP answers:
// elements by local name (namespace prefixes ignored, as vim25 answers use a default
// namespace), their text and attributes. Parsing never fetches anything (no network, no
// external entities, no entity expansion).
// Thread safety: an XmlDoc and its nodes belong to one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

struct _xmlDoc;
struct _xmlNode;

namespace hypersdk::vsphere {

class XmlNode {
 public:
  XmlNode() = default;
  explicit XmlNode(_xmlNode* n) : n_(n) {}
  explicit operator bool() const { return n_ != nullptr; }

  std::string name() const;  // local name, no prefix
  std::string text() const;  // concatenated text content
  // The attribute's value by local name ("type", or "xsi:type" given as "type"); "" if absent.
  std::string attr(std::string_view local) const;
  // First element child with this local name (any name when empty).
  XmlNode child(std::string_view local = {}) const;
  std::vector<XmlNode> children(std::string_view local = {}) const;
  // First element, depth first, at or below this one with this local name.
  XmlNode find(std::string_view local) const;
  // Text of the first child with this local name ("" when absent).
  std::string child_text(std::string_view local) const { return child(local).text(); }

 private:
  _xmlNode* n_ = nullptr;
};

class XmlDoc {
 public:
  // Errors: internal naming the parse failure (a server answering something not XML).
  static Result<XmlDoc> parse(std::string_view text);
  XmlNode root() const;

 private:
  std::shared_ptr<_xmlDoc> doc_;
};

}  // namespace hypersdk::vsphere
