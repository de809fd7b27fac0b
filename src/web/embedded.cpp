#include "web/embedded.h"

namespace hypersdk::web {

const EmbeddedFile* find_embedded(std::string_view name) {
  for (const auto& f : embedded_files())
    if (f.name == name) return &f;
  return nullptr;
}

std::string_view media_type(std::string_view name) {
  const auto dot = name.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? "" : name.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "json") return "application/json";
  if (ext == "svg") return "image/svg+xml";
  return "application/octet-stream";
}

}  // namespace hypersdk::web
