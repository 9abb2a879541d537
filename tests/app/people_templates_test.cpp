// Counts read right in English and French (CLDR plural categories from ICU), every word of a
// message in the reader's language, and digests without empty sections: rendered end to end
// from what the core decides.

#include "app/template_catalog.h"

#include "core/command.h"
#include "core/engagement.h"
#include "core/markup.h"
#include "core/sample_world.h"
#include "support/source_tree.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace tandem;
using namespace tandem::testing;
namespace fs = std::filesystem;

namespace {

const template_catalog& shipped() {
  static const template_catalog catalog = template_catalog::load(tandem::testing::source_tree() / "prompts");
  return catalog;
}

std::string render(const message& m, const std::string& language) {
  return markup_to_plain(shipped().render(m, language));
}

message status_of(int people, int open, int blocked, int done) {
  return message{"status_report",
                 {{"collaboration", "River"},
                  {"open", open},
                  {"overdue", 0},
                  {"blocked", blocked},
                  {"done", done},
                  {"organizations",
                   {{{"name", "City"},
                     {"people", people},
                     {"open", open},
                     {"overdue", 0},
                     {"blocked", blocked},
                     {"done", done}}}}}};
}

std::string parse_error_in(const std::string& input, const std::string& language) {
  auto parsed = parse_command(input, date::year{2026} / 11 / 25);
  return render(std::get<parse_error>(parsed).reply, language);
}

}  // namespace

TEST_CASE("counts take the plural form of their language: English one is 1, French one is 0 and 1") {
  CHECK(render(status_of(1, 1, 1, 1), "en") ==
        "River: 1 open task (0 overdue, 1 blocked), 1 done.\n- City: 1 person, 1 open, 0 overdue, 1 blocked, 1 done");
  CHECK(render(status_of(2, 0, 2, 0), "en") ==
        "River: 0 open tasks (0 overdue, 2 blocked), 0 done.\n- City: 2 people, 0 open, 0 overdue, 2 blocked, 0 done");
  CHECK(render(status_of(1, 1, 1, 1), "fr") ==
        "River : 1 tâche en cours (0 en retard, 1 bloquée), 1 terminée.\n"
        "- City : 1 personne, 1 en cours, 0 en retard, 1 bloquée, 1 terminée");
  CHECK(render(status_of(0, 0, 0, 0), "fr") ==
        "River : 0 tâche en cours (0 en retard, 0 bloquée), 0 terminée.\n"
        "- City : 0 personne, 0 en cours, 0 en retard, 0 bloquée, 0 terminée");
  CHECK(render(status_of(2, 3, 2, 5), "fr") ==
        "River : 3 tâches en cours (0 en retard, 2 bloquées), 5 terminées.\n"
        "- City : 2 personnes, 3 en cours, 0 en retard, 2 bloquées, 5 terminées");
  CHECK(render(message{"nudge_sent", {{"count", 1}}}, "en").starts_with("Nudged 1 person "));
  CHECK(render(message{"broadcast_sent", {{"count", 1}, {"rooms", false}}}, "fr").starts_with("Envoyé à 1 personne,"));
}

TEST_CASE("a template may use the plural flags of its numbers only") {
  const fs::path dir = fs::temp_directory_path() / "tandem-plural-flags";
  fs::remove_all(dir);
  fs::copy(tandem::testing::source_tree() / "prompts", dir, fs::copy_options::recursive);
  std::ofstream(dir / "en" / "nudge_sent.mustache") << "{{count}} {{#title_one}}x{{/title_one}}\n";
  CHECK_THROWS_WITH(template_catalog::load(dir), Catch::Contains("unknown variable \"title_one\""));
  fs::remove_all(dir);
}

TEST_CASE("the report says minutes under an hour and counts in the right form") {
  const message report{"report",
                       {{"collaboration", "River"},
                        {"since", "2026-11"},
                        {"any", true},
                        {"csv_url", ""},
                        {"json_url", ""},
                        {"rows",
                         {{{"org", "City"},
                           {"month", "2026-11"},
                           {"nudges", 1},
                           {"answered", 1},
                           {"response_rate", "100%"},
                           {"median_response_hours", nullptr},
                           {"median_response_minutes", 12},
                           {"tasks_done", 1},
                           {"tasks_on_time", 1},
                           {"approval_turnaround_days", 1.5},
                           {"people", 1},
                           {"people_active", 1},
                           {"responses", 1},
                           {"pulse", ""},
                           {"pulse_answers", 0},
                           {"comments", ""}}}}}};
  CHECK(render(report, "en") ==
        "Outcome report for River since 2026-11\n"
        "- City, 2026-11: 1 of 1 nudge answered (100%), median 12 min to respond; 1 task done, 1 on time; "
        "approvals answered in 1.5 days; 1 of 1 person active, 1 response");
  CHECK(render(report, "fr") ==
        "Bilan des résultats de River depuis le 2026-11\n"
        "- City, 2026-11 : 1 relance sur 1 a reçu une réponse (100%), réponse en 12 min (médiane) ; "
        "1 tâche terminée, dont 1 dans les délais ; approbations rendues en 1,5 jour ; 1 personne active sur 1, 1 "
        "réponse");
}

TEST_CASE("argument names, allowed values and date forms are in the reader's language") {
  const std::string missing = parse_error_in("blocked 12", "fr");
  CHECK(missing.starts_with("Il manque une raison à `blocked`."));
  CHECK(missing.find("`blocked N <raison>`") != std::string::npos);  // the syntax line names it in French too
  CHECK(parse_error_in("done twelve", "fr").find("un numéro de tâche comme 12") != std::string::npos);
  const std::string date = parse_error_in("assign @ana \"x\" due someday", "fr");
  CHECK(date.find("tomorrow (demain)") != std::string::npos);
  CHECK(date.find("a weekday") == std::string::npos);
  CHECK(parse_error_in("audit since someday", "en").find("3d ago or 2w ago") != std::string::npos);
  CHECK(parse_error_in("blocked 12", "en").starts_with("`blocked` needs a reason."));
}

TEST_CASE("a digest leaves out its empty sections, without blank lines") {
  world w = sample_world();
  w.organizations.clear();
  w.memberships.clear();
  const auto values = digest_values(w, "river", w.people.at("ana"), std::nullopt, sample_now());
  CHECK(render(message{"digest", values}, "en") == "Digest for River Alliance since 2026-11-18");
  CHECK(render(message{"digest", values}, "fr") == "Récapitulatif pour River Alliance depuis le 2026-11-18");

  world busy = sample_world();
  say(busy, "ana", "assign @bob \"Map\" due 2026-11-24", sample_now() - std::chrono::days{3});
  say(busy, "bob", "progress 1 on it", sample_now() - std::chrono::days{2});
  const auto more = digest_values(busy, "river", busy.people.at("ana"), std::nullopt, sample_now());
  CHECK(render(message{"digest", more}, "en") ==
        "Digest for River Alliance since 2026-11-18\n"
        "Overdue tasks\n"
        "- #1 Map (Bob, due 2026-11-24): on it\n"
        "Engagement by organization\n"
        "- Backbone Trust: 1 response, 1 of 1 person active\n"
        "- City of Millbrook: 1 response, 1 of 3 people active");
}

TEST_CASE("the new messages render in both languages") {
  using namespace tandem::testing;
  world w = sample_world();
  const auto welcome = say(w, "ana", "member add @gil org:city rep name \"Gil\"");
  REQUIRE(welcome.size() == 2);
  const std::string en = render(welcome[1].body, "en");
  CHECK(
      en.starts_with("Hello Gil, welcome to River Alliance, where Backbone Trust, City of Millbrook work together. "
                     "Ana added you for City of Millbrook as representative."));
  CHECK(en.find("Type `help`") != std::string::npos);
  CHECK(render(welcome[1].body, "fr").find("en tant que représentant·e") != std::string::npos);
  CHECK(render(welcome[0].body, "en") == "Added Gil: representative for City of Millbrook, tier active.");

  const auto members = say(w, "ana", "members org:city");
  CHECK(render(members[0].body, "en")
            .starts_with("4 members of City of Millbrook:\n- Bob (City of Millbrook): "
                         "representative, tier `active`, America/New_York, last response never"));
  CHECK(render(members[0].body, "fr").find("dernière réponse jamais") != std::string::npos);
  say(w, "ana", "approval open \"Budget\"");
  const auto confirm = say(w, "ana", "approval close A1");
  CHECK(render(confirm[0].body, "en") ==
        "A1 \"Budget\" still waits for 1 organization: City of Millbrook. To close it anyway, write "
        "`approval close A1 confirm`.");
  CHECK(render(say(w, "bob", "approvals")[0].body, "fr")
            .starts_with("Tours d'approbation ouverts pour City of Millbrook :\n"
                         "- A1 Budget, échéance le"));
}

TEST_CASE("the facilitators hear that an event was moved onto a clash, in their language") {
  world w = sample_world();
  say(w, "bob", "event add 2026-12-10 \"Newsletter\" #newsletter");
  say(w, "dee", "event add 2026-12-18 \"Open day\" #newsletter");
  const auto moved = say(w, "dee", "event move E2 2026-12-11");
  const auto notice = std::ranges::find_if(moved, [](const send_message& m) { return m.body.kind == "event_clash"; });
  REQUIRE(notice != moved.end());
  CHECK(render(notice->body, "en")
            .starts_with("Dee moved E2 \"Open day\" from 2026-12-18 to 2026-12-11 for City of Millbrook"));
  CHECK(render(notice->body, "fr").starts_with("Dee a déplacé E2 « Open day » du 2026-12-18 au 2026-12-11"));
  CHECK(
      render(moved[0].body, "en").starts_with("Moved E2 \"Open day\" from 2026-12-18 to 2026-12-11.\nPossible clash:"));
}
