#pragma once
// How far apart two words are, for "did you mean" suggestions (commands and config keys).

#include <cstddef>
#include <string_view>

namespace tandem {

/// The Levenshtein distance between `a` and `b` (insertions, deletions and substitutions of
/// bytes). Pure.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace tandem
