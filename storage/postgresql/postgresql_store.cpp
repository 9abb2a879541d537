#include "storage/postgresql/postgresql_store.h"

#include "storage/postgresql/postgresql_connection.h"
#include "storage/postgresql/postgresql_migrations.h"
#include "storage/sql/sql_statements.h"

#include <memory>

namespace tandem {

using namespace postgresql_detail;

namespace {

/// The advisory lock the serving Tandem holds ("tandem serve" in ASCII, cut to 63 bits).
constexpr std::int64_t serving_lock = 0x74616e64656d73;

/// Connects to `address` and migrates the database.
std::unique_ptr<postgresql_connection> opened(const postgresql_address& address) {
  auto db = std::make_unique<postgresql_connection>(address.url, address.password);
  try {
    migrate(*db);
  } catch (const store_error& e) {
    throw store_error(std::string{"postgresql store: migrating: "} + e.what());
  }
  return db;
}

}  // namespace

postgresql_store::postgresql_store(const postgresql_address& address) : sql_store(opened(address), durable::at_commit) {
  note_commit();
}

void postgresql_store::notify_at_commit(const char* channel) {
  sql::execute(connection(), (std::string{"NOTIFY "} + channel).c_str());
}

int postgresql_store::latest_schema_version() noexcept { return postgresql_detail::latest_schema_version(); }

postgresql_leadership::postgresql_leadership(const postgresql_address& address)
    : session_(std::make_unique<postgresql_connection>(address.url, address.password)) {}

postgresql_leadership::~postgresql_leadership() = default;

bool postgresql_leadership::try_to_lead() {
  if (!backend_.empty()) return true;
  bool taken = false;
  sql::query(
      *session_, "SELECT pg_try_advisory_lock($1)", [&](const sql::row& r) { taken = r.text(0) == "t"; }, serving_lock);
  if (taken) sql::query(*session_, "SELECT pg_backend_pid()", [&](const sql::row& r) { backend_ = r.text(0); });
  return taken;
}

bool postgresql_leadership::still_leading() {
  if (backend_.empty()) return false;
  // A session's advisory lock lasts as long as the session: the same server process means the same
  // session. The connection opens a new session after a broken one, which holds no lock.
  std::string backend;
  try {
    sql::query(*session_, "SELECT pg_backend_pid()", [&](const sql::row& r) { backend = r.text(0); });
  } catch (const store_error&) {
    return false;
  }
  return backend == backend_;
}

void postgresql_leadership::listen(const char* channel) {
  sql::execute(*session_, (std::string{"LISTEN "} + channel).c_str());
}

int postgresql_leadership::socket() const { return session_->socket(); }

std::size_t postgresql_leadership::take_notifications() { return session_->take_notifications(); }

bool is_postgresql_url(std::string_view store) {
  return store.starts_with("postgresql://") || store.starts_with("postgres://");
}

}  // namespace tandem
