#include "adapters/matrix/matrix_invitations.h"

#include "adapters/http/http_types.h"

namespace tandem::matrix {

using nlohmann::json;
using std::chrono::milliseconds;

namespace {
constexpr std::string_view pending_invites_key = "matrix.pending_invites";
}  // namespace

invitations::invitations(const session_tools& tools, const installation_directory& directory, const bot_account& bot,
                         joined_direct on_joined_direct)
    : tools_(tools),
      directory_(directory),
      bot_(bot),
      on_joined_direct_(std::move(on_joined_direct)),
      timer_(tools.context.io()) {}

void invitations::note(const std::string& room_id, const std::string& inviter, bool direct) {
  pending_[room_id] = pending_invite{inviter, direct};
}

bool invitations::note_membership(const client_event& e) {
  try {
    const auto m = e.content.get<member>();
    if (m.membership != "invite") return true;
    note(e.room_id, e.sender, m.is_direct);
  } catch (const json::exception&) {
    return true;
  }
  return save();
}

void invitations::load() {
  try {
    const auto stored = tools_.state.get(pending_invites_key);
    if (!stored) return;
    const json j = json::parse(*stored, nullptr, false);
    if (!j.is_object()) return;
    for (const auto& [room_id, v] : j.items()) {
      if (!v.is_object()) continue;
      pending_.try_emplace(room_id, pending_invite{v.value("inviter", ""), v.value("direct", false)});
    }
  } catch (const std::exception& e) {
    tools_.context.log("error", std::string{"matrix: cannot read pending invitations: "} + e.what());
  }
}

bool invitations::save() {
  json j = json::object();
  for (const auto& [room_id, invite] : pending_) j[room_id] = {{"inviter", invite.inviter}, {"direct", invite.direct}};
  try {
    tools_.state.put(pending_invites_key, j.dump());
    return true;
  } catch (const std::exception& e) {
    tools_.context.log("error", std::string{"matrix: cannot store pending invitations: "} + e.what());
    return false;
  }
}

void invitations::answer() {
  if (!tools_.status.ready || tools_.status.stopping) return;
  for (const auto& [room_id, invite] : pending_) {
    if (answering_.contains(room_id)) continue;
    answering_.insert(room_id);
    const bool room_known = directory_.knows_room(room{"matrix", bot_.workspace, room_id});
    const bool person_known = directory_.knows_person(identity{"matrix", bot_.workspace, invite.inviter});
    const bool join = room_known || (invite.direct && person_known);
    const std::string path = "/rooms/" + percent_encode(room_id) + (join ? "/join" : "/leave");
    json body = json::object();
    if (!join) body["reason"] = "Tandem joins only the rooms of its collaborations and DMs from their members";
    tools_.api.call("POST", path, body, [this, room_id, invite, join](const call_outcome& outcome) {
      answered(room_id, invite, join, outcome);
    });
  }
}

void invitations::answered(const std::string& room_id, const pending_invite& invite, bool join,
                           const call_outcome& outcome) {
  answering_.erase(room_id);
  if (const auto* f = std::get_if<request_failure>(&outcome)) {
    if (!f->is(403) && !f->is(404)) {
      tools_.context.log("warn", "matrix: " + std::string{join ? "joining" : "declining"} + " " + room_id +
                                     " failed, will retry: " + f->describe());
      const milliseconds wait = f->retry_after ? milliseconds{*f->retry_after} : tools_.backoff.after(++failures_);
      return after(timer_, tools_.context, tools_.status, wait, [this] { answer(); });
    }
    tools_.context.log("info", "matrix: invitation to " + room_id + " is gone (" + f->describe() + ")");
  } else {
    tools_.context.log("info", "matrix: " + std::string{join ? "joined" : "declined"} + " " + room_id +
                                   " (invited by " + invite.inviter + ")");
    if (join && invite.direct) on_joined_direct_(invite.inviter, room_id);
  }
  failures_ = 0;
  pending_.erase(room_id);
  save();
}

}  // namespace tandem::matrix
