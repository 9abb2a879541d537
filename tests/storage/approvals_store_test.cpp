// Approval rounds survive the store (each backend's, store_under_test.h): what the engine applies
// to its world, load() gives back.

#include "storage/store_under_test.h"

#include "core/approvals.h"
#include "core/engagement.h"
#include "core/engine.h"
#include "storage/store_test_values.h"

#include <date/date.h>
#include <catch2/catch.hpp>

using namespace tandem;
using namespace tandem::testing;
using namespace std::chrono_literals;

namespace {

constexpr time_point opened = std::chrono::sys_days{std::chrono::year{2026} / 11 / 25} + 10h;

person console_person(const std::string& id) {
  person p;
  p.id = id;
  p.name = id;
  p.identities = {identity{"console", "", id}};
  return p;
}

inbound typed(const std::string& who, const std::string& text, time_point at) {
  static int counter = 0;
  return inbound{"console:" + who + ":" + std::to_string(++counter),
                 identity{"console", "", who},
                 "dm:" + who,
                 true,
                 true,
                 inbound_kind::command,
                 text,
                 at,
                 ""};
}

}  // namespace

TEST_CASE("approval rounds and every field of their answers survive a round trip through apply and load") {
  fresh_store store;
  world w;
  apply_both(w, *store,
             {save_collaboration{collaboration{"river", "River Alliance", false, {}}},
              save_organization{organization{"river", "city", "City"}},
              save_organization{organization{"river", "farm", "Farm"}}, save_person{console_person("ana")},
              save_person{console_person("bob")}});
  approval_round open_round{
      1,
      "river",
      "2027 budget, \"final\"",
      "https://x.org/b",
      approval_rule::no_objection,
      opened + 14 * 24h,
      "ana",
      opened,
      std::nullopt,
      "",
      false,
      {approval_answer{"farm", approval_state::checking, "bob", opened + 1h, "", opened + 5 * 24h, true, false, true},
       approval_answer{"city", approval_state::asked, "", std::nullopt, "", std::nullopt, false, true, false}}};
  approval_round closed_round{2,
                              "river",
                              "Logo",
                              "",
                              approval_rule::majority,
                              opened + 24h,
                              "ana",
                              opened,
                              opened + 2h,
                              "system",
                              true,
                              {approval_answer{"city", approval_state::objected, "bob", opened + 1h, "too green",
                                               std::nullopt, false, false, false}}};
  apply_both(w, *store, {save_approval{open_round}, save_approval{closed_round}});
  CHECK(store->load().approvals == w.approvals);

  // Saving a round again replaces its answers, in their order.
  open_round.answers[1].state = approval_state::approved;
  open_round.answers[1].by = "ana";
  open_round.answers[1].note = "ok";
  open_round.answers.erase(open_round.answers.begin());
  open_round.closed_at = opened + 3h;
  open_round.closed_by = "ana";
  open_round.approved = true;
  apply_both(w, *store, {save_approval{open_round}});
  const world loaded = store->load();
  CHECK(loaded.approvals == w.approvals);
  CHECK(loaded.approvals.at(1).answers.size() == 1);
  CHECK(loaded.approvals.at(1).answers[0].organization == "city");
}

TEST_CASE("a round decided through the engine is the same after a reload, and its numbering continues") {
  fresh_store store;
  world w;
  membership ana{"river", "ana", "", {role::facilitator}, tier::active, true};
  membership bob{"river", "bob", "city", {role::representative}, tier::active, true};
  apply_both(w, *store,
             {save_collaboration{collaboration{"river", "River Alliance", false, {}}},
              save_organization{organization{"river", "city", "City"}}, save_person{console_person("ana")},
              save_person{console_person("bob")}, save_membership{ana}, save_membership{bob}});
  apply_both(w, *store, handle(w, typed("ana", "approval open \"Budget\" deadline 2026-12-09", opened), opened));
  apply_both(w, *store, handle(w, typed("bob", "checking A1 until 2026-12-01", opened + 1h), opened + 1h));
  apply_both(w, *store, tick(w, opened + 2h));
  const world loaded = store->load();
  CHECK(loaded.approvals == w.approvals);
  CHECK(loaded.approvals.at(1).answers.at(0).state == approval_state::checking);
  CHECK(next_approval_number(loaded) == 2);
}
