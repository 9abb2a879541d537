#include "core/command.h"

#include "core/dates.h"
#include "core/edit_distance.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <sstream>

namespace tandem {
namespace {

const std::vector<command_spec> specs{
    {verb::help, "help", "help [command]", "help assign", audience::everyone},
    {verb::tasks, "tasks", "tasks [all|overdue|blocked|@who|org:<id>]", "tasks", audience::everyone},
    {verb::done, "done", "done N [note]", "done 12 sent to the printer", audience::everyone},
    {verb::progress, "progress", "progress N <note>", "progress 12 first draft shared", audience::everyone},
    {verb::blocked, "blocked", "blocked N <reason>", "blocked 12 waiting for budget", audience::everyone},
    {verb::reopen, "reopen", "reopen N", "reopen 12", audience::everyone},
    {verb::tier, "tier", "tier core|active|informed|observer", "tier informed", audience::everyone},
    {verb::pause, "pause", "pause until DATE", "pause until 2027-01-06", audience::everyone},
    {verb::resume, "resume", "resume", "resume", audience::everyone},
    {verb::quiet, "quiet", "quiet HH:MM-HH:MM|off", "quiet 19:00-08:00", audience::everyone},
    {verb::tz, "tz", "tz <time zone>", "tz Europe/Berlin", audience::everyone},
    {verb::lang, "lang", "lang <language>", "lang en", audience::everyone},
    {verb::events, "events", "events [#topic]", "events #newsletter", audience::everyone},
    {verb::event_add, "event add", "event add DATE \"title\" [#topic] [audience:<who>]",
     "event add 2026-12-12 \"Spring newsletter\" #newsletter audience:public", audience::everyone},
    {verb::event_move, "event move", "event move E<n> DATE", "event move E7 2026-12-19", audience::everyone},
    {verb::event_remove, "event remove", "event remove E<n>", "event remove E7", audience::everyone},
    {verb::approvals, "approvals", "approvals", "approvals", audience::representatives},
    {verb::ack, "ack", "ack A<n>", "ack A3", audience::representatives},
    {verb::checking, "checking", "checking A<n> [until DATE]", "checking A3 until 2026-12-12",
     audience::representatives},
    {verb::approve, "approve", "approve A<n> [note]", "approve A3 board agreed", audience::representatives},
    {verb::abstain, "abstain", "abstain A<n> [note]", "abstain A3 not our area", audience::representatives},
    {verb::object, "object", "object A<n> <reason>", "object A3 the budget is too high", audience::representatives},
    {verb::pulse, "pulse", "pulse 1-5 [comment]", "pulse 4 the joint grant helped", audience::representatives},
    {verb::assign, "assign", "assign @who|org:<id> \"title\" [due DATE]", "assign @ana \"Draft the budget\" due fri",
     audience::facilitators},
    {verb::cancel, "cancel", "cancel N [reason]", "cancel 12 no longer needed", audience::facilitators},
    {verb::reassign, "reassign", "reassign N @who|org:<id>", "reassign 12 @dina", audience::facilitators},
    {verb::due, "due", "due N DATE|none", "due 12 2026-12-18", audience::facilitators},
    {verb::nudge, "nudge", "nudge @who|org:<id>|all", "nudge org:city", audience::facilitators},
    {verb::broadcast, "broadcast", "broadcast \"text\" [to org:a,org:b|reps|all]",
     "broadcast \"Kick-off call moved to 10:00\" to reps", audience::facilitators},
    {verb::members, "members", "members [org:<id>]", "members org:city", audience::facilitators},
    {verb::silent, "silent", "silent", "silent", audience::facilitators},
    {verb::status, "status", "status", "status", audience::facilitators},
    {verb::digest, "digest", "digest", "digest", audience::facilitators},
    {verb::audit, "audit", "audit [since DATE]", "audit since 2w ago", audience::facilitators},
    {verb::approval_open, "approval open",
     "approval open \"title\" [to org:a,org:b|all] [rule all|majority|no-objection] [deadline DATE] [link URL]",
     "approval open \"2027 budget\" to all rule majority deadline in 2w", audience::facilitators},
    {verb::approval_status, "approval status", "approval status A<n>", "approval status A3", audience::facilitators},
    {verb::approval_close, "approval close", "approval close A<n> [confirm]", "approval close A3 confirm",
     audience::facilitators},
    {verb::handover, "handover", "handover org:<id> @old @new", "handover org:city @bob @dina", audience::facilitators},
    {verb::org_add, "org add", "org add <id> \"Name\"", "org add library \"Millbrook Library\"",
     audience::facilitators},
    {verb::member_add, "member add",
     "member add @who org:<id> [rep|alternate|participant] [tier T] [name \"Full Name\"]",
     "member add @dina org:city rep tier core name \"Dina Osei\"", audience::facilitators},
    {verb::member_remove, "member remove", "member remove @who", "member remove @dina", audience::facilitators},
    {verb::facilitator_add, "facilitator add", "facilitator add @who", "facilitator add @eve", audience::facilitators},
    {verb::report, "report", "report [since MONTH|DATE]", "report since 2026-09", audience::facilitators},
    {verb::dashboard, "dashboard", "dashboard [signout]", "dashboard", audience::facilitators_and_representatives},
    {verb::token_rotate, "token rotate", "token rotate feed|export", "token rotate feed", audience::facilitators},
};

/// Argument names and allowed values that are words, not syntax: templates say them in the
/// reader's language, chosen by a flag (`arg_reason`, `allowed_person`).
constexpr std::array<std::pair<std::string_view, std::string_view>, 15> argument_words{{
    {"<note>", "note"}, {"<reason>", "reason"}, {"<time zone>", "time_zone"}, {"<language>", "language"},
    {"\"title\"", "title"}, {"\"text\"", "text"}, {"\"Name\"", "name"}, {"\"Full Name\"", "full_name"},
    {"DATE", "date"}, {"quiet hours", "quiet_hours"}, {"score", "score"}, {"tier", "tier"}, {"role", "role"},
    {"rule", "rule"}, {"MONTH|DATE", "month_or_date"}}};

/// Names the argument `what` for a template: `what` as written, and `arg_<name>` with
/// `what_named` when templates have a word for it.
void name_argument(nlohmann::json& values, std::string_view what) {
  values["what"] = std::string{what};
  const auto word = std::ranges::find_if(argument_words, [&](const auto& w) { return w.first == what; });
  values["what_named"] = word != argument_words.end();
  if (word != argument_words.end()) values["arg_" + std::string{word->second}] = true;
}

struct token {
  std::string text;
  bool quoted = false;
};

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Splits on white space; double quotes make one token: straight, curly (“…”), or French («…»,
/// whose inner spaces are dropped).
std::optional<std::vector<token>> tokenize(std::string_view text) {
  // Each opening quote with the closing quotes it accepts: phones mix straight and curly ones.
  struct quote_style {
    std::string_view open;
    std::array<std::string_view, 2> closes;
  };
  static constexpr std::array<quote_style, 3> quotes{quote_style{"\"", {"\"", "\u201d"}},
                                                     quote_style{"\u201c", {"\u201d", "\""}},
                                                     quote_style{"\u00ab", {"\u00bb", "\u00bb"}}};
  std::vector<token> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i])) != 0) {
      ++i;
      continue;
    }
    const auto quote = std::ranges::find_if(quotes, [&](const quote_style& q) { return text.substr(i).starts_with(q.open); });
    if (quote != quotes.end()) {
      i += quote->open.size();
      std::size_t end = std::string_view::npos;
      std::size_t close_size = 0;
      for (std::size_t j = i; j < text.size() && end == std::string_view::npos; ++j) {
        for (std::string_view close : quote->closes) {
          if (text.substr(j).starts_with(close)) {
            end = j;
            close_size = close.size();
            break;
          }
        }
      }
      if (end == std::string_view::npos) return std::nullopt;
      std::string_view inner = text.substr(i, end - i);
      if (quote->open == "\u00ab") {
        while (!inner.empty() && std::isspace(static_cast<unsigned char>(inner.front())) != 0) inner.remove_prefix(1);
        while (!inner.empty() && std::isspace(static_cast<unsigned char>(inner.back())) != 0) inner.remove_suffix(1);
        // A no-break space (U+00A0, as French keyboards type it) is white space here too.
        while (inner.starts_with("\u00a0")) inner.remove_prefix(2);
        while (inner.ends_with("\u00a0")) inner.remove_suffix(2);
      }
      tokens.push_back({std::string{inner}, true});
      i = end + close_size;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && std::isspace(static_cast<unsigned char>(text[end])) == 0) ++end;
    tokens.push_back({std::string{text.substr(i, end - i)}, false});
    i = end;
  }
  return tokens;
}

/// Without the white space (ASCII, and the no-break space U+00A0) at either end.
std::string trim(std::string_view s) {
  constexpr std::string_view no_break_space = "\u00a0";
  const auto space = [](char ch) { return std::isspace(static_cast<unsigned char>(ch)) != 0; };
  while (!s.empty()) {
    if (space(s.front())) {
      s.remove_prefix(1);
    } else if (s.starts_with(no_break_space)) {
      s.remove_prefix(no_break_space.size());
    } else if (space(s.back())) {
      s.remove_suffix(1);
    } else if (s.ends_with(no_break_space)) {
      s.remove_suffix(no_break_space.size());
    } else {
      break;
    }
  }
  return std::string{s};
}

/// The number of Unicode code points in UTF-8 text: what people count as characters.
std::size_t code_points(std::string_view utf8) {
  return static_cast<std::size_t>(
      std::ranges::count_if(utf8, [](char ch) { return (static_cast<unsigned char>(ch) & 0xC0U) != 0x80U; }));
}

std::optional<std::int64_t> parse_number(std::string_view s) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size() || value <= 0) return std::nullopt;
  return value;
}

/// Reads a command's arguments left to right; the first problem becomes the parse error.
class argument_reader {
 public:
  argument_reader(const command_spec& spec, std::vector<token> tokens, std::size_t first, date::year_month_day today)
      : spec_(spec), tokens_(std::move(tokens)), pos_(first), today_(today) {}

  bool at_end() const { return pos_ >= tokens_.size(); }
  const token* peek() const { return at_end() ? nullptr : &tokens_[pos_]; }
  bool peek_word(std::string_view word) const {
    return !at_end() && !tokens_[pos_].quoted && lowercase(tokens_[pos_].text) == word;
  }
  void skip() { ++pos_; }

  parse_error missing(std::string_view what) const {
    nlohmann::json values = nlohmann::json::object();
    name_argument(values, what);
    return error("error_missing_argument", std::move(values));
  }
  /// `allowed` is either keywords as typed ("core, active") or, as `allowed_<name>`, a
  /// description templates word themselves ("person": "a person such as @ana").
  parse_error bad_value(std::string_view what, std::string_view text, std::string_view allowed) const {
    nlohmann::json values{{"text", std::string{text}}};
    name_argument(values, what);
    if (allowed.starts_with("allowed_")) {
      values[std::string{allowed}] = true;
      values["allowed"] = "";
    } else {
      values["allowed"] = std::string{allowed};
    }
    return error("error_bad_value", std::move(values));
  }
  parse_error unquoted(std::string_view what) const {
    nlohmann::json values = nlohmann::json::object();
    name_argument(values, what);
    return error("error_missing_quotes", std::move(values));
  }
  parse_error unexpected() const { return error("error_unexpected", {{"text", remaining()}}); }

  std::optional<std::int64_t> task_number(parse_error& err) {
    if (at_end()) return fail(err, missing("N"));
    std::string_view t = tokens_[pos_].text;
    if (t.starts_with('#')) t.remove_prefix(1);
    auto n = parse_number(t);
    if (!n) return fail(err, bad_value("N", tokens_[pos_].text, "allowed_task_number"));
    ++pos_;
    return n;
  }

  std::optional<std::int64_t> prefixed_number(char prefix, parse_error& err) {
    const std::string what = std::string(1, prefix) + "<n>";
    if (at_end()) return fail(err, missing(what));
    std::string_view t = tokens_[pos_].text;
    std::optional<std::int64_t> n;
    if (!t.empty() && std::toupper(static_cast<unsigned char>(t[0])) == prefix) n = parse_number(t.substr(1));
    if (!n) return fail(err, bad_value(what, t, prefix == 'A' ? "allowed_approval" : "allowed_event"));
    ++pos_;
    return n;
  }

  /// A date ahead (`fri` is the next Friday) or, for `since`, back from today (`fri` is the last one).
  std::optional<date::year_month_day> date_value(parse_error& err, bool since = false) {
    if (at_end()) return fail(err, missing(since ? "MONTH|DATE" : "DATE"));
    std::string words = tokens_[pos_].text;
    std::size_t used = 1;
    const bool two_words = since ? pos_ + 1 < tokens_.size() && lowercase(tokens_[pos_ + 1].text) == "ago"
                                 : lowercase(words) == "in" && pos_ + 1 < tokens_.size();
    if (two_words) {
      words += " " + tokens_[pos_ + 1].text;
      used = 2;
    }
    auto day = since ? parse_past_date(words, today_) : parse_date(words, today_);
    if (!day) return fail(err, error("error_bad_date", {{"text", words}, {"since", since}}));
    pos_ += used;
    return day;
  }

  std::optional<std::string> quoted(std::string_view what, parse_error& err) {
    if (at_end()) return fail(err, missing(what));
    if (!tokens_[pos_].quoted) return fail(err, unquoted(what));
    if (tokens_[pos_].text.empty()) return fail(err, missing(what));
    return tokens_[pos_++].text;
  }

  /// A quoted task title, trimmed: neither blank nor longer than `max_task_title_length`.
  std::optional<std::string> task_title(parse_error& err) {
    auto title = quoted("\"title\"", err);
    if (!title) return std::nullopt;
    const std::string trimmed = trim(*title);
    if (trimmed.empty()) return fail(err, error("error_blank_title", nlohmann::json::object()));
    const std::size_t length = code_points(trimmed);
    if (length > max_task_title_length) {
      return fail(err, error("error_title_too_long", {{"limit", max_task_title_length}, {"length", length}}));
    }
    return trimmed;
  }

  std::optional<std::string> word(std::string_view what, parse_error& err) {
    if (at_end()) return fail(err, missing(what));
    return tokens_[pos_++].text;
  }

  std::optional<target> person(std::string_view what, parse_error& err) {
    if (at_end()) return fail(err, missing(what));
    const std::string& t = tokens_[pos_].text;
    std::string ref;
    if (t.starts_with("<@") && t.ends_with(">")) {
      ref = t.substr(2, t.size() - 3);
      ref = ref.substr(0, ref.find('|'));
    } else if (t.starts_with("@") && t.size() > 1) {
      ref = t.find(':') != std::string::npos ? t : t.substr(1);
    } else {
      return fail(err, bad_value(what, t, "allowed_person"));
    }
    ++pos_;
    return target{target::kind::person, ref};
  }

  std::optional<std::string> organization(parse_error& err) {
    if (at_end()) return fail(err, missing("org:<id>"));
    const std::string& t = tokens_[pos_].text;
    if (!t.starts_with("org:") || t.size() == 4) return fail(err, bad_value("org:<id>", t, "allowed_organization"));
    ++pos_;
    return t.substr(4);
  }

  std::optional<target> recipient(bool allow_all, parse_error& err) {
    if (at_end()) return fail(err, missing(allow_all ? "@who|org:<id>|all" : "@who|org:<id>"));
    const std::string& t = tokens_[pos_].text;
    if (t.starts_with("org:")) {
      auto org = organization(err);
      if (!org) return std::nullopt;
      return target{target::kind::organization, *org};
    }
    if (allow_all && lowercase(t) == "all") {
      ++pos_;
      return target{target::kind::everyone, ""};
    }
    return person(allow_all ? "@who|org:<id>|all" : "@who|org:<id>", err);
  }

  /// The remaining words, joined by single spaces, without consuming them.
  std::string remaining() const {
    std::string out;
    for (std::size_t i = pos_; i < tokens_.size(); ++i) {
      if (!out.empty()) out += ' ';
      out += tokens_[i].text;
    }
    return out;
  }

  /// The remaining words as free text (a note or reason), consumed.
  std::string take_rest() {
    std::string out = remaining();
    pos_ = tokens_.size();
    return out;
  }

  parse_error error(std::string kind, nlohmann::json values) const {
    values["command"] = std::string{spec_.name};
    values["syntax"] = std::string{spec_.syntax};
    values["example"] = std::string{spec_.example};
    return parse_error{message{std::move(kind), std::move(values)}};
  }

 private:
  static std::nullopt_t fail(parse_error& err, parse_error e) {
    err = std::move(e);
    return std::nullopt;
  }

  const command_spec& spec_;
  std::vector<token> tokens_;
  std::size_t pos_;
  date::year_month_day today_;
};

using parse_result = std::variant<command, parse_error>;

parse_result finish(argument_reader& r, command c) {
  if (!r.at_end()) return r.unexpected();
  return c;
}

parse_result parse_arguments(argument_reader& r, command c) {
  parse_error err;
  switch (c.what) {
    case verb::help:
      c.text = lowercase(r.take_rest());
      return c;
    case verb::tasks: {
      const token* t = r.peek();
      if (t == nullptr) return c;
      const std::string filter = lowercase(t->text);
      if (filter == "all" || filter == "overdue" || filter == "blocked") {
        c.text = filter;
        r.skip();
      } else if (filter.starts_with("org:") || filter.starts_with("@") || filter.starts_with("<@")) {
        auto who = r.recipient(false, err);
        if (!who) return err;
        c.targets.push_back(*who);
      } else {
        return r.bad_value("filter", t->text, "allowed_task_filter");
      }
      return finish(r, c);
    }
    case verb::reopen: {
      auto n = r.task_number(err);
      if (!n) return err;
      c.number = *n;
      return finish(r, c);
    }
    case verb::cancel: {
      auto n = r.task_number(err);
      if (!n) return err;
      c.number = *n;
      c.text = r.take_rest();
      return c;
    }
    case verb::reassign: {
      auto n = r.task_number(err);
      if (!n) return err;
      c.number = *n;
      auto who = r.recipient(false, err);
      if (!who) return err;
      c.targets.push_back(*who);
      return finish(r, c);
    }
    case verb::due: {
      auto n = r.task_number(err);
      if (!n) return err;
      c.number = *n;
      if (r.peek_word("none")) {
        r.skip();
      } else {
        c.date = r.date_value(err);
        if (!c.date) return err;
      }
      return finish(r, c);
    }
    case verb::resume: case verb::silent: case verb::status: case verb::digest:
      return finish(r, c);
    case verb::token_rotate: {
      auto w = r.word("feed|export", err);
      if (!w) return err;
      c.text = lowercase(*w);
      if (c.text != "feed" && c.text != "export") return r.bad_value("feed|export", *w, "feed, export");
      return finish(r, c);
    }
    case verb::dashboard:
      if (r.peek_word("signout")) {
        r.skip();
        c.text = "signout";
      }
      return finish(r, c);
    case verb::done: {
      auto n = r.task_number(err);
      if (!n) return err;
      c.number = *n;
      c.text = r.take_rest();
      return c;
    }
    case verb::progress: case verb::blocked: {
      auto n = r.task_number(err);
      if (!n) return err;
      c.number = *n;
      c.text = r.take_rest();
      if (c.text.empty()) return r.missing(c.what == verb::progress ? "<note>" : "<reason>");
      return c;
    }
    case verb::tier: {
      auto w = r.word("core|active|informed|observer", err);
      if (!w) return err;
      c.tier_value = tier_from_string(lowercase(*w));
      if (!c.tier_value) return r.bad_value("tier", *w, "core, active, informed, observer");
      return finish(r, c);
    }
    case verb::pause: {
      if (!r.peek_word("until")) return r.missing("until DATE");
      r.skip();
      c.date = r.date_value(err);
      if (!c.date) return err;
      return finish(r, c);
    }
    case verb::quiet: {
      auto w = r.word("HH:MM-HH:MM|off", err);
      if (!w) return err;
      c.quiet = parse_quiet_choice(*w);
      if (!c.quiet) return r.bad_value("quiet hours", *w, "allowed_quiet_hours");
      return finish(r, c);
    }
    case verb::tz: case verb::lang: {
      auto w = r.word(c.what == verb::tz ? "<time zone>" : "<language>", err);
      if (!w) return err;
      c.text = c.what == verb::lang ? lowercase(*w) : *w;
      return finish(r, c);
    }
    case verb::events:
      if (const token* t = r.peek(); t != nullptr && t->text.starts_with('#')) {
        c.text = t->text.substr(1);
        r.skip();
      }
      return finish(r, c);
    case verb::event_add: {
      c.date = r.date_value(err);
      if (!c.date) return err;
      auto title = r.quoted("\"title\"", err);
      if (!title) return err;
      c.text = *title;
      while (const token* t = r.peek()) {
        if (t->text.starts_with('#') && t->text.size() > 1) {
          c.targets.push_back({target::kind::everyone, t->text.substr(1)});
        } else if (t->text.starts_with("audience:") && t->text.size() > 9) {
          c.link = t->text.substr(9);
        } else {
          return r.unexpected();
        }
        r.skip();
      }
      return c;
    }
    case verb::ack: case verb::approval_status: case verb::approval_close: {
      auto n = r.prefixed_number('A', err);
      if (!n) return err;
      c.number = *n;
      if (c.what == verb::approval_close && r.peek_word("confirm")) {
        r.skip();
        c.confirmed = true;
      }
      return finish(r, c);
    }
    case verb::checking: {
      auto n = r.prefixed_number('A', err);
      if (!n) return err;
      c.number = *n;
      if (r.peek_word("until")) {
        r.skip();
        c.date = r.date_value(err);
        if (!c.date) return err;
      }
      return finish(r, c);
    }
    case verb::approve: case verb::abstain: case verb::object: {
      auto n = r.prefixed_number('A', err);
      if (!n) return err;
      c.number = *n;
      c.text = r.take_rest();
      if (c.what == verb::object && c.text.empty()) return r.missing("<reason>");
      return c;
    }
    case verb::pulse: {
      auto w = r.word("1-5", err);
      if (!w) return err;
      auto score = parse_number(*w);
      if (!score || *score > 5) return r.bad_value("score", *w, "allowed_score");
      c.number = *score;
      c.text = r.take_rest();
      return c;
    }
    case verb::assign: {
      auto who = r.recipient(false, err);
      if (!who) return err;
      c.targets.push_back(*who);
      auto title = r.task_title(err);
      if (!title) return err;
      c.text = *title;
      if (r.peek_word("due")) {
        r.skip();
        c.date = r.date_value(err);
        if (!c.date) return err;
      }
      return finish(r, c);
    }
    case verb::nudge: {
      auto who = r.recipient(true, err);
      if (!who) return err;
      c.targets.push_back(*who);
      return finish(r, c);
    }
    case verb::broadcast: {
      auto text = r.quoted("\"text\"", err);
      if (!text) return err;
      c.text = *text;
      if (r.peek_word("to")) {
        r.skip();
        auto list = r.word("org:a,org:b|reps|all", err);
        if (!list) return err;
        const std::string who = lowercase(*list);
        if (who == "all") {
          c.targets.push_back({target::kind::everyone, ""});
        } else if (who == "reps") {
          c.to_representatives = true;
        } else {
          std::stringstream parts(*list);
          for (std::string part; std::getline(parts, part, ',');) {
            if (!part.starts_with("org:") || part.size() == 4) {
              return r.bad_value("org:a,org:b|reps|all", *list, "allowed_broadcast");
            }
            c.targets.push_back({target::kind::organization, part.substr(4)});
          }
        }
      }
      return finish(r, c);
    }
    case verb::members:
      if (!r.at_end()) {
        auto org = r.organization(err);
        if (!org) return err;
        c.organization = *org;
      }
      return finish(r, c);
    case verb::approvals:
      return finish(r, c);
    case verb::event_remove: case verb::event_move: {
      auto n = r.prefixed_number('E', err);
      if (!n) return err;
      c.number = *n;
      if (c.what == verb::event_move) {
        c.date = r.date_value(err);
        if (!c.date) return err;
      }
      return finish(r, c);
    }
    case verb::audit: case verb::report:
      if (r.peek_word("since")) {
        r.skip();
        c.date = r.date_value(err, true);
        if (!c.date) return err;
      }
      return finish(r, c);
    case verb::approval_open: {
      auto title = r.quoted("\"title\"", err);
      if (!title) return err;
      c.text = *title;
      while (!r.at_end()) {
        if (r.peek_word("to")) {
          r.skip();
          auto list = r.word("org:a,org:b|all", err);
          if (!list) return err;
          if (lowercase(*list) == "all") continue;
          std::stringstream parts(*list);
          for (std::string part; std::getline(parts, part, ',');) {
            if (!part.starts_with("org:") || part.size() == 4) {
              return r.bad_value("org:a,org:b|all", *list, "allowed_organizations");
            }
            c.targets.push_back({target::kind::organization, part.substr(4)});
          }
        } else if (r.peek_word("rule")) {
          r.skip();
          auto w = r.word("all|majority|no-objection", err);
          if (!w) return err;
          const std::string rule = lowercase(*w);
          if (rule == "all") c.rule = approval_rule::all;
          else if (rule == "majority") c.rule = approval_rule::majority;
          else if (rule == "no-objection") c.rule = approval_rule::no_objection;
          else return r.bad_value("rule", *w, "all, majority, no-objection");
        } else if (r.peek_word("deadline")) {
          r.skip();
          c.date = r.date_value(err);
          if (!c.date) return err;
        } else if (r.peek_word("link")) {
          r.skip();
          auto url = r.word("URL", err);
          if (!url) return err;
          c.link = *url;
        } else {
          return r.unexpected();
        }
      }
      return c;
    }
    case verb::handover: {
      auto org = r.organization(err);
      if (!org) return err;
      c.organization = *org;
      auto old_rep = r.person("@old", err);
      if (!old_rep) return err;
      auto new_rep = r.person("@new", err);
      if (!new_rep) return err;
      c.targets = {*old_rep, *new_rep};
      return finish(r, c);
    }
    case verb::org_add: {
      auto id = r.word("<id>", err);
      if (!id) return err;
      c.organization = lowercase(*id);
      auto name = r.quoted("\"Name\"", err);
      if (!name) return err;
      c.text = *name;
      return finish(r, c);
    }
    case verb::member_add: {
      auto who = r.person("@who", err);
      if (!who) return err;
      c.targets.push_back(*who);
      auto org = r.organization(err);
      if (!org) return err;
      c.organization = *org;
      while (!r.at_end()) {
        if (r.peek_word("tier")) {
          r.skip();
          auto w = r.word("T", err);
          if (!w) return err;
          c.tier_value = tier_from_string(lowercase(*w));
          if (!c.tier_value) return r.bad_value("tier", *w, "core, active, informed, observer");
          continue;
        }
        if (r.peek_word("name")) {
          r.skip();
          auto name = r.quoted("\"Full Name\"", err);
          if (!name) return err;
          c.name = *name;
          continue;
        }
        auto w = r.word("rep|alternate|participant", err);
        if (!w) return err;
        const std::string name = lowercase(*w);
        if (name == "rep" || name == "representative") c.role_value = role::representative;
        else if (name == "alternate") c.role_value = role::alternate;
        else if (name == "participant") c.role_value = role::participant;
        else return r.bad_value("role", *w, "rep, alternate, participant");
      }
      return c;
    }
    case verb::member_remove: case verb::facilitator_add: {
      auto who = r.person("@who", err);
      if (!who) return err;
      c.targets.push_back(*who);
      return finish(r, c);
    }
  }
  return r.unexpected();
}

void append_quoted(std::string& out, std::string_view text) {
  out += " \"";
  out += text;
  out += '"';
}

}  // namespace

const std::vector<command_spec>& command_specs() { return specs; }

bool counts_as_response(verb v) {
  switch (v) {
    case verb::help: case verb::tasks: case verb::status: case verb::report: case verb::events: case verb::members:
    case verb::audit: case verb::digest: case verb::silent: case verb::approvals: case verb::approval_status:
    case verb::dashboard:
      return false;
    default:
      return true;
  }
}

const command_spec& spec_of(verb v) {
  return *std::ranges::find_if(specs, [v](const command_spec& s) { return s.what == v; });
}

std::variant<command, parse_error> parse_command(std::string_view text, date::year_month_day today) {
  const command_spec& help_spec = spec_of(verb::help);
  auto tokens = tokenize(text);
  if (!tokens) {
    return argument_reader(help_spec, {}, 0, today).error("error_unclosed_quote", {});
  }
  std::size_t first = 0;
  if (!tokens->empty() && !(*tokens)[0].quoted) {
    const std::string lead = lowercase((*tokens)[0].text);
    if (lead == "!tandem" || lead == "/tandem") first = 1;
  }
  command c;
  std::size_t i = first;
  // `in:<collaboration>` may stand anywhere; take it out before the grammar sees the words.
  for (auto it = tokens->begin() + static_cast<std::ptrdiff_t>(first); it != tokens->end();) {
    if (!it->quoted && it->text.starts_with("in:") && it->text.size() > 3) {
      c.collaboration = it->text.substr(3);
      it = tokens->erase(it);
    } else {
      ++it;
    }
  }
  if (i >= tokens->size()) {
    c.what = verb::help;
    return c;
  }
  const std::string first_word = lowercase((*tokens)[i].text);
  const std::string two_words = i + 1 < tokens->size() ? first_word + " " + lowercase((*tokens)[i + 1].text) : "";
  const command_spec* spec = nullptr;
  for (const command_spec& s : specs) {
    if (s.name == two_words) {
      spec = &s;
      i += 2;
      break;
    }
  }
  if (spec == nullptr) {
    for (const command_spec& s : specs) {
      if (s.name == first_word) {
        spec = &s;
        i += 1;
        break;
      }
    }
  }
  if (spec == nullptr) {
    // Two-word commands typed with a wrong or missing second word: show that command's form.
    for (const command_spec& s : specs) {
      if (s.name.starts_with(first_word + " ")) {
        return argument_reader(s, *tokens, i + 1, today).error("error_unknown_subcommand", {{"text", two_words.empty() ? first_word : two_words}});
      }
    }
    std::string suggestion;
    std::size_t best = 3;
    for (const command_spec& s : specs) {
      const std::string_view head = s.name.substr(0, s.name.find(' '));
      const std::size_t d = edit_distance(first_word, head);
      if (d < best) {
        best = d;
        suggestion = std::string{head};
      }
    }
    return parse_error{message{"error_unknown_command", {{"word", (*tokens)[i].text}, {"suggestion", suggestion}}}};
  }
  c.what = spec->what;
  argument_reader reader(*spec, std::move(*tokens), i, today);
  return parse_arguments(reader, std::move(c));
}

std::string describe(const command& c) {
  std::string out{spec_of(c.what).name};
  if (c.collaboration) out += " in=" + *c.collaboration;
  for (const target& t : c.targets) {
    switch (t.what) {
      case target::kind::person: out += " @" + t.ref; break;
      case target::kind::organization: out += " org:" + t.ref; break;
      case target::kind::everyone: out += t.ref.empty() ? " all" : " #" + t.ref; break;
    }
  }
  if (!c.organization.empty()) out += " org=" + c.organization;
  if (c.number != 0) out += " n=" + std::to_string(c.number);
  if (!c.text.empty()) append_quoted(out, c.text);
  if (c.date) out += " date=" + format_date(*c.date);
  if (c.tier_value) out += " tier=" + std::string{to_string(*c.tier_value)};
  if (c.role_value) out += " role=" + std::string{to_string(*c.role_value)};
  if (c.quiet) {
    out += " quiet=" + (c.quiet->empty() ? std::string{"off"}
                                         : format_minute_of_day(c.quiet->start_minute) + "-" +
                                               format_minute_of_day(c.quiet->end_minute));
  }
  if (c.rule) {
    static constexpr std::array<std::string_view, 3> rules{"all", "majority", "no-objection"};
    out += " rule=" + std::string{rules.at(static_cast<std::size_t>(*c.rule))};
  }
  if (!c.link.empty()) out += " link=" + c.link;
  if (!c.name.empty()) out += " name=\"" + c.name + "\"";
  if (c.confirmed) out += " confirmed";
  if (c.to_representatives) out += " to=reps";
  return out;
}

}  // namespace tandem
