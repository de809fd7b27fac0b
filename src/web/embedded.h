// Files embedded into the binary at build time (cmake/embed_files.cmake): the OpenAPI
// document (docs/openapi.json) and the web dashboard's assets (assets/*). Names are paths
// relative to the source tree, e.g. "docs/openapi.json", "assets/index.html".
//
// Thread safety: immutable after first use; safe from any thread.
#pragma once

#include <string_view>
#include <vector>

namespace hypersdk::web {

struct EmbeddedFile {
  std::string_view name;
  std::string_view content;
};

const std::vector<EmbeddedFile>& embedded_files();

// The file of that name, or nullptr.
const EmbeddedFile* find_embedded(std::string_view name);

// The media type served for a name, by its extension (text types carry charset=utf-8).
std::string_view media_type(std::string_view name);

}  // namespace hypersdk::web
