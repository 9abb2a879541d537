#pragma once
// The form of a store's numbered schema migrations, the same for every backend: each backend keeps
// its own SQL under the same numbers, so that a database of either is at the same version after
// the same steps. A backend that arrived after version 1 (PostgreSQL arrived at 10) starts with one
// step that creates the whole schema of the version it arrived at.

#include <span>

namespace tandem {

/// One step of a schema: brings a database from `version - 1` to `version`. A step that has
/// shipped is never edited: a change is a new step at the end.
struct schema_migration {
  int version;
  const char* sql;
};

/// True when the steps are numbered `first`, `first + 1`... in order, with none missing: what a
/// backend's list is checked against at compile time.
constexpr bool numbered_from(int first, std::span<const schema_migration> steps) {
  int expected = first;
  for (const schema_migration& step : steps) {
    if (step.version != expected++) return false;
  }
  return true;
}

}  // namespace tandem
