// tandem: the command-line entry point. Subcommands: serve, console, check-config, simulate,
// matrix-registration, backup, restore.

#include "adapters/matrix/matrix_appservice.h"
#include "app/config.h"
#include "app/logging.h"
#include "app/runtime.h"
#include "app/simulation_report.h"
#include "app/store_copy_command.h"
#include "app/template_catalog.h"
#include "core/store.h"
#include "storage/postgresql/postgresql_store.h"
#include "storage/sqlite/sqlite_backup.h"
#include "storage/sqlite/store_lock.h"

#include <CLI/CLI.hpp>
#include <date/date.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <utility>

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
  for (const auto& warning : result.warnings) std::cerr << "warning: " << describe_error(file, warning) << '\n';
  for (const auto& error : result.errors) std::cerr << describe_error(file, error) << '\n';
  return result.config;
}

/// Writes `content` to `file`, readable by its owner only. Refuses to replace an existing file
/// unless `replace`. Returns an error message, empty on success.
std::string write_private_file(const std::filesystem::path& file, const std::string& content, bool replace) {
  const int flags = O_WRONLY | O_CREAT | (replace ? O_TRUNC : O_EXCL);
  const int fd = ::open(file.c_str(), flags, 0600);
  if (fd < 0) {
    return errno == EEXIST ? file.string() + " exists (use --force to replace it; its tokens stop working)"
                           : file.string() + ": " + std::strerror(errno);
  }
  std::size_t written = 0;
  while (written < content.size()) {
    const auto n = ::write(fd, content.data() + written, content.size() - written);
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  const bool ok = written == content.size() && ::fsync(fd) == 0;
  ::close(fd);
  return ok ? "" : file.string() + ": cannot write";
}

struct registration_options {
  tandem::matrix::registration_request request;
  std::string output;
  std::string token_dir;
  bool force = false;
};

/// `tandem matrix-registration`: the homeserver's registration file and Tandem's two token files.
int write_matrix_registration(const registration_options& options) {
  const std::string as_token = tandem::matrix::random_token();
  const std::string hs_token = tandem::matrix::random_token();
  std::string yaml;
  try {
    yaml = tandem::matrix::registration_yaml(options.request, as_token, hs_token);
  } catch (const std::invalid_argument& e) {
    std::cerr << "matrix-registration: " << e.what() << '\n';
    return 2;
  }
  const std::filesystem::path output = options.output;
  const std::filesystem::path dir =
      options.token_dir.empty() ? output.parent_path() : std::filesystem::path{options.token_dir};
  const auto as_file = (dir / "as_token").lexically_normal();
  const auto hs_file = (dir / "hs_token").lexically_normal();
  if (!options.force) {
    for (const auto& file : {output, as_file, hs_file}) {
      std::error_code ec;
      if (std::filesystem::exists(file, ec)) {
        std::cerr << "matrix-registration: " << file.string() << " exists (use --force to replace it; its tokens stop working)\n";
        return 1;
      }
    }
  }
  for (const auto& [file, content] : {std::pair{output, yaml}, std::pair{as_file, as_token + "\n"},
                                      std::pair{hs_file, hs_token + "\n"}}) {
    if (auto error = write_private_file(file, content, options.force); !error.empty()) {
      std::cerr << "matrix-registration: " << error << '\n';
      return 1;
    }
  }
  std::cout << "wrote " << output.string() << ": give it to the homeserver (Synapse: app_service_config_files)\n"
            << "wrote " << as_file.string() << " and " << hs_file.string() << "; in Tandem's config:\n"
            << "adapters:\n  matrix:\n    mode: appservice\n    homeserver: https://matrix.example.org\n"
            << "    user_id: \"" << options.request.user_id << "\"\n"
            << "    as_token: {file: " << std::filesystem::absolute(as_file).string() << "}\n"
            << "    hs_token: {file: " << std::filesystem::absolute(hs_file).string() << "}\n";
  return 0;
}

struct simulation_options {
  std::string config_file;
  std::string responses_file;
  std::string start;  ///< YYYY-MM-DD; default: tomorrow
  int days = 28;
  bool compact = false;
};

/// `tandem simulate`: the engine over simulated days, printed as a timeline.
int run_simulation(const simulation_options& options, const std::filesystem::path& prompts) {
  auto config = load_or_report(options.config_file);
  if (!config) return 2;
  std::vector<tandem::scripted_response> script;
  if (!options.responses_file.empty()) {
    std::ifstream in(options.responses_file);
    if (!in) {
      std::cerr << options.responses_file << ": cannot read the response script\n";
      return 2;
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto parsed = tandem::parse_response_script(text.str());
    if (const auto* error = std::get_if<std::string>(&parsed)) {
      std::cerr << options.responses_file << ": " << *error << '\n';
      return 2;
    }
    script = std::get<std::vector<tandem::scripted_response>>(parsed);
  }
  tandem::time_point start = date::floor<date::days>(std::chrono::system_clock::now()) + date::days{1};
  if (!options.start.empty()) {
    std::istringstream in{options.start};
    date::sys_days day;
    in >> date::parse("%F", day);
    if (in.fail()) {
      std::cerr << "--start " << options.start << ": write a date as YYYY-MM-DD\n";
      return 2;
    }
    start = day;
  }
  try {
    const auto templates = tandem::template_catalog::load(prompts);
    tandem::world seed = config->seed;
    seed.languages = templates.languages();
    const auto timeline = tandem::simulate(seed, start, options.days, script);
    std::cout << (options.compact ? tandem::compact_timeline(timeline)
                                  : tandem::readable_timeline(timeline, seed, templates));
  } catch (const tandem::template_error& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
  return 0;
}

struct store_file_options {
  std::string file;         ///< the backup file
  std::string store;        ///< --store
  std::string config_file;  ///< --config
};

/// The SQLite file a backup or restore works on: --store, else the config's `store`; nothing, with
/// the reason on stderr, when there is none or the store is PostgreSQL (whose own tools back it up).
std::optional<std::string> store_of(const store_file_options& options) {
  std::string store = options.store;
  if (store.empty()) {
    auto config = load_or_report(options.config_file);
    if (!config) return std::nullopt;
    store = config->store.postgresql ? config->store.describe() : config->store.sqlite_file.string();
  }
  if (tandem::is_postgresql_url(store)) {
    std::cerr << "the store " << store << " is a PostgreSQL database: back it up and restore it with pg_dump and "
              << "pg_restore (see \"PostgreSQL\" in docs/running.md); tandem backup and restore copy SQLite files\n";
    return std::nullopt;
  }
  return store;
}

/// `tandem backup FILE`: a checked copy of the store, taken while Tandem may be serving.
int write_backup(const store_file_options& options) {
  const auto store = store_of(options);
  if (!store) return 2;
  try {
    const auto facts = tandem::backup_store(*store, options.file);
    std::cout << "backup: wrote " << options.file << " from " << *store << " (schema version " << facts.schema_version
              << ", " << facts.responses << " events recorded), checked\n";
    return 0;
  } catch (const tandem::store_error& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
}

/// `tandem restore FILE`: the store replaced by a checked backup, while no Tandem runs on it.
int restore_backup(const store_file_options& options) {
  const auto store = store_of(options);
  if (!store) return 2;
  try {
    const auto lock = tandem::store_lock::exclusive(*store);
    const auto facts = tandem::restore_store(options.file, *store);
    std::cout << "restore: " << *store << " now holds " << options.file << " (schema version " << facts.schema_version
              << ", " << facts.responses << " events recorded); start Tandem: it goes on from there\n";
    return 0;
  } catch (const tandem::store_error& e) {
    std::cerr << "restore: " << e.what() << '\n';
    return 1;
  }
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
  std::string listen;
  serve->add_option("--listen", listen, "host:port to listen on, instead of the config's http.listen");
  auto* console = app.add_subcommand("console", "Chat with Tandem in this terminal as a person of the config (also serves HTTP)");
  add_common(console);
  console->add_option("--as", person, "the person you type as (switch later with /as NAME)")->required();
  std::string check_file;
  auto* check = app.add_subcommand("check-config", "Validate a config file and the message templates; list every error");
  check->add_option("file", check_file, "YAML config file")->required();
  check->add_option("--prompts", prompts_option, "message template folder to check as well");

  simulation_options simulation;
  auto* simulate = app.add_subcommand(
      "simulate", "Preview what the engine would send over the coming days: nudges, reminders, silences, digests");
  simulate->add_option("--config", simulation.config_file, "YAML config file")->required()->check(CLI::ExistingFile);
  simulate->add_option("--days", simulation.days, "how many days to simulate")->check(CLI::Range(1, 366));
  simulate->add_option("--responses", simulation.responses_file,
                       "script of responses, one per line: YYYY-MM-DD HH:MM PERSON TEXT (UTC)");
  simulate->add_option("--start", simulation.start, "first simulated day, YYYY-MM-DD (default: tomorrow)");
  simulate->add_flag("--compact", simulation.compact, "one line per message: time | person | kind | key");
  simulate->add_option("--prompts", prompts_option, "message template folder");

  registration_options registration;
  auto* matrix_registration = app.add_subcommand(
      "matrix-registration", "Write a Matrix application-service registration file with fresh random tokens");
  matrix_registration->add_option("--user-id", registration.request.user_id, "the bot's user id, e.g. @tandem:example.org")
      ->required();
  matrix_registration->add_option("--url", registration.request.url,
                                  "where the homeserver reaches Tandem's HTTP server, e.g. http://tandem:8080")
      ->required();
  matrix_registration->add_option("--id", registration.request.id, "the application service's id (default: tandem)");
  matrix_registration->add_option("--output", registration.output, "the registration file to write")->required();
  matrix_registration->add_option("--token-dir", registration.token_dir,
                                  "where to write as_token and hs_token (default: the output's folder)");
  matrix_registration->add_flag("--force", registration.force, "replace existing files (their tokens stop working)");

  store_file_options backup_options;
  auto* backup = app.add_subcommand(
      "backup", "Copy the store to FILE while Tandem runs (SQLite's online backup), then check the copy");
  backup->add_option("file", backup_options.file, "the backup file to write (an existing one is replaced)")->required();
  store_file_options restore_options;
  auto* restore = app.add_subcommand(
      "restore", "Replace the store with the backup FILE, once checked; refused while a Tandem runs on the store");
  restore->add_option("file", restore_options.file, "the backup file to restore")->required();
  for (auto [sub, options] : {std::pair{backup, &backup_options}, std::pair{restore, &restore_options}}) {
    auto* which_store = sub->add_option_group("store", "the store: one of");
    which_store->add_option("--config", options->config_file, "YAML config file: its store")->check(CLI::ExistingFile);
    which_store->add_option("--store", options->store, "the store file");
    which_store->require_option(1);
  }
  auto* store_group = app.add_subcommand("store", "Work on a store as a whole (while no Tandem serves it)");
  store_group->require_subcommand(1);
  std::string copy_from;
  std::string copy_to;
  auto* store_copy = store_group->add_subcommand(
      "copy", "Copy every row of a store into a new, empty one: SQLite to PostgreSQL or back (docs/running.md)");
  store_copy->add_option("--from", copy_from, "the store to copy: a SQLite file or a postgresql:// URL")->required();
  store_copy->add_option("--to", copy_to, "the empty store to fill: a SQLite file or a postgresql:// URL")->required();

  CLI11_PARSE(app, argc, argv);

  if (backup->parsed()) return write_backup(backup_options);
  if (store_copy->parsed()) return tandem::copy_store_command(copy_from, copy_to, std::cout, std::cerr);
  if (restore->parsed()) return restore_backup(restore_options);

  if (matrix_registration->parsed()) return write_matrix_registration(registration);
  if (simulate->parsed()) return run_simulation(simulation, find_prompts(prompts_option));

  if (check->parsed()) {
    auto result = tandem::load_config(check_file);
    for (const auto& warning : result.warnings) {
      std::cout << "warning: " << describe_error(check_file, warning) << '\n';
    }
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
  if (!listen.empty()) {
    auto address = tandem::parse_listen_address(listen);
    if (!address) {
      std::cerr << "--listen " << listen << ": write host:port, e.g. 0.0.0.0:8080 or [::1]:8080\n";
      return 2;
    }
    config->http_address = address->first;
    config->http_port = address->second;
  }
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
