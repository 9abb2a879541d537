#pragma once
// Who may open the web dashboard, and how: personal single-use sign-in links (`dashboard`) and
// the sessions they open. Pure: the host makes the secrets (the core cannot) and hashes them;
// here the hashes are compared, lifetimes checked and the changes decided, at `now`.

#include "core/action.h"
#include "core/model.h"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace tandem {

/// How long a sign-in link may be used.
inline constexpr std::chrono::minutes sign_in_lifetime{15};
/// A session unused this long ends.
inline constexpr std::chrono::hours session_idle_limit{12};
/// A session ends this long after it started, however busy.
inline constexpr std::chrono::days session_lifetime{7};
/// A session's last use is stored again only when it is older than this (not on every page).
inline constexpr std::chrono::minutes session_touch_every{5};

/// Someone looking at a collaboration's dashboard, and what they may see there: a facilitator
/// everything, a representative (or alternate) their own organization and the rounds it is asked in.
struct dashboard_viewer {
  std::string person;
  std::string collaboration;
  bool facilitator = false;
  std::string organization;  ///< their organization; empty for a facilitator without one
  std::string time_zone = "UTC";
  std::string language = "en";
  bool operator==(const dashboard_viewer&) const = default;

  /// True when the viewer may see this organization's details.
  bool sees_organization(const std::string& org) const { return facilitator || org == organization; }
};

/// The viewer `person` is in `collaboration`, or nothing when they may not use its dashboard (not
/// an active facilitator, representative or alternate of it).
std::optional<dashboard_viewer> dashboard_viewer_of(const world& w, const std::string& collaboration,
                                                    const std::string& person);

/// The path of a sign-in link, below the public URL: "/dashboard/sign-in/<token>".
std::string sign_in_path(const std::string& token);

/// A fresh secret and its hash, as the host makes them: (token, hex SHA-256 of the token).
using make_secret = std::function<std::pair<std::string, std::string>()>;

/// Replaces each `issue_sign_in` among `actions` by the `save_sign_in` of a fresh token's hash and
/// its reply, whose values get "link": the public URL (`engine.public_url`) and sign_in_path.
void complete_sign_ins(const world& w, std::vector<action>& actions, const make_secret& make);

/// Why a sign-in link opens nothing.
enum class sign_in_refusal {
  unknown,      ///< no such link (mistyped, forged, or used before a restart)
  used,         ///< it was used already
  expired,      ///< older than sign_in_lifetime
  not_allowed,  ///< its person may no longer use the dashboard
};

/// A sign-in link that worked: the new session and what to store.
struct signed_in {
  dashboard_session session;
  std::vector<action> actions;  ///< the link marked used, the session saved
};

/// Opens a session with id hash `session_id_hash` for the link whose token hashes to
/// `token_hash`, or says why not.
std::variant<signed_in, sign_in_refusal> redeem_sign_in(const world& w, const std::string& token_hash,
                                                        const std::string& session_id_hash, time_point now);

/// Why a session shows nothing.
enum class session_refusal {
  unknown,      ///< no session (never signed in, signed out, or forged)
  expired,      ///< idle longer than session_idle_limit, or older than session_lifetime
  not_allowed,  ///< its person may no longer use this collaboration's dashboard
};

/// A session that may look at a collaboration.
struct session_check {
  dashboard_viewer viewer;
  std::vector<action> actions;  ///< the session's last use, when it is worth storing
};

/// Whether the session with `id_hash` may look at `collaboration` at `now`: a person who stopped
/// being a facilitator or representative is refused at their next request.
std::variant<session_check, session_refusal> check_session(const world& w, const std::string& id_hash,
                                                           const std::string& collaboration, time_point now);

/// Ends every open session of `person` (`dashboard signout`, the sign-out button).
std::vector<action> end_sessions(const world& w, const std::string& person, time_point now);

}  // namespace tandem
