#pragma once
// The secret tokens each collaboration needs: "calendar" guards its .ics feed, "export" its
// outcome reports. Made once and kept until a facilitator replaces one (`token rotate`).

#include "core/action.h"
#include "core/model.h"

#include <functional>
#include <string>
#include <vector>

namespace tandem {

/// `save_secret` actions for the tokens each collaboration lacks ("calendar" for its feed,
/// "export" for its reports), each made by `generate`. Tokens are made once and kept: an
/// existing one is never replaced. Pure apart from `generate`.
std::vector<action> missing_secrets(const world& w, const std::function<std::string()>& generate);

/// Replaces each `rotate_secret` among `actions` by the `save_secret` of a fresh token made by
/// `generate`, and appends its reply with the new link ("feed_url" for "calendar", "csv_url" and
/// "json_url" for "export"). The host calls it before anything is stored. Pure apart from `generate`.
void complete_rotations(const world& w, std::vector<action>& actions, const std::function<std::string()>& generate);

}  // namespace tandem
