// The command-line application: argv[0] dispatch and the CLI11 command tree.
#pragma once

namespace hypersdk::cli {

// Returns the process exit code (see exit_codes.h).
int main_entry(int argc, char** argv);

}  // namespace hypersdk::cli
