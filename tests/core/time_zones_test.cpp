#include "core/time_zones.h"

#include "core/engagement.h"
#include "core/sample_world.h"

#include <catch2/catch.hpp>

using namespace tandem;
using namespace tandem::testing;
using namespace std::chrono_literals;

namespace {

time_point utc(unsigned month, unsigned day, int hour, int minute = 0) {
  return date::sys_days{date::year{2026} / date::month{month} / date::day{day}} + std::chrono::hours{hour} +
         std::chrono::minutes{minute};
}

const identity dee_on_console{"console", "", "dee"};

/// The sample collaboration, where nobody gave Dee a time zone: she has the default, UTC.
world world_with_defaulted_dee() {
  world w = sample_world();
  for (auto& [_, p] : w.people) p.time_zone_origin = zone_origin::given;
  person& dee = w.people.at("dee");
  dee.time_zone = "UTC";
  dee.time_zone_origin = zone_origin::defaulted;
  w.tiers[tier::active] = tier_policy{"weekly mon 09:00", std::chrono::days{14}, std::chrono::days{3}};
  return w;
}

/// Ticks every 15 minutes from `from` to `to`, applying each tick; returns the messages for `who`.
std::vector<send_message> nudges_of(world& w, const std::string& who, time_point from, time_point to) {
  std::vector<send_message> sent;
  for (time_point t = from; t <= to; t += 15min) {
    auto actions = tick(w, t);
    apply_to_world(w, actions);
    for (auto& m : messages_in(actions)) {
      if (m.to.person == who && m.body.kind == "checkin") sent.push_back(std::move(m));
    }
  }
  return sent;
}

bool audited(const world& w, const std::string& action) {
  return std::ranges::any_of(w.audit, [&](const audit_entry& e) { return e.action == action; });
}

}  // namespace

TEST_CASE("a zone learned for someone whose zone is only the default becomes theirs, and is audited") {
  world w = world_with_defaulted_dee();
  const auto decision = on_time_zone_learned(w, dee_on_console, "Asia/Tokyo", sample_now());
  CHECK(decision.outcome == learned_zone_outcome::kept);
  CHECK(decision.person == "dee");
  REQUIRE_FALSE(decision.actions.empty());
  CHECK(decision.actions.front() == action{learn_time_zone{"dee", "Asia/Tokyo"}});
  CHECK(decision.actions.back() == action{record_audit{{sample_now(), "river", "system", "person.tz_learned",
                                                        "dee Asia/Tokyo (was UTC; from console)"}}});

  apply_to_world(w, decision.actions);
  CHECK(w.people.at("dee").time_zone == "Asia/Tokyo");
  CHECK(w.people.at("dee").time_zone_origin == zone_origin::learned);
  CHECK(audited(w, "person.tz_learned"));
}

TEST_CASE("a zone someone gave is never replaced by a learned one") {
  world w = world_with_defaulted_dee();
  say(w, "dee", "tz Europe/Lisbon");
  CHECK(w.people.at("dee").time_zone_origin == zone_origin::given);

  const auto decision = on_time_zone_learned(w, dee_on_console, "Asia/Tokyo", sample_now());
  CHECK(decision.outcome == learned_zone_outcome::not_wanted);
  CHECK(decision.actions.empty());
  // Even the action itself, applied regardless, leaves a given zone alone.
  apply_to_world(w, {learn_time_zone{"dee", "Asia/Tokyo"}});
  CHECK(w.people.at("dee").time_zone == "Europe/Lisbon");
  CHECK(w.people.at("dee").time_zone_origin == zone_origin::given);
}

TEST_CASE("a learned zone is learned once: a second report changes nothing") {
  world w = world_with_defaulted_dee();
  apply_to_world(w, on_time_zone_learned(w, dee_on_console, "Asia/Tokyo", sample_now()).actions);
  const auto again = on_time_zone_learned(w, dee_on_console, "America/Chicago", sample_now());
  CHECK(again.outcome == learned_zone_outcome::not_wanted);
  CHECK(again.actions.empty());
  CHECK(w.people.at("dee").time_zone == "Asia/Tokyo");
}

TEST_CASE("a zone the tz database does not know is rejected, and the default stays") {
  const world w = world_with_defaulted_dee();
  for (const std::string zone : {"Mars/Olympus", "", "Pacific Standard Time", "+02:00", "../../etc/passwd"}) {
    CAPTURE(zone);
    const auto decision = on_time_zone_learned(w, dee_on_console, zone, sample_now());
    CHECK(decision.outcome == learned_zone_outcome::unknown_zone);
    CHECK(decision.person == "dee");
    CHECK(decision.actions.empty());
  }
}

TEST_CASE("a zone reported for an identity nobody has is not wanted") {
  const world w = world_with_defaulted_dee();
  const auto decision = on_time_zone_learned(w, identity{"slack", "T1", "U404"}, "Asia/Tokyo", sample_now());
  CHECK(decision.outcome == learned_zone_outcome::not_wanted);
  CHECK(decision.person.empty());
  CHECK(decision.actions.empty());
}

TEST_CASE("only the identities of people whose zone is the default are wanted, on the platform asked for") {
  world w = world_with_defaulted_dee();
  w.people.at("dee").identities.push_back(identity{"slack", "T1", "UDEE"});
  w.people.at("bob").identities.push_back(identity{"slack", "T1", "UBOB"});  // given: not wanted
  CHECK(identities_wanting_time_zone(w, "slack") == std::vector<identity>{{"slack", "T1", "UDEE"}});
  CHECK(identities_wanting_time_zone(w, "console") == std::vector<identity>{dee_on_console});
  CHECK(identities_wanting_time_zone(w, "matrix").empty());
}

TEST_CASE("someone a facilitator adds by command gets the facilitator's zone as a default, which may be learned") {
  world w = world_with_defaulted_dee();
  say(w, "ana", "member add @gus org:city");
  REQUIRE(w.people.contains("gus"));
  CHECK(w.people.at("gus").time_zone == "Europe/Berlin");  // Ana's
  CHECK(w.people.at("gus").time_zone_origin == zone_origin::defaulted);
  const auto decision = on_time_zone_learned(w, identity{"console", "", "gus"}, "America/Chicago", sample_now());
  CHECK(decision.outcome == learned_zone_outcome::kept);
}

TEST_CASE("after a zone is learned, the nudge already planned goes out at the person's own local time, once") {
  world w = world_with_defaulted_dee();
  // Wednesday: the first tick plans Dee's weekly nudge for Monday 09:00 in her zone, then UTC.
  apply_to_world(w, tick(w, utc(11, 25, 10)));
  REQUIRE(w.engagements.at({"river", "dee"}).next_nudge == utc(11, 30, 9));

  apply_to_world(w, on_time_zone_learned(w, dee_on_console, "America/Los_Angeles", utc(11, 25, 11)).actions);
  CHECK(w.engagements.at({"river", "dee"}).next_nudge == utc(11, 30, 17));  // 09:00 in Los Angeles

  const auto sent = nudges_of(w, "dee", utc(11, 25, 11), utc(12, 8, 0));
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].not_before == utc(11, 30, 17));
  CHECK(sent[1].not_before == utc(12, 7, 17));
}

TEST_CASE("a zone learned after its local nudge time has passed brings the nudge now, not a skip") {
  world w = world_with_defaulted_dee();
  apply_to_world(w, tick(w, utc(11, 25, 10)));
  REQUIRE(w.engagements.at({"river", "dee"}).next_nudge == utc(11, 30, 9));

  // Monday 02:00 UTC is 11:00 in Tokyo: Monday's 09:00 there has passed; the nudge is not lost.
  apply_to_world(w, on_time_zone_learned(w, dee_on_console, "Asia/Tokyo", utc(11, 30, 2)).actions);
  CHECK(w.engagements.at({"river", "dee"}).next_nudge == utc(11, 30, 2));
  const auto sent = nudges_of(w, "dee", utc(11, 30, 2), utc(12, 7, 12));
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].not_before == utc(11, 30, 2));
  CHECK(sent[1].not_before == utc(12, 7, 0));  // the next Monday 09:00 in Tokyo
  CHECK_FALSE(audited(w, "nudge.skipped"));
}

TEST_CASE("the tz command moves the planned nudge to the new zone as well") {
  world w = world_with_defaulted_dee();
  apply_to_world(w, tick(w, utc(11, 25, 10)));
  say(w, "dee", "tz America/New_York", utc(11, 25, 11));
  CHECK(w.engagements.at({"river", "dee"}).next_nudge == utc(11, 30, 14));  // 09:00 in New York
  CHECK(w.people.at("dee").time_zone_origin == zone_origin::given);
}

TEST_CASE("slots already due are left to the tick, and slots of an unchanged zone are not touched") {
  world w = world_with_defaulted_dee();
  w.engagements[{"river", "dee"}] =
      engagement{"river", "dee", utc(11, 25, 9), std::nullopt, std::nullopt, std::nullopt};
  CHECK(follow_time_zone(w, "dee", "UTC", "Asia/Tokyo", utc(11, 25, 10)).empty());
  w.engagements[{"river", "dee"}].next_nudge = utc(11, 30, 9);
  CHECK(follow_time_zone(w, "dee", "UTC", "UTC", utc(11, 25, 10)).empty());
  CHECK(follow_time_zone(w, "dee", "UTC", "Asia/Tokyo", utc(11, 25, 10)) ==
        std::vector<action>{
            save_engagement{engagement{"river", "dee", utc(11, 30, 0), std::nullopt, std::nullopt, std::nullopt}}});
}
