// The core's readers of text people type (the command grammar, dates, schedules) and the text
// formats it writes for other programs (.ics feeds, CSV reports), which must read back as written.

#include "fuzz/fuzz_targets.h"

#include "core/calendar.h"
#include "core/command.h"
#include "core/dates.h"
#include "core/reports.h"
#include "core/schedule.h"

#include <chrono>
#include <string>
#include <variant>
#include <vector>

namespace tandem::fuzz {
namespace {

const time_point now{std::chrono::seconds{1'800'000'000}};
const date::year_month_day today{date::year{2027} / 1 / 15};

/// An RFC 5545 TEXT value unescaped (\\ \; \, \n \N).
std::string ical_unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    const char next = text[++i];
    out += next == 'n' || next == 'N' ? '\n' : next;
  }
  return out;
}

/// RFC 4180 records: fields split at commas, quoted fields with "" for a quote, records ending in CRLF.
/// Nothing when the text is not well-formed CSV.
std::optional<std::vector<std::vector<std::string>>> read_csv(std::string_view text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '"') {
      for (++i;; ++i) {
        if (i == text.size()) return std::nullopt;
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            ++i;
          } else {
            ++i;
            break;
          }
        } else {
          field += text[i];
        }
      }
    } else {
      while (i < text.size() && text[i] != ',' && text[i] != '\r' && text[i] != '"') field += text[i++];
      if (i < text.size() && text[i] == '"') return std::nullopt;
    }
    record.push_back(std::move(field));
    field.clear();
    if (i < text.size() && text[i] == ',') {
      ++i;
    } else if (text.substr(i, 2) == "\r\n") {
      i += 2;
      records.push_back(std::move(record));
      record.clear();
    } else {
      return std::nullopt;
    }
  }
  if (!record.empty()) return std::nullopt;
  return records;
}

/// What a CSV field holds for `text`: prefixed with an apostrophe where a spreadsheet would run it.
std::string as_csv_cell(const std::string& text) {
  const bool formula = !text.empty() && std::string_view{"=+-@\t\r"}.find(text.front()) != std::string_view::npos;
  return formula ? "'" + text : text;
}

}  // namespace

void command_text(std::string_view input) {
  const auto parsed = parse_command(input, today);
  if (const auto* c = std::get_if<command>(&parsed)) {
    static_cast<void>(describe(*c));
    if (c->what == verb::assign) check(!c->text.empty(), "a task is never assigned with a blank title");
    if (c->date) check(c->date->ok(), "a command's date is a real date");
  }
  if (const auto day = parse_date(input, today)) check(day->ok(), "a parsed date is a real date");
  if (const auto day = parse_past_date(input, today))
    check(day->ok() && *day <= today, "a past date is not later than today");
  if (const auto minute = parse_minute_of_day(input))
    check(*minute >= 0 && *minute < 24 * 60, "a time of day is within the day");
  static_cast<void>(parse_quiet_hours(input));
  static_cast<void>(parse_working_days(input));
  static_cast<void>(canonical_time_zone(input));
}

void schedule_text(std::string_view input) {
  const auto parsed = schedule::parse(input);
  const auto* s = std::get_if<schedule>(&parsed);
  if (s == nullptr) return;
  for (const std::string zone : {"Europe/Paris", "Pacific/Chatham"}) {
    const auto next = s->next_after(now, zone);
    if (next) {
      check(*next > now, "a schedule's next occurrence comes after the moment asked");
      check(*next <= now + std::chrono::days{401}, "a schedule's next occurrence is within 400 days");
      check(s->matches(local_date(*next, zone)), "a schedule fires on a day it matches");
      check(s->last_at_or_before(*next, zone) == next, "the next occurrence is its own last occurrence");
    }
    if (const auto last = s->last_at_or_before(now, zone)) check(*last <= now, "a last occurrence is not later");
  }
}

void ics_text(std::string_view input) {
  const std::string line = "SUMMARY:" + ical_escape(input);
  const std::string folded = ical_fold(line);
  check(folded.ends_with("\r\n"), "a content line ends in CRLF");
  std::string unfolded;
  std::size_t start = 0;
  while (start < folded.size()) {
    const auto end = folded.find("\r\n", start);
    check(end != std::string::npos, "every physical line ends in CRLF");
    const std::string_view physical{folded.data() + start, end - start};
    check(physical.size() <= 75, "a physical line has at most 75 octets");
    if (start > 0) {
      check(physical.starts_with(' '), "a continuation line starts with a space");
      unfolded += physical.substr(1);
    } else {
      unfolded += physical;
    }
    if (valid_utf8(input)) check(valid_utf8(physical), "folding never splits a UTF-8 character");
    start = end + 2;
  }
  check(unfolded == line, "unfolding gives the line back");
  std::string expected{input};
  std::erase(expected, '\r');  // a TEXT value cannot hold a bare CR: it is dropped
  check(ical_unescape(std::string_view{unfolded}.substr(8)) == expected, "an .ics value reads back as written");
}

void csv_text(std::string_view input) {
  const auto fields = parts(input, 4);
  outcome_row row;
  row.organization = fields[0];
  row.organization_name = fields[1];
  row.month = "2027-01";
  // As outcome_report makes them: a pulse answer without a comment adds none, so no comment is empty.
  for (const auto& comment : {fields[2], fields[3]}) {
    if (!comment.empty()) row.pulse_comments.push_back(comment);
  }
  const auto records = read_csv(report_csv("river", {row}));
  check(records.has_value(), "a report is well-formed CSV");
  check(records->size() == 2, "a report of one row has two records");
  check((*records)[0].size() == 17 && (*records)[1].size() == 17, "every record has the header's fields");
  const auto& cells = (*records)[1];
  check(cells[1] == as_csv_cell(fields[0]) && cells[2] == as_csv_cell(fields[1]), "a CSV cell reads back as written");
  const std::string comments =
      fields[2].empty() || fields[3].empty() ? fields[2] + fields[3] : fields[2] + " | " + fields[3];
  check(cells[16] == as_csv_cell(comments), "comments read back as written, one ' | ' between two");
}

}  // namespace tandem::fuzz
