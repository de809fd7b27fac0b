// hypersdk: one executable. Invoked as `hypervisord` it is `hypersdk serve`; as `hyperctl`
// or `hypersdk` it is the CLI. Everything else lives in the library.
#include "cli/app.h"

int main(int argc, char** argv) {
  return hypersdk::cli::main_entry(argc, argv);
}
