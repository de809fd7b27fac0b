#include "cli/app.h"

#include <iostream>

namespace hypersdk::cli {
int main_entry(int, char**) {
  std::cout << "hypersdk " HYPERSDK_VERSION "\n";
  return 0;
}
}  // namespace hypersdk::cli
