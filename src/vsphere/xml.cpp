#include "vsphere/xml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cstring>

namespace hypersdk::vsphere {

namespace {
bool named(const xmlNode* n, std::string_view local) {
  return n->type == XML_ELEMENT_NODE &&
         (local.empty() || std::string_view(reinterpret_cast<const char*>(n->name)) == local);
}
}  // namespace

std::string XmlNode::name() const {
  return n_ ? reinterpret_cast<const char*>(n_->name) : "";
}

std::string XmlNode::text() const {
  if (!n_) return "";
  xmlChar* c = xmlNodeGetContent(n_);
  if (!c) return "";
  std::string s(reinterpret_cast<const char*>(c));
  xmlFree(c);
  return s;
}

std::string XmlNode::attr(std::string_view local) const {
  if (!n_) return "";
  for (xmlAttr* a = n_->properties; a; a = a->next) {
    if (std::string_view(reinterpret_cast<const char*>(a->name)) != local) continue;
    xmlChar* v = xmlNodeListGetString(n_->doc, a->children, 1);
    std::string s = v ? reinterpret_cast<const char*>(v) : "";
    if (v) xmlFree(v);
    return s;
  }
  return "";
}

XmlNode XmlNode::child(std::string_view local) const {
  if (!n_) return XmlNode();
  for (xmlNode* c = n_->children; c; c = c->next)
    if (named(c, local)) return XmlNode(c);
  return XmlNode();
}

std::vector<XmlNode> XmlNode::children(std::string_view local) const {
  std::vector<XmlNode> out;
  if (!n_) return out;
  for (xmlNode* c = n_->children; c; c = c->next)
    if (named(c, local)) out.emplace_back(c);
  return out;
}

XmlNode XmlNode::find(std::string_view local) const {
  if (!n_) return XmlNode();
  if (named(n_, local)) return *this;
  for (xmlNode* c = n_->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (XmlNode f = XmlNode(c).find(local)) return f;
  }
  return XmlNode();
}

Result<XmlDoc> XmlDoc::parse(std::string_view text) {
  // XML_PARSE_NONET: never fetch a DTD; no XML_PARSE_NOENT: entities are not expanded.
  xmlDoc* d = xmlReadMemory(text.data(), static_cast<int>(text.size()), "soap.xml", nullptr,
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!d) {
    const xmlError* e = xmlGetLastError();
    std::string why = e && e->message ? e->message : "not well-formed";
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return make_error(ErrorClass::internal, "the answer is not XML: " + why);
  }
  XmlDoc doc;
  doc.doc_ = std::shared_ptr<_xmlDoc>(d, [](xmlDoc* p) { xmlFreeDoc(p); });
  return doc;
}

XmlNode XmlDoc::root() const {
  return XmlNode(doc_ ? xmlDocGetRootElement(doc_.get()) : nullptr);
}

}  // namespace hypersdk::vsphere
