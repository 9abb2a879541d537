#include "app/template_catalog.h"

#include "core/command.h"
#include "core/markup.h"
#include "core/sample_world.h"
#include "support/source_tree.h"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace tandem;
namespace fs = std::filesystem;

namespace {

const template_catalog& shipped_catalog() {
  static const template_catalog catalog = template_catalog::load(tandem::testing::source_tree() / "prompts");
  return catalog;
}

std::string french(const message& m) { return markup_to_plain(shipped_catalog().render(m, "fr")); }

}  // namespace

TEST_CASE("the shipped templates come in English and French") {
  const auto& languages = shipped_catalog().languages();
  CHECK(languages.contains("en"));
  CHECK(languages.contains("fr"));
}

TEST_CASE("every message kind renders in French, differently from English") {
  for (const auto& kind : message_kinds()) {
    INFO(kind.kind);
    nlohmann::json values = nlohmann::json::object();
    for (const auto& v : kind.variables) values[v] = "x";
    const message m{kind.kind, values};
    const std::string fr = shipped_catalog().render(m, "fr");
    CHECK_FALSE(fr.empty());
    CHECK(fr != shipped_catalog().render(m, "en"));
  }
}

TEST_CASE("a new task is announced in French, commands left in English") {
  const message notice{"task_assigned_notice",
                       {{"by", "Ana"}, {"number", 7}, {"title", "Cartographier les zones humides"}, {"due", "2026-11-27"}}};
  CHECK(shipped_catalog().render(notice, "fr") ==
        "Ana vous a confié une nouvelle tâche : **#7** Cartographier les zones humides (pour le 2026-11-27).\n"
        "Quand elle sera terminée, répondez `done 7` ; si quelque chose vous bloque, `blocked 7 <raison>`.");
  const message undated{"task_assigned_notice", {{"by", "Ana"}, {"number", 8}, {"title", "Imprimer"}, {"due", ""}}};
  CHECK(french(undated) ==
        "Ana vous a confié une nouvelle tâche : #8 Imprimer.\n"
        "Quand elle sera terminée, répondez `done 8` ; si quelque chose vous bloque, `blocked 8 <raison>`.");
}

TEST_CASE("an unknown command is answered in French, with and without a suggestion") {
  CHECK(french(message{"error_unknown_command", {{"word", "taks"}, {"suggestion", "tasks"}}}) ==
        "Je ne connais pas la commande `taks`. Vouliez-vous dire `tasks` ? Tapez `help` pour voir ce que je sais faire.");
  CHECK(french(message{"error_unknown_command", {{"word", "xyzzy"}, {"suggestion", ""}}}) ==
        "Je ne connais pas la commande `xyzzy`. Tapez `help` pour voir ce que je sais faire.");
}

TEST_CASE("a French nudge lists each task on its own line") {
  const message nudge{"nudge",
                      {{"name", "Dee"},
                       {"collaboration", "River Alliance"},
                       {"first_number", 3},
                       {"first_title", "Cartographier les zones humides"},
                       {"tasks",
                        {{{"number", 3}, {"title", "Cartographier les zones humides"}, {"due", "2026-11-20"}, {"overdue", true},
                          {"note", ""}},
                         {{"number", 5}, {"title", "Imprimer les tracts"}, {"due", ""}, {"overdue", false}, {"note", "à moitié"}}}}}};
  CHECK(french(nudge) ==
        "Bonjour Dee, voici où vous en êtes dans River Alliance :\n"
        "- #3 Cartographier les zones humides (pour le 2026-11-20) en retard\n"
        "- #5 Imprimer les tracts : à moitié\n"
        "Une chose pour cette semaine : pourriez-vous faire avancer #3 « Cartographier les zones humides » ? "
        "Répondez `done 3` quand c'est terminé, ou `blocked 3 <raison>` si quelque chose vous bloque.");
}

TEST_CASE("French help uses the French command summaries") {
  const message help{"help", {{"name", "Dee"},
                              {"commands", {{{"name", "tasks"}, {"syntax", "tasks"}, {"tasks", true}},
                                            {{"name", "events"}, {"syntax", "events [#topic]"}, {"events", true}}}}}};
  CHECK(french(help) ==
        "Bonjour Dee, voici ce que je peux faire ici :\n"
        "- `tasks` liste vos tâches en cours\n"
        "- `events [#topic]` affiche le calendrier partagé\n"
        "Tapez `help <commande>` pour obtenir des détails et un exemple.");
  const message one{"help_command", {{"name", "done"}, {"syntax", "done N [note]"}, {"example", "done 12 envoyé"},
                                     {"allowed", true}, {"done", true}}};
  CHECK(french(one) == "`done N [note]`\nmarque une tâche comme terminée\nPar exemple : `done 12 envoyé`");
}

TEST_CASE("answer buttons are labelled in French") {
  CHECK(french(message{"answer_label", {{"done", true}, {"blocked", false}}}) == "Terminé");
  CHECK(french(message{"answer_label", {{"done", false}, {"blocked", true}}}) == "Bloqué");
}

TEST_CASE("lang fr is accepted when the templates include French, and later replies are addressed in French") {
  using namespace tandem::testing;
  world w = sample_world();
  CHECK(say(w, "dee", "lang fr")[0].body.kind == "error_unknown_language");
  CHECK(w.people.at("dee").language == "en");

  w.languages = shipped_catalog().languages();
  auto set = say(w, "dee", "lang fr");
  REQUIRE(set.size() == 1);
  CHECK(set[0].body.kind == "lang_set");
  CHECK(set[0].body.values["lang"] == "fr");
  CHECK(w.people.at("dee").language == "fr");
  auto tasks = say(w, "dee", "tasks");
  REQUIRE(tasks.size() == 1);
  CHECK(tasks[0].to.language == "fr");
  CHECK(french(tasks[0].body) == "Vous n'avez aucune tâche en cours. Beau travail !");
}

TEST_CASE("a syntax line in French names its placeholders in French, and keeps the words people type") {
  const auto parsed = parse_command("object A3", date::year_month_day{date::year{2026} / 11 / 25});
  REQUIRE(std::holds_alternative<parse_error>(parsed));
  const std::string error = french(std::get<parse_error>(parsed).reply);
  CHECK_THAT(error, Catch::Contains("`object A<n> <raison>`"));
  CHECK_THAT(error, !Catch::Contains("<reason>"));
  const std::string english = markup_to_plain(shipped_catalog().render(std::get<parse_error>(parsed).reply, "en"));
  CHECK_THAT(english, Catch::Contains("`object A<n> <reason>`"));
  const message help_assign{"help_command",
                            {{"name", "assign"}, {"syntax", "assign @who|org:<id> \"title\" [due DATE]"},
                             {"example", "assign @ana \"Draft the budget\" due fri"},
                             {"allowed", true}, {"assign", true}}};
  CHECK_THAT(french(help_assign), Catch::Contains("assign @qui|org:<id> \"titre\" [due DATE]"));
  CHECK_THAT(french(help_assign), Catch::Contains("assign @ana \"Draft the budget\" due fri"));  // an example stays
}
