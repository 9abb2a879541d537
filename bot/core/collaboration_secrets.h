#pragma once
// The secret tokens each collaboration needs: "calendar" guards its .ics feed, "export" its
// outcome reports. Made once and kept.

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

}  // namespace tandem
