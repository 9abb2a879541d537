#pragma once
// The seed: the world the config describes (collaborations, rooms, organizations, people, their
// identities and memberships, tier policies and engine settings), built while reading it.

#include "core/model.h"

#include <map>

namespace YAML {
class Node;
}

namespace tandem::config_detail {
class reader;

/// The tier policies before the config's `tiers` section changes them. Pure.
std::map<tier, tier_policy> default_tiers();

/// Reads the `tiers` section into `tiers` (which holds the defaults), reporting errors to `r`.
void read_tiers(reader& r, const YAML::Node& node, std::map<tier, tier_policy>& tiers);

/// Reads the `engine` section into `engine`, reporting errors to `r`.
void read_engine(reader& r, const YAML::Node& node, engine_settings& engine);

/// Reads the `collaborations` section of `root` into `seed`: checks each entry, then what only all
/// entries together tell (every person named, no identity claimed twice), and gives people without
/// identities their console default.
void read_collaborations(reader& r, const YAML::Node& root, world& seed);

}  // namespace tandem::config_detail
