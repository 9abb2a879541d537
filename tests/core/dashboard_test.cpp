// The dashboard's rules and page data: who gets a sign-in link, how long links and sessions last,
// who is refused, and what each page shows of the world (core/dashboard.h, dashboard_pages.h).

#include "core/dashboard.h"
#include "core/dashboard_pages.h"
#include "core/sample_world.h"

#include <catch2/catch.hpp>

#include <tuple>

using namespace tandem;
using namespace tandem::testing;

namespace {

/// Secrets made in order: "token-1" hashed as "hash-of-token-1", ...
make_secret counting_secrets() {
  auto n = std::make_shared<int>(0);
  return [n] {
    const std::string token = "token-" + std::to_string(++*n);
    return std::pair{token, "hash-of-" + token};
  };
}

/// `who` types `dashboard` in their DM; the host completes the link. Returns the messages sent.
std::vector<send_message> ask_for_link(world& w, const std::string& who, time_point at = sample_now()) {
  auto actions = handle(w, typed(who, "dashboard", at), at);
  complete_sign_ins(w, actions, counting_secrets());
  apply_to_world(w, actions);
  return messages_in(actions);
}

std::string session_of(world& w, const std::string& token_hash, time_point at) {
  auto opened = redeem_sign_in(w, token_hash, "session-hash", at);
  REQUIRE(std::holds_alternative<signed_in>(opened));
  apply_to_world(w, std::get<signed_in>(opened).actions);
  return "session-hash";
}

template <typename Refusal, typename Result>
std::optional<Refusal> refusal(const Result& r) {
  if (auto* refused = std::get_if<Refusal>(&r)) return *refused;
  return std::nullopt;
}

}  // namespace

TEST_CASE("a facilitator asking in a DM gets a personal link that works once, for 15 minutes") {
  world w = sample_world();
  w.engine.public_url = "https://tandem.example.org";
  auto sent = ask_for_link(w, "ana");
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].body.kind == "dashboard_link");
  CHECK(sent[0].body.values["link"] == "https://tandem.example.org/dashboard/sign-in/token-1");
  CHECK(sent[0].body.values["minutes"] == 15);
  REQUIRE(w.sign_ins.contains("hash-of-token-1"));
  CHECK(w.sign_ins.at("hash-of-token-1").person == "ana");
  CHECK_FALSE(w.sign_ins.contains("token-1"));  // only the hash is kept

  auto opened = redeem_sign_in(w, "hash-of-token-1", "session-hash", sample_now() + std::chrono::minutes{14});
  REQUIRE(std::holds_alternative<signed_in>(opened));
  CHECK(std::get<signed_in>(opened).session.collaboration == "river");
  apply_to_world(w, std::get<signed_in>(opened).actions);
  CHECK(refusal<sign_in_refusal>(redeem_sign_in(w, "hash-of-token-1", "other", sample_now() + std::chrono::minutes{14})) ==
        sign_in_refusal::used);
}

TEST_CASE("an expired, forged or no longer allowed link opens nothing") {
  world w = sample_world();
  ask_for_link(w, "ana");
  CHECK(refusal<sign_in_refusal>(redeem_sign_in(w, "hash-of-token-1", "s", sample_now() + std::chrono::minutes{15})) ==
        sign_in_refusal::expired);
  CHECK(refusal<sign_in_refusal>(redeem_sign_in(w, "hash-of-forged", "s", sample_now())) == sign_in_refusal::unknown);
  w.memberships.at({"river", "ana"}).active = false;
  CHECK(refusal<sign_in_refusal>(redeem_sign_in(w, "hash-of-token-1", "s", sample_now())) ==
        sign_in_refusal::not_allowed);
}

TEST_CASE("representatives and alternates get a link; participants are told it is not for them") {
  world w = sample_world();
  CHECK(ask_for_link(w, "bob").at(0).body.kind == "dashboard_link");
  CHECK(ask_for_link(w, "cy").at(0).body.kind == "dashboard_link");
  auto refused = ask_for_link(w, "dee");
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].body.kind == "error_not_allowed");
  CHECK(refused[0].body.values["both"] == true);
}

TEST_CASE("a link is never posted in a room") {
  world w = sample_world();
  inbound in_room = typed("ana", "dashboard");
  in_room.direct = false;
  in_room.conversation = "river-room";
  auto sent = messages_in(handle(w, in_room, sample_now()));
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].body.kind == "dashboard_only_in_dm");
  CHECK(w.sign_ins.empty());
}

TEST_CASE("a session ends after 12 idle hours or 7 days, and its last use is stored now and then") {
  world w = sample_world();
  ask_for_link(w, "ana");
  const std::string session = session_of(w, "hash-of-token-1", sample_now());
  const auto look = [&](time_point at) { return check_session(w, session, "river", at); };

  auto soon = look(sample_now() + std::chrono::minutes{1});
  REQUIRE(std::holds_alternative<session_check>(soon));
  CHECK(std::get<session_check>(soon).actions.empty());  // seen a minute ago: not worth a write
  auto later = look(sample_now() + std::chrono::hours{11});
  REQUIRE(std::holds_alternative<session_check>(later));
  REQUIRE(std::get<session_check>(later).actions.size() == 1);
  apply_to_world(w, std::get<session_check>(later).actions);

  CHECK(std::holds_alternative<session_check>(look(sample_now() + std::chrono::hours{22})));
  CHECK(refusal<session_refusal>(look(sample_now() + std::chrono::hours{23})) == session_refusal::expired);

  for (int day = 1; day < 7; ++day) {  // busy every day: still ends after a week
    auto busy = look(sample_now() + std::chrono::days{day});
    if (auto* ok = std::get_if<session_check>(&busy)) apply_to_world(w, ok->actions);
  }
  CHECK(refusal<session_refusal>(look(sample_now() + std::chrono::days{7})) == session_refusal::expired);
}

TEST_CASE("a facilitator who is removed loses access at the next request") {
  world w = sample_world();
  add_member(w, console_person("eve", "Eve"), "backbone", {role::facilitator});
  ask_for_link(w, "eve");
  const std::string session = session_of(w, "hash-of-token-1", sample_now());
  CHECK(std::holds_alternative<session_check>(check_session(w, session, "river", sample_now())));
  say(w, "ana", "member remove @eve");
  CHECK(refusal<session_refusal>(check_session(w, session, "river", sample_now())) == session_refusal::not_allowed);
}

TEST_CASE("dashboard signout ends every session of the sender") {
  world w = sample_world();
  ask_for_link(w, "ana");
  const std::string session = session_of(w, "hash-of-token-1", sample_now());
  auto sent = say(w, "ana", "dashboard signout");
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].body.kind == "dashboard_signed_out");
  CHECK(sent[0].body.values["n"] == 1);
  CHECK(refusal<session_refusal>(check_session(w, session, "river", sample_now())) == session_refusal::unknown);
}

TEST_CASE("a command from the dashboard runs as its signed-in person, and its audit line says so") {
  world w = sample_world();
  inbound from_web{"dashboard:n1", identity{std::string{dashboard_platform}, "", "ana"}, "results-1", true, true,
                   inbound_kind::command, "assign @dee \"Map the wetlands\" in:river", sample_now(), ""};
  auto actions = handle(w, from_web, sample_now());
  apply_to_world(w, actions);
  REQUIRE(w.tasks.size() == 1);
  CHECK(w.tasks.begin()->second.created_by == "ana");
  REQUIRE_FALSE(w.audit.empty());
  CHECK(w.audit.back().action == "task.assign");
  CHECK(w.audit.back().via == "dashboard");
  const auto sent = messages_in(actions);
  CHECK(sent.at(0).to.platform == dashboard_platform);  // the reply goes back to the page
  CHECK(sent.at(1).to.person == "dee");                 // the notice goes to the assignee's chat

  inbound participant = from_web;
  participant.dedup_key = "dashboard:n2";
  participant.sender.user = "dee";
  auto refused = messages_in(handle(w, participant, sample_now()));
  CHECK(refused.at(0).body.kind == "error_not_allowed");  // the same permission check as chat
}

TEST_CASE("the overview counts each organization's open, overdue and blocked tasks") {
  world w = sample_world();
  say(w, "ana", "assign @dee \"Survey\" due 2026-11-27");
  say(w, "ana", "assign org:city \"Permit\" due 2026-11-30");
  say(w, "ana", "assign @ana \"Agenda\"");
  say(w, "dee", "blocked 1 waiting for boots");
  const auto later = sample_now() + std::chrono::days{4};  // 2026-11-29: #1 is overdue, #2 not yet
  const overview_page page = overview(w, *dashboard_viewer_of(w, "river", "ana"), later);
  REQUIRE(page.organizations.size() == 2);
  const organization_summary& city = page.organizations[1];
  CHECK(city.id == "city");
  CHECK(city.open_tasks == 2);
  CHECK(city.overdue_tasks == 1);
  CHECK(city.blocked_tasks == 1);
  CHECK(page.organizations[0].open_tasks == 1);
  CHECK(city.trend.size() == 6);
  CHECK(city.trend.back().first == "2026-11");
}

TEST_CASE("the overview lists current silences with what the ladder tried, longest first") {
  world w = sample_world();
  const auto silent = [](silence_subject subject, std::string id, std::chrono::days since, std::chrono::days heard) {
    silence s;
    s.collaboration = "river";
    s.subject = subject;
    s.id = std::move(id);
    s.since = sample_now() - since;
    s.last_heard = sample_now() - heard;
    return s;
  };
  silence dee = silent(silence_subject::person, "dee", std::chrono::days{2}, std::chrono::days{20});
  dee.told_person = sample_now() - std::chrono::days{1};
  const silence city = silent(silence_subject::organization, "city", std::chrono::days{5}, std::chrono::days{30});
  silence ended = silent(silence_subject::person, "bob", std::chrono::days{9}, std::chrono::days{40});
  ended.ended = sample_now() - std::chrono::days{1};
  for (const silence& s : {dee, city, ended}) w.silences[{s.collaboration, s.subject, s.id}] = s;
  const overview_page page = overview(w, *dashboard_viewer_of(w, "river", "ana"), sample_now());
  REQUIRE(page.silences.size() == 2);
  CHECK(page.silences[0].id == "city");
  CHECK(page.silences[0].name == "City of Millbrook");
  CHECK(page.silences[1].name == "Dee");
  CHECK(page.silences[1].organization == "city");
  CHECK(page.silences[1].told_person == sample_now() - std::chrono::days{1});
}

TEST_CASE("a representative sees their own organization and the rounds it is asked in, not the others") {
  world w = sample_world();
  w.organizations[{"river", "farm"}] = organization{"river", "farm", "Farmers"};
  add_member(w, console_person("fay", "Fay"), "farm", {role::representative});
  say(w, "ana", "approval open \"Budget\" to org:city,org:farm");
  say(w, "ana", "approval open \"Logo\" to org:farm");
  say(w, "bob", "checking A1");
  say(w, "ana", "assign @fay \"Farm survey\"");
  const dashboard_viewer bob = *dashboard_viewer_of(w, "river", "bob");
  CHECK_FALSE(bob.facilitator);
  const overview_page page = overview(w, bob, sample_now());
  REQUIRE(page.organizations.size() == 1);
  CHECK(page.organizations[0].id == "city");
  REQUIRE(page.open_rounds.size() == 1);
  CHECK(page.open_rounds[0].round.number == 1);
  REQUIRE(page.open_rounds[0].cells.size() == 2);
  CHECK(page.open_rounds[0].cells[0].state == approval_state::checking);
  CHECK(task_rows(w, bob, tasks_query{}, sample_now()).empty());
  CHECK(people_rows(w, bob, people_query{}).size() == 3);  // bob, cy, dee
  CHECK(round_rows(w, *dashboard_viewer_of(w, "river", "ana")).size() == 2);
}

TEST_CASE("the people page filters by organization and sorts by name or by silence") {
  world w = sample_world();
  silence dee;
  dee.collaboration = "river";
  dee.id = "dee";
  dee.since = sample_now();
  w.silences[{"river", silence_subject::person, "dee"}] = dee;
  const dashboard_viewer ana = *dashboard_viewer_of(w, "river", "ana");
  const auto ids = [](const std::vector<person_row>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r.id);
    return out;
  };
  CHECK(ids(people_rows(w, ana, {})) == std::vector<std::string>{"ana", "bob", "cy", "dee"});
  CHECK(ids(people_rows(w, ana, {"city", "name"})) == std::vector<std::string>{"bob", "cy", "dee"});
  CHECK(ids(people_rows(w, ana, {"", "silence"})).front() == "dee");
  CHECK(people_rows(w, ana, {"city", "name"})[0].roles == std::set{role::representative});
}

TEST_CASE("the tasks page filters by state and person, soonest due first") {
  world w = sample_world();
  say(w, "ana", "assign @dee \"Later\" due 2026-12-20");
  say(w, "ana", "assign @dee \"Sooner\" due 2026-12-01");
  say(w, "ana", "assign @bob \"Whenever\"");
  say(w, "ana", "cancel 3");
  const dashboard_viewer ana = *dashboard_viewer_of(w, "river", "ana");
  const auto numbers = [&](const tasks_query& q) {
    std::vector<std::int64_t> out;
    for (const auto& t : task_rows(w, ana, q, sample_now())) out.push_back(t.number);
    return out;
  };
  CHECK(numbers({}) == std::vector<std::int64_t>{2, 1});
  CHECK(numbers({"all", "", ""}) == std::vector<std::int64_t>{2, 1, 3});
  CHECK(numbers({"cancelled", "", ""}) == std::vector<std::int64_t>{3});
  CHECK(numbers({"all", "", "bob"}) == std::vector<std::int64_t>{3});
  CHECK(task_rows(w, ana, {}, sample_now())[0].assignee_ref == "@dee");
}

TEST_CASE("the audit page asks the store for its collaboration's page, and for the last page when asked past it") {
  world w = sample_world();
  const dashboard_viewer ana = *dashboard_viewer_of(w, "river", "ana");
  std::vector<std::tuple<audit_selection, std::size_t, std::size_t>> asked;
  const audit_reader store = [&](const audit_selection& which, std::size_t offset, std::size_t limit) {
    asked.emplace_back(which, offset, limit);
    audit_lines lines;
    lines.total = 120;
    for (std::size_t i = offset; i < 120 && i < offset + limit; ++i) {
      lines.entries.push_back(
          audit_entry{sample_now(), which.collaboration, "ana", "task.assign", std::to_string(119 - i)});
    }
    return lines;
  };

  const audit_page first = audit_rows(ana, {"task", "ana", 1}, store);
  CHECK(first.total == 120);
  CHECK(first.pages == 3);
  CHECK(first.page == 1);
  CHECK(first.entries.size() == 50);
  CHECK(first.entries.front().detail == "119");
  REQUIRE(asked.size() == 1);
  CHECK(std::get<0>(asked[0]).collaboration == "river");
  CHECK(std::get<0>(asked[0]).kind == "task");
  CHECK(std::get<0>(asked[0]).actor == "ana");

  asked.clear();
  const audit_page past_the_end = audit_rows(ana, {"", "", 99}, store);
  CHECK(past_the_end.page == 3);
  CHECK(past_the_end.entries.size() == 20);
  REQUIRE(asked.size() == 2);  // page 99 was empty: the last page was read instead
  CHECK(std::get<1>(asked[1]) == 100);
  CHECK(audit_rows(ana, {"", "", 0}, store).page == 1);
}

TEST_CASE("the calendar page shows one month's events with their clashes") {
  world w = sample_world();
  say(w, "ana", "event add 2026-12-03 \"Newsletter\" #news");
  say(w, "bob", "event add 2026-12-04 \"Press release\" #news");
  say(w, "ana", "event add 2027-01-10 \"Kick-off\"");
  const calendar_month december =
      calendar_page(w, *dashboard_viewer_of(w, "river", "ana"), date::year{2026} / date::December);
  REQUIRE(december.events.size() == 2);
  CHECK(december.events[0].title == "Newsletter");
  CHECK(december.events[0].clashes == std::vector<std::int64_t>{2});
}
