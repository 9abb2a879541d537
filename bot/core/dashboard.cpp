#include "core/dashboard.h"

namespace tandem {

std::optional<dashboard_viewer> dashboard_viewer_of(const world& w, const std::string& collaboration,
                                                    const std::string& person) {
  const membership* m = find_membership(w, collaboration, person);
  auto who = w.people.find(person);
  if (m == nullptr || !m->active || who == w.people.end()) return std::nullopt;
  const bool facilitator = m->roles.contains(role::facilitator);
  const bool answers_for_organization = m->roles.contains(role::representative) || m->roles.contains(role::alternate);
  if (!facilitator && !answers_for_organization) return std::nullopt;
  return dashboard_viewer{person, collaboration, facilitator, m->organization, who->second.time_zone,
                          who->second.language};
}

std::string sign_in_path(const std::string& token) { return "/dashboard/sign-in/" + token; }

void complete_sign_ins(const world& w, std::vector<action>& actions, const make_secret& make) {
  std::vector<action> replies;
  for (action& a : actions) {
    auto* issue = std::get_if<issue_sign_in>(&a);
    if (issue == nullptr) continue;
    auto [token, hash] = make();
    sign_in_grant grant = issue->grant;
    grant.token_hash = std::move(hash);
    send_message reply = std::move(issue->reply);
    reply.body.values["link"] = w.engine.public_url + sign_in_path(token);
    a = save_sign_in{std::move(grant)};
    replies.emplace_back(std::move(reply));
  }
  for (action& reply : replies) actions.push_back(std::move(reply));
}

std::variant<signed_in, sign_in_refusal> redeem_sign_in(const world& w, const std::string& token_hash,
                                                        const std::string& session_id_hash, time_point now) {
  auto it = w.sign_ins.find(token_hash);
  if (it == w.sign_ins.end()) return sign_in_refusal::unknown;
  const sign_in_grant& grant = it->second;
  if (grant.used) return sign_in_refusal::used;
  if (now >= grant.expires) return sign_in_refusal::expired;
  if (!dashboard_viewer_of(w, grant.collaboration, grant.person)) return sign_in_refusal::not_allowed;
  sign_in_grant used = grant;
  used.used = now;
  dashboard_session session{session_id_hash, grant.person, grant.collaboration, now, now, std::nullopt};
  return signed_in{session, {save_sign_in{std::move(used)}, save_session{session}}};
}

std::variant<session_check, session_refusal> check_session(const world& w, const std::string& id_hash,
                                                           const std::string& collaboration, time_point now) {
  auto it = w.sessions.find(id_hash);
  if (it == w.sessions.end() || it->second.ended) return session_refusal::unknown;
  const dashboard_session& s = it->second;
  if (now - s.last_seen >= session_idle_limit || now - s.started >= session_lifetime) return session_refusal::expired;
  auto viewer = dashboard_viewer_of(w, collaboration, s.person);
  if (!viewer) return session_refusal::not_allowed;
  session_check ok{std::move(*viewer), {}};
  if (now - s.last_seen >= session_touch_every) {
    dashboard_session seen = s;
    seen.last_seen = now;
    ok.actions.emplace_back(save_session{std::move(seen)});
  }
  return ok;
}

std::vector<action> end_sessions(const world& w, const std::string& person, time_point now) {
  std::vector<action> out;
  for (const auto& [_, s] : w.sessions) {
    if (s.person != person || s.ended) continue;
    dashboard_session ended = s;
    ended.ended = now;
    out.emplace_back(save_session{std::move(ended)});
  }
  return out;
}

}  // namespace tandem
