// tandem: the command-line entry point. Subcommands: serve, console, check-config.

#include "app/config.h"
#include "app/logging.h"
#include "app/runtime.h"
#include "app/template_catalog.h"

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

namespace {

/// Where the message templates are: --prompts, $TANDEM_PROMPTS, an installed copy next to the
/// binary, or the source tree the binary was built from.
std::filesystem::path find_prompts(const std::string& option) {
  if (!option.empty()) return option;
  if (const char* env = std::getenv("TANDEM_PROMPTS"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed = exe.parent_path().parent_path() / "share" / "tandem" / "prompts";
    if (std::filesystem::is_directory(installed, ec)) return installed;
  }
  return TANDEM_SOURCE_PROMPTS_DIR;
}

/// `FILE: path: message`; a YAML syntax error already starts with the file name.
std::string describe_error(const std::string& file, const tandem::config_error& error) {
  const std::string text = tandem::to_string(error);
  return text.starts_with(file + ":") ? text : file + ": " + text;
}

std::optional<tandem::tandem_config> load_or_report(const std::string& file) {
  auto result = tandem::load_config(file);
  for (const auto& error : result.errors) std::cerr << describe_error(file, error) << '\n';
  return result.config;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Tandem keeps multi-stakeholder collaborations engaged: nudges, tasks, approvals, silences."};
  app.set_version_flag("--version", std::string{"tandem "} + TANDEM_VERSION);
  app.require_subcommand(1);

  std::string config_file;
  std::string prompts_option;
  std::string log_level;
  std::string log_format;
  std::string person;

  auto add_common = [&](CLI::App* sub) {
    sub->add_option("--config", config_file, "YAML config file (see deploy/demo.yaml)")->required()->check(CLI::ExistingFile);
    sub->add_option("--prompts", prompts_option, "message template folder (default: installed or source prompts/)");
    sub->add_option("--log-level", log_level, "trace, debug, info, warn or error (default: the config's)")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
    sub->add_option("--log-format", log_format, "text or json (default: the config's)")->check(CLI::IsMember({"text", "json"}));
  };

  auto* serve = app.add_subcommand("serve", "Run Tandem: HTTP endpoints, adapters, scheduler, until SIGINT/SIGTERM");
  add_common(serve);
  auto* console = app.add_subcommand("console", "Chat with Tandem in this terminal as a person of the config (also serves HTTP)");
  add_common(console);
  console->add_option("--as", person, "the person you type as (switch later with /as NAME)")->required();
  std::string check_file;
  auto* check = app.add_subcommand("check-config", "Validate a config file and the message templates; list every error");
  check->add_option("file", check_file, "YAML config file")->required();
  check->add_option("--prompts", prompts_option, "message template folder to check as well");

  CLI11_PARSE(app, argc, argv);

  if (check->parsed()) {
    auto result = tandem::load_config(check_file);
    for (const auto& error : result.errors) std::cout << describe_error(check_file, error) << '\n';
    bool ok = result.errors.empty();
    try {
      (void)tandem::template_catalog::load(find_prompts(prompts_option));
    } catch (const tandem::template_error& e) {
      std::cout << e.what() << '\n';
      ok = false;
    }
    if (ok) {
      const auto& seed = result.config->seed;
      std::cout << check_file << ": ok (collaborations: " << seed.collaborations.size()
                << ", organizations: " << seed.organizations.size() << ", people: " << seed.people.size() << ")\n";
    }
    return ok ? 0 : 1;
  }

  auto config = load_or_report(config_file);
  if (!config) return 2;
  const bool in_console = console->parsed();
  // In the console, routine logs would interleave with the chat: show warnings and worse only.
  const std::string level = !log_level.empty() ? log_level : (in_console ? "warn" : config->log_level);
  tandem::configure_logging(level, !log_format.empty() ? log_format : config->log_format);

  tandem::runtime_options options;
  options.prompts_dir = find_prompts(prompts_option);
  options.output = &std::cout;
  if (in_console) {
    if (!config->seed.people.contains(person)) {
      std::cerr << "--as " << person << ": no such person in " << config_file << '\n';
      return 2;
    }
    options.console_person = person;
    options.input = &std::cin;
    options.interactive = isatty(STDIN_FILENO) != 0 && isatty(STDOUT_FILENO) != 0;
  }
  return tandem::run_tandem(*config, options);
}
