// The manual page hypersdk(1), in roff (man(7) macros), generated from the CLI's description
// (cli_model.h): `hypersdk man`, installed as man1/hypersdk.1 by deploy and the .deb.
#pragma once

#include <string>

#include "cli/cli_model.h"

namespace hypersdk::cli {

// `date` is shown in the page footer, e.g. "2026-11-30".
std::string man_page(const CliCommand& root, const std::string& version, const std::string& date);

}  // namespace hypersdk::cli
