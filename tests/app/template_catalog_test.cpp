#include "app/template_catalog.h"

#include "core/command.h"
#include "core/markup.h"
#include "support/source_tree.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>

using namespace tandem;
namespace fs = std::filesystem;

namespace {

const fs::path shipped = tandem::testing::source_tree() / "prompts";

/// A copy of the shipped templates in a fresh temporary folder, removed at the end of the test.
struct template_copy {
  fs::path dir;
  template_copy() {
    std::random_device random;
    dir = fs::temp_directory_path() / ("tandem-templates-" + std::to_string(random()));
    fs::copy(shipped, dir, fs::copy_options::recursive);
  }
  ~template_copy() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void write(const std::string& relative, const std::string& text) const { std::ofstream(dir / relative) << text; }
};

std::string error_text(const std::string& input) {
  static const template_catalog catalog = template_catalog::load(shipped);
  auto parsed = parse_command(input, date::year{2026} / 11 / 25);
  return markup_to_plain(catalog.render(std::get<parse_error>(parsed).reply, "en"));
}

}  // namespace

TEST_CASE("the shipped templates load and cover every message kind") {
  const template_catalog catalog = template_catalog::load(shipped);
  CHECK(catalog.languages().contains("en"));
  for (const auto& kind : message_kinds()) {
    INFO(kind.kind);
    nlohmann::json values = nlohmann::json::object();
    for (const auto& v : kind.variables) values[v] = "x";
    CHECK_FALSE(catalog.render(message{kind.kind, values}, "en").empty());
  }
}

TEST_CASE("errors for bad input read as the exact text users see") {
  CHECK(error_text("taks") == "I don't know the command `taks`. Did you mean `tasks`? Type `help` to see what I can do.");
  CHECK(error_text("assign @ana Draft the budget") ==
        "Put a title in double quotes.\n"
        "Write it as: `assign @who|org:<id> \"title\" [due DATE]`\n"
        "For example: `assign @ana \"Draft the budget\" due fri`");
  CHECK(error_text("assign @ana \"Budget\" due someday") ==
        "`someday` is not a date I understand. Use 2026-12-12, today, tomorrow, a weekday such as fri, in 3d or in 2w.\n"
        "Write it as: `assign @who|org:<id> \"title\" [due DATE]`\n"
        "For example: `assign @ana \"Draft the budget\" due fri`");
  CHECK(error_text("tier gold") ==
        "`gold` does not work as a tier for `tier`: use core, active, informed, observer.\n"
        "Write it as: `tier core|active|informed|observer`\n"
        "For example: `tier informed`");
  CHECK(error_text("assign @ana \"   \"") ==
        "A task needs a title: the one given is blank.\n"
        "Write it as: `assign @who|org:<id> \"title\" [due DATE]`\n"
        "For example: `assign @ana \"Draft the budget\" due fri`");
  CHECK(error_text("assign @ana \"" + std::string(230, 'x') + "\"") ==
        "A task title may have at most 200 characters; this one has 230. Shorten it and put the details in a "
        "`progress` note.\n"
        "Write it as: `assign @who|org:<id> \"title\" [due DATE]`");
  CHECK(error_text("due 12 someday") ==
        "`someday` is not a date I understand. Use 2026-12-12, today, tomorrow, a weekday such as fri, in 3d or in 2w.\n"
        "Write it as: `due N DATE|none`\n"
        "For example: `due 12 2026-12-18`");
  CHECK(error_text("done") ==
        "`done` needs `N`.\nWrite it as: `done N [note]`\nFor example: `done 12 sent to the printer`");
}

TEST_CASE("a task list renders each task on its own line with its due date") {
  const template_catalog catalog = template_catalog::load(shipped);
  const message list{"task_list",
                     {{"any", true},
                      {"count", 2},
                      {"tasks",
                       {{{"number", 3}, {"title", "Map **wetlands**"}, {"due", "2026-11-27"}, {"overdue", true}, {"note", ""}},
                        {{"number", 5}, {"title", "Print flyers"}, {"due", ""}, {"overdue", false}, {"note", "halfway"}}}}}};
  CHECK(markup_to_plain(catalog.render(list, "en")) ==
        "Your open tasks:\n"
        "- #3 Map **wetlands** (due 2026-11-27) overdue\n"
        "- #5 Print flyers: halfway\n"
        "Reply `done N`, `progress N <note>` or `blocked N <reason>`.");
}

TEST_CASE("help lists commands with their summaries from the templates") {
  const template_catalog catalog = template_catalog::load(shipped);
  const message help{"help", {{"name", "Dee"},
                              {"commands", {{{"name", "tasks"}, {"syntax", "tasks"}, {"tasks", true}},
                                            {{"name", "events"}, {"syntax", "events [#topic]"}, {"events", true}}}}}};
  CHECK(markup_to_plain(catalog.render(help, "en")) ==
        "Hi Dee, this is what I can do here:\n"
        "- `tasks` lists your open tasks\n"
        "- `events [#topic]` lists the shared calendar\n"
        "Type `help <command>` for details and an example.");
}

TEST_CASE("an unknown language falls back to English") {
  const template_catalog catalog = template_catalog::load(shipped);
  CHECK(catalog.render(message{"quiet_off", {{"tz", "UTC"}}}, "xx") == "Quiet hours are off: I may reach you at any hour (UTC).");
}

TEST_CASE("a template that uses an undeclared variable is refused, naming the file") {
  template_copy copy;
  copy.write("en/tier_set.mustache", "Tier {{tier}} for {{nickname}}\n");
  try {
    (void)template_catalog::load(copy.dir);
    FAIL("loaded");
  } catch (const template_error& e) {
    CHECK(std::string{e.what()} ==
          (copy.dir / "en" / "tier_set.mustache").string() + ": unknown variable \"nickname\" (tier_set has: tier)");
  }
}

TEST_CASE("a missing template, an unknown kind and a broken tag are each reported") {
  template_copy copy;
  fs::remove(copy.dir / "en" / "paused.mustache");
  copy.write("en/pasued.mustache", "x\n");
  copy.write("en/resumed.mustache", "{{#was_paused}}unclosed\n");
  try {
    (void)template_catalog::load(copy.dir);
    FAIL("loaded");
  } catch (const template_error& e) {
    const std::string what = e.what();
    CHECK_THAT(what, Catch::Contains((copy.dir / "en" / "paused.mustache").string() + ": missing template for message kind \"paused\""));
    CHECK_THAT(what, Catch::Contains((copy.dir / "en" / "pasued.mustache").string() + ": no message kind is called \"pasued\""));
    CHECK_THAT(what, Catch::Contains((copy.dir / "en" / "resumed.mustache").string() + ": "));
  }
}

TEST_CASE("rendering a message without a value its template prints is an error, not a blank") {
  const template_catalog catalog = template_catalog::load(shipped);
  CHECK_THROWS_WITH(catalog.render(message{"tier_set", nlohmann::json::object()}, "en"),
                    "message \"tier_set\" lacks the value \"tier\" its template prints");
  CHECK_THROWS_AS(catalog.render(message{"no_such_kind", {}}, "en"), template_error);
}

TEST_CASE("a language's syntax words must be pairs separated by a tab, and a bad line is named") {
  template_copy copy;
  copy.write("fr/syntax_words.txt", "# comment\n<reason>\t<raison>\n<note> <remarque>\n");
  try {
    (void)template_catalog::load(copy.dir);
    FAIL("loaded");
  } catch (const template_error& e) {
    CHECK(std::string{e.what()} == (copy.dir / "fr" / "syntax_words.txt").string() +
                                       ":3: write the English placeholder, a tab, and its own words");
  }
}
