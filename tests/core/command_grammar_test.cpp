#include "core/command.h"

#include "core/sample_world.h"

#include <catch2/catch.hpp>

using namespace tandem;

namespace {

date::year_month_day today() { return date::year{2026} / 11 / 25; }  // a Wednesday

std::string parsed(const std::string& text) {
  auto result = parse_command(text, today());
  if (const auto* c = std::get_if<command>(&result)) return describe(*c);
  const message& m = std::get<parse_error>(result).reply;
  return "error " + m.kind + " " + m.values.dump();
}

}  // namespace

TEST_CASE("every command in the product's table parses to its canonical form") {
  const std::vector<std::pair<std::string, std::string>> table{
      {"help", "help"},
      {"help assign", "help \"assign\""},
      {"HELP Member Add", "help \"member add\""},
      {"tasks", "tasks"},
      {"done 12", "done n=12"},
      {"done #12 sent to the printer", "done n=12 \"sent to the printer\""},
      {"progress 12 first draft shared", "progress n=12 \"first draft shared\""},
      {"blocked 12 waiting for budget", "blocked n=12 \"waiting for budget\""},
      {"tier informed", "tier tier=informed"},
      {"pause until 2027-01-06", "pause date=2027-01-06"},
      {"pause until fri", "pause date=2026-11-27"},
      {"resume", "resume"},
      {"quiet 19:00-08:00", "quiet quiet=19:00-08:00"},
      {"quiet off", "quiet quiet=off"},
      {"quiet OFF", "quiet quiet=off"},
      {"tz Europe/Berlin", "tz \"Europe/Berlin\""},
      {"lang FR", "lang \"fr\""},
      {"events", "events"},
      {"events #newsletter", "events \"newsletter\""},
      {"event add 2026-12-12 \"Spring newsletter\" #newsletter audience:public",
       "event add #newsletter \"Spring newsletter\" date=2026-12-12 link=public"},
      {"ack A3", "ack n=3"},
      {"checking a3 until 2026-12-12", "checking n=3 date=2026-12-12"},
      {"checking A3", "checking n=3"},
      {"approve A3 board agreed", "approve n=3 \"board agreed\""},
      {"abstain A3", "abstain n=3"},
      {"object A3 the budget is too high", "object n=3 \"the budget is too high\""},
      {"pulse 4 the joint grant helped", "pulse n=4 \"the joint grant helped\""},
      {"assign @ana \"Draft the budget\" due fri", "assign @ana \"Draft the budget\" date=2026-11-27"},
      {"assign org:city \u201cMap the wetlands\u201d", "assign org:city \"Map the wetlands\""},
      {"assign org:city \u00ab\u00a0Cartographier les zones humides\u00a0\u00bb", "assign org:city \"Cartographier les zones humides\""},
      {"assign org:city \u00abMap\u00bb due fri", "assign org:city \"Map\" date=2026-11-27"},
      {"assign <@U123ABC|ana> \"Budget\" due in 2w", "assign @U123ABC \"Budget\" date=2026-12-09"},
      {"assign @ana:example.org \"Budget\" due tomorrow", "assign @@ana:example.org \"Budget\" date=2026-11-26"},
      {"tasks all", "tasks \"all\""},
      {"tasks Overdue", "tasks \"overdue\""},
      {"tasks blocked", "tasks \"blocked\""},
      {"tasks @bob", "tasks @bob"},
      {"tasks org:city", "tasks org:city"},
      {"reopen 12", "reopen n=12"},
      {"cancel #12 no longer needed", "cancel n=12 \"no longer needed\""},
      {"cancel 12", "cancel n=12"},
      {"reassign 12 @dina", "reassign @dina n=12"},
      {"reassign 12 org:city", "reassign org:city n=12"},
      {"due 12 fri", "due n=12 date=2026-11-27"},
      {"due 12 in 2w", "due n=12 date=2026-12-09"},
      {"due 12 none", "due n=12"},
      {"assign @ana \"  Draft the budget  \"", "assign @ana \"Draft the budget\""},
      {"assign @ana \" \u00a0Draft the budget\u00a0 \"", "assign @ana \"Draft the budget\""},
      {"nudge all", "nudge all"},
      {"nudge org:city", "nudge org:city"},
      {"broadcast \"Call moved to 10:00\"", "broadcast \"Call moved to 10:00\""},
      {"silent", "silent"},
      {"status", "status"},
      {"digest", "digest"},
      {"audit", "audit"},
      {"audit since 2026-11-01", "audit date=2026-11-01"},
      {"approval open \"2027 budget\"", "approval open \"2027 budget\""},
      {"approval open \"2027 budget\" to org:city,org:farmers rule no-objection deadline in 2w link https://x.org/b",
       "approval open org:city org:farmers \"2027 budget\" date=2026-12-09 rule=no-objection link=https://x.org/b"},
      {"approval status A3", "approval status n=3"},
      {"approval close A3", "approval close n=3"},
      {"approval close a3 CONFIRM", "approval close n=3 confirmed"},
      {"approvals", "approvals"},
      {"members", "members"},
      {"members org:city", "members org=city"},
      {"broadcast \"Hi\"", "broadcast \"Hi\""},
      {"broadcast \"Hi\" to reps", "broadcast \"Hi\" to=reps"},
      {"broadcast \"Hi\" to all", "broadcast all \"Hi\""},
      {"broadcast \"Hi\" to org:city,org:farm", "broadcast org:city org:farm \"Hi\""},
      {"event move E7 fri", "event move n=7 date=2026-11-27"},
      {"event remove e7", "event remove n=7"},
      {"member add @dina org:city name \"Dina Osei\"", "member add @dina org=city name=\"Dina Osei\""},
      {"report since 2027-01", "report date=2027-01-01"},
      {"audit since 2w ago", "audit date=2026-11-11"},
      {"audit since mon", "audit date=2026-11-23"},
      {"audit since wed", "audit date=2026-11-25"},
      {"audit since yesterday", "audit date=2026-11-24"},
      {"handover org:city @bob @dina", "handover @bob @dina org=city"},
      {"org add library \"Millbrook Library\"", "org add org=library \"Millbrook Library\""},
      {"member add @dina org:city rep tier core", "member add @dina org=city tier=core role=representative"},
      {"member add @dina org:city", "member add @dina org=city"},
      {"member remove @dina", "member remove @dina"},
      {"facilitator add @eve", "facilitator add @eve"},
      {"report", "report"},
      {"report since 2026-09-01", "report date=2026-09-01"},
      {"dashboard", "dashboard"},
      {"token rotate feed", "token rotate \"feed\""},
      {"Token Rotate EXPORT", "token rotate \"export\""},
      {"!tandem tasks", "tasks"},
      {"/tandem tasks in:river", "tasks in=river"},
      {"", "help"},
  };
  for (const auto& [input, expected] : table) {
    INFO(input);
    CHECK(parsed(input) == expected);
  }
}

TEST_CASE("dates are understood in every documented form") {
  const std::vector<std::pair<std::string, std::string>> table{
      {"due today", "2026-11-25"},   {"due tomorrow", "2026-11-26"}, {"due fri", "2026-11-27"},
      {"due friday", "2026-11-27"},  {"due wed", "2026-12-02"},      {"due mon", "2026-11-30"},
      {"due in 3d", "2026-11-28"},   {"due in 2w", "2026-12-09"},    {"due 2027-02-28", "2027-02-28"},
      {"due 2028-02-29", "2028-02-29"}};
  for (const auto& [words, day] : table) {
    INFO(words);
    CHECK(parsed("assign @ana \"x\" " + words) == "assign @ana \"x\" date=" + day);
  }
}

TEST_CASE("bad input gets an error that names the problem and shows the right form") {
  const std::vector<std::pair<std::string, std::string>> table{
      {"frobnicate", R"(error error_unknown_command {"suggestion":"","word":"frobnicate"})"},
      {"taks", R"(error error_unknown_command {"suggestion":"tasks","word":"taks"})"},
      {"approval reopen A3",
       R"(error error_unknown_subcommand {"command":"approval open","example":"approval open \"2027 budget\" to all rule majority deadline in 2w","syntax":"approval open \"title\" [to org:a,org:b|all] [rule all|majority|no-objection] [deadline DATE] [link URL]","text":"approval reopen"})"},
      {"done", R"(error error_missing_argument {"command":"done","example":"done 12 sent to the printer","syntax":"done N [note]","what":"N","what_named":false})"},
      {"done twelve",
       R"(error error_bad_value {"allowed":"","allowed_task_number":true,"command":"done","example":"done 12 sent to the printer","syntax":"done N [note]","text":"twelve","what":"N","what_named":false})"},
      {"blocked 12",
       R"(error error_missing_argument {"arg_reason":true,"command":"blocked","example":"blocked 12 waiting for budget","syntax":"blocked N <reason>","what":"<reason>","what_named":true})"},
      {"assign @ana Draft the budget",
       R"(error error_missing_quotes {"arg_title":true,"command":"assign","example":"assign @ana \"Draft the budget\" due fri","syntax":"assign @who|org:<id> \"title\" [due DATE]","what":"\"title\"","what_named":true})"},
      {"assign @ana \"Draft the budget",
       R"(error error_unclosed_quote {"command":"help","example":"help assign","syntax":"help [command]"})"},
      {"assign @ana \"Budget\" due someday",
       R"(error error_bad_date {"command":"assign","example":"assign @ana \"Draft the budget\" due fri","since":false,"syntax":"assign @who|org:<id> \"title\" [due DATE]","text":"someday"})"},
      {"assign @ana \"Budget\" due 2026-02-30",
       R"(error error_bad_date {"command":"assign","example":"assign @ana \"Draft the budget\" due fri","since":false,"syntax":"assign @who|org:<id> \"title\" [due DATE]","text":"2026-02-30"})"},
      {"assign ana \"Budget\"",
       R"(error error_bad_value {"allowed":"","allowed_person":true,"command":"assign","example":"assign @ana \"Draft the budget\" due fri","syntax":"assign @who|org:<id> \"title\" [due DATE]","text":"ana","what":"@who|org:<id>","what_named":false})"},
      {"assign @ana \"Budget\" by friday",
       R"(error error_unexpected {"command":"assign","example":"assign @ana \"Draft the budget\" due fri","syntax":"assign @who|org:<id> \"title\" [due DATE]","text":"by friday"})"},
      {"tier gold",
       R"(error error_bad_value {"allowed":"core, active, informed, observer","arg_tier":true,"command":"tier","example":"tier informed","syntax":"tier core|active|informed|observer","text":"gold","what":"tier","what_named":true})"},
      {"pause for a week",
       R"(error error_missing_argument {"command":"pause","example":"pause until 2027-01-06","syntax":"pause until DATE","what":"until DATE","what_named":false})"},
      {"quiet 25:00-08:00",
       R"(error error_bad_value {"allowed":"","allowed_quiet_hours":true,"arg_quiet_hours":true,"command":"quiet","example":"quiet 19:00-08:00","syntax":"quiet HH:MM-HH:MM|off","text":"25:00-08:00","what":"quiet hours","what_named":true})"},
      {"object A3",
       R"(error error_missing_argument {"arg_reason":true,"command":"object","example":"object A3 the budget is too high","syntax":"object A<n> <reason>","what":"<reason>","what_named":true})"},
      {"ack 3",
       R"(error error_bad_value {"allowed":"","allowed_approval":true,"command":"ack","example":"ack A3","syntax":"ack A<n>","text":"3","what":"A<n>","what_named":false})"},
      {"pulse 7",
       R"(error error_bad_value {"allowed":"","allowed_score":true,"arg_score":true,"command":"pulse","example":"pulse 4 the joint grant helped","syntax":"pulse 1-5 [comment]","text":"7","what":"score","what_named":true})"},
      {"member add @dina city",
       R"(error error_bad_value {"allowed":"","allowed_organization":true,"command":"member add","example":"member add @dina org:city rep tier core name \"Dina Osei\"","syntax":"member add @who org:<id> [rep|alternate|participant] [tier T] [name \"Full Name\"]","text":"city","what":"org:<id>","what_named":false})"},
      {"member add @dina org:city boss",
       R"(error error_bad_value {"allowed":"rep, alternate, participant","arg_role":true,"command":"member add","example":"member add @dina org:city rep tier core name \"Dina Osei\"","syntax":"member add @who org:<id> [rep|alternate|participant] [tier T] [name \"Full Name\"]","text":"boss","what":"role","what_named":true})"},
      {"approval open \"Budget\" rule most",
       R"(error error_bad_value {"allowed":"all, majority, no-objection","arg_rule":true,"command":"approval open","example":"approval open \"2027 budget\" to all rule majority deadline in 2w","syntax":"approval open \"title\" [to org:a,org:b|all] [rule all|majority|no-objection] [deadline DATE] [link URL]","text":"most","what":"rule","what_named":true})"},
      {"event move E7",
       R"(error error_missing_argument {"arg_date":true,"command":"event move","example":"event move E7 2026-12-19","syntax":"event move E<n> DATE","what":"DATE","what_named":true})"},
      {"event remove 7",
       R"(error error_bad_value {"allowed":"","allowed_event":true,"command":"event remove","example":"event remove E7","syntax":"event remove E<n>","text":"7","what":"E<n>","what_named":false})"},
      {"event move E7 someday",
       R"(error error_bad_date {"command":"event move","example":"event move E7 2026-12-19","since":false,"syntax":"event move E<n> DATE","text":"someday"})"},
      {"audit since next week",
       R"(error error_bad_date {"command":"audit","example":"audit since 2w ago","since":true,"syntax":"audit [since DATE]","text":"next"})"},
      {"broadcast \"Hi\" to everyone",
       R"(error error_bad_value {"allowed":"","allowed_broadcast":true,"command":"broadcast","example":"broadcast \"Kick-off call moved to 10:00\" to reps","syntax":"broadcast \"text\" [to org:a,org:b|reps|all]","text":"everyone","what":"org:a,org:b|reps|all","what_named":false})"},
      {"assign @ana \"   \"",
       R"(error error_blank_title {"command":"assign","example":"assign @ana \"Draft the budget\" due fri","syntax":"assign @who|org:<id> \"title\" [due DATE]"})"},
      {"assign @ana \"" + std::string(250, 'x') + "\"",
       R"(error error_title_too_long {"command":"assign","example":"assign @ana \"Draft the budget\" due fri","length":250,"limit":200,"syntax":"assign @who|org:<id> \"title\" [due DATE]"})"},
      {"tasks mine",
       R"(error error_bad_value {"allowed":"","allowed_task_filter":true,"command":"tasks","example":"tasks","syntax":"tasks [all|overdue|blocked|@who|org:<id>]","text":"mine","what":"filter","what_named":false})"},
      {"reopen",
       R"(error error_missing_argument {"command":"reopen","example":"reopen 12","syntax":"reopen N","what":"N","what_named":false})"},
      {"reassign 12 dina",
       R"(error error_bad_value {"allowed":"","allowed_person":true,"command":"reassign","example":"reassign 12 @dina","syntax":"reassign N @who|org:<id>","text":"dina","what":"@who|org:<id>","what_named":false})"},
      {"due 12 someday",
       R"(error error_bad_date {"command":"due","example":"due 12 2026-12-18","since":false,"syntax":"due N DATE|none","text":"someday"})"},
      {"due twelve 2026-12-18",
       R"(error error_bad_value {"allowed":"","allowed_task_number":true,"command":"due","example":"due 12 2026-12-18","syntax":"due N DATE|none","text":"twelve","what":"N","what_named":false})"},
      {"status now",
       R"(error error_unexpected {"command":"status","example":"status","syntax":"status","text":"now"})"},
  };
  for (const auto& [input, expected] : table) {
    INFO(input);
    CHECK(parsed(input) == expected);
  }
}

TEST_CASE("every command has a syntax and an example that itself parses") {
  for (const command_spec& spec : command_specs()) {
    INFO(spec.name);
    auto result = parse_command(spec.example, today());
    REQUIRE(std::holds_alternative<command>(result));
    CHECK(std::get<command>(result).what == spec.what);
  }
}
