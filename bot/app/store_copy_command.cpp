#include "app/store_copy_command.h"

#include "core/store.h"
#include "storage/postgresql/postgresql_store.h"
#include "storage/sqlite/sqlite_store.h"
#include "storage/sqlite/store_lock.h"

#include <filesystem>
#include <memory>
#include <optional>

namespace tandem {
namespace {

/// A store opened for the copy, with what keeps any Tandem from serving it meanwhile.
struct held_store {
  std::optional<store_lock> file_lock;                ///< a SQLite file
  std::unique_ptr<postgresql_leadership> serving;     ///< a PostgreSQL database: led by the copy
  std::unique_ptr<sql_store> store;                   ///< closed before the lock is let go
};

held_store opened(const std::string& name, bool must_exist) {
  held_store h;
  if (is_postgresql_url(name)) {
    const postgresql_address address{name, ""};
    h.serving = std::make_unique<postgresql_leadership>(address);
    if (!h.serving->try_to_lead()) {
      throw store_error(
          "postgresql store: a Tandem serves this database (it holds the advisory lock of the "
          "leading Tandem): stop every Tandem on it first");
    }
    h.store = std::make_unique<postgresql_store>(address);
    return h;
  }
  if (must_exist && !std::filesystem::exists(name)) {
    throw store_error("sqlite store: " + name + " does not exist");
  }
  h.file_lock.emplace(store_lock::exclusive(name));
  h.store = std::make_unique<sqlite_store>(name);
  return h;
}

}  // namespace

int copy_store_command(const std::string& from, const std::string& to, std::ostream& out, std::ostream& err) {
  if (from == to) {
    err << "store copy: --from and --to name the same store\n";
    return 1;
  }
  try {
    held_store source = opened(from, true);
    held_store target = opened(to, false);
    std::int64_t total = 0;
    for (const auto& [table, rows] : source.store->copy_to(*target.store)) {
      out << "  " << table << ": " << rows << '\n';
      total += rows;
    }
    out << "store copy: " << total << " rows from " << from << " to " << to
        << ", each table counted again in both; point the config's store at the copy before starting Tandem\n";
    return 0;
  } catch (const store_error& e) {
    err << "store copy: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace tandem
