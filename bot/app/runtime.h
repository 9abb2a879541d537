#pragma once
// The running program: one io_context whose single thread is the core strand, the HTTP server,
// the outbox dispatcher on a timer, the console, and a graceful shutdown on SIGINT/SIGTERM.

#include "app/config.h"

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

namespace tandem {

struct runtime_options {
  std::filesystem::path prompts_dir;          ///< folder with one subfolder of templates per language
  std::optional<std::string> console_person;  ///< console mode: read commands typed as this person
  std::istream* input = nullptr;              ///< console mode: where lines are read
  std::ostream* output = nullptr;             ///< where console messages are printed
  bool interactive = false;                   ///< show prompts and ANSI bold (a terminal)
};

/// Runs Tandem: `serve` until SIGINT/SIGTERM, console mode until end of input or `/quit`.
/// Returns the process exit code; start-up failures are logged and give a non-zero code.
int run_tandem(const tandem_config& config, const runtime_options& options);

}  // namespace tandem
