#pragma once
// `tandem store copy --from STORE --to STORE`: every row of one store into a new, empty one, SQLite
// file or PostgreSQL database either way.

#include <ostream>
#include <string>

namespace tandem {

/// Copies the store `from` into the empty store `to` (each a SQLite file or a `postgresql://` URL;
/// libpq finds a password in PGPASSWORD or ~/.pgpass), while no Tandem serves either, then prints
/// each table's count, checked in both, to `out`. Returns 0 on success; 1, with the reason on
/// `err`, when a store cannot be opened, a Tandem serves one, the source does not exist, the target
/// is not empty or the copy fails (the target then keeps nothing).
int copy_store_command(const std::string& from, const std::string& to, std::ostream& out, std::ostream& err);

}  // namespace tandem
