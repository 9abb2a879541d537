#pragma once

#include <filesystem>

namespace tandem::testing {

/// The checkout the tests were built from (prompts, deploy examples, recorded data).
/// Kept out of every test's compile flags so that the compiler cache can share objects
/// between checkouts.
std::filesystem::path source_tree();

}  // namespace tandem::testing
