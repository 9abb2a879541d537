#include "adapters/webhook/webhook_render.h"

#include "adapters/http/http_types.h"
#include "adapters/markup_links.h"
#include "adapters/markup_literals.h"
#include "core/markup.h"

#include <nlohmann/json.hpp>

#include <array>
#include <utility>

namespace tandem::webhook {
namespace {

using json = nlohmann::json;

constexpr std::array<std::pair<dialect, std::string_view>, 5> dialect_names{{
    {dialect::slack, "slack"},
    {dialect::mattermost, "mattermost"},
    {dialect::mattermost_form, "mattermost_form"},
    {dialect::discord, "discord"},
    {dialect::teams, "teams"},
}};

/// How one target writes the pieces of neutral markup.
struct markup_style {
  std::string_view bold;                                ///< the mark around bold text
  std::string_view list_item;                           ///< what replaces "- " at a line's start
  bool slack_links = false;                             ///< <url|label> instead of [label](url)
  void (*literal)(std::string& out, char c) = nullptr;  ///< a character of text, escaped
  void (*in_code)(std::string& out, char c) = nullptr;  ///< a character inside `code`
  bool escape_heading = false;                          ///< a '#' starting a line would make a heading
};

void slack_escape(std::string& out, char c) {
  switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    default: out += c;
  }
}

void as_is(std::string& out, char c) { out += c; }

constexpr markup_style mrkdwn_style{"*", "\xE2\x80\xA2 ", true, append_mrkdwn_literal, slack_escape};
constexpr markup_style markdown_style{"**", "- ", false, append_markdown_literal, as_is, true};

/// Translates `markup` (a whole text, or a link's label) in `style`.
std::string translate(std::string_view markup, const markup_style& style) {
  std::string out;
  out.reserve(markup.size() + 16);
  bool line_start = true;
  for (std::size_t i = 0; i < markup.size(); ++i) {
    const char c = markup[i];
    if (line_start && markup.substr(i).starts_with("- ")) {
      out += style.list_item;
      ++i;
      line_start = false;
      continue;
    }
    if (line_start && c == '#' && style.escape_heading) out += '\\';
    line_start = c == '\n';
    if (c == '\\' && i + 1 < markup.size()) {
      style.literal(out, markup[++i]);
    } else if (c == '*' && i + 1 < markup.size() && markup[i + 1] == '*') {
      out += style.bold;
      ++i;
    } else if (c == '`') {
      const auto close = markup.find('`', i + 1);
      if (close == std::string_view::npos) {
        style.literal(out, c);
        continue;
      }
      out += '`';
      for (const char k : markup.substr(i + 1, close - i - 1)) style.in_code(out, k);
      out += '`';
      i = close;
    } else if (const auto link = c == '[' ? markup_link_at(markup, i) : std::nullopt) {
      const std::string label = translate(link->label, style);
      const std::string_view url = link->url;
      if (style.slack_links) {
        out += '<';
        for (const char k : url) {
          if (k == '|') {
            out += "%7C";  // a bar would end the URL
          } else {
            slack_escape(out, k);
          }
        }
        out += '|' + label + '>';
      } else {
        out += '[' + label + "](" + std::string(url) + ')';
      }
      i = link->end;
    } else {
      style.literal(out, c);
    }
  }
  return out;
}

/// One TextRun of an Adaptive Card: text that no Markdown touches.
json text_run(std::string text, bool bold) {
  json run{{"type", "TextRun"}, {"text", std::move(text)}};
  if (bold) run["weight"] = "Bolder";
  return run;
}

/// Neutral markup as Adaptive Card RichTextBlocks, one a line: a TextRun (whose text the card
/// never reads as Markdown, unlike a TextBlock's) for each piece of text, bold as
/// `weight: Bolder`, `code` in `fontType: Monospace`, a link as a run opening its URL
/// (`selectAction`), "- " items as "• ". Empty lines give no block.
json rich_text_blocks(std::string_view markup) {
  json blocks = json::array();
  std::size_t at = 0;
  while (at <= markup.size()) {
    const auto end = markup.find('\n', at);
    std::string_view line = markup.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    json inlines = json::array();
    std::string text;
    bool bold = false;
    const auto flush = [&] {
      if (!text.empty()) inlines.push_back(text_run(std::exchange(text, {}), bold));
    };
    if (line.starts_with("- ")) {
      text = "\xE2\x80\xA2 ";
      line.remove_prefix(2);
    }
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (c == '\\' && i + 1 < line.size()) {
        text += line[++i];
      } else if (c == '*' && i + 1 < line.size() && line[i + 1] == '*') {
        flush();
        bold = !bold;
        ++i;
      } else if (const auto close = c == '`' ? line.find('`', i + 1) : std::string_view::npos;
                 close != std::string_view::npos) {
        flush();
        json run = text_run(std::string(line.substr(i + 1, close - i - 1)), bold);
        run["fontType"] = "Monospace";
        inlines.push_back(std::move(run));
        i = close;
      } else if (const auto link = c == '[' ? markup_link_at(line, i) : std::nullopt) {
        flush();
        json run = text_run(markup_to_plain(link->label), bold);
        run["color"] = "Accent";
        run["selectAction"] = json{{"type", "Action.OpenUrl"}, {"url", std::string(link->url)}};
        inlines.push_back(std::move(run));
        i = link->end;
      } else {
        text += c;
      }
    }
    flush();
    if (!inlines.empty()) blocks.push_back(json{{"type", "RichTextBlock"}, {"inlines", std::move(inlines)}});
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  return blocks;
}

/// The character starting at `at` of `text`: how many bytes it takes and how many UTF-16 units
/// Discord counts for it. A complete sequence of four bytes is two units, any other complete
/// sequence one; a byte that starts no complete sequence (truncated, or a stray continuation
/// byte) is one byte of one unit, never fewer than the JSON writer's U+FFFD for it.
struct discord_character {
  std::size_t bytes = 1;
  std::size_t units = 1;
};

discord_character discord_character_at(std::string_view text, std::size_t at) {
  const auto lead = static_cast<unsigned char>(text[at]);
  std::size_t length = 1;
  if ((lead & 0xE0U) == 0xC0U) {
    length = 2;
  } else if ((lead & 0xF0U) == 0xE0U) {
    length = 3;
  } else if ((lead & 0xF8U) == 0xF0U) {
    length = 4;
  }
  if (length == 1 || text.size() - at < length) return {};
  for (std::size_t k = 1; k < length; ++k) {
    if ((static_cast<unsigned char>(text[at + k]) & 0xC0U) != 0x80U) return {};
  }
  return {length, length == 4 ? 2U : 1U};
}

json json_text_body(std::string text) { return json{{"text", std::move(text)}}; }

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json teams_card(std::string_view markup, const std::vector<answer_link>& links) {
  json content{{"$schema", "http://adaptivecards.io/schemas/adaptive-card.json"},
               {"type", "AdaptiveCard"},
               {"version", "1.2"},
               {"body", rich_text_blocks(markup)}};
  if (!links.empty()) {
    json actions = json::array();
    for (const answer_link& link : links) {
      actions.push_back(json{{"type", "Action.OpenUrl"}, {"title", link.label}, {"url", link.url}});
    }
    content["actions"] = std::move(actions);
  }
  return json{{"type", "message"},
              {"attachments", json::array({json{{"contentType", "application/vnd.microsoft.card.adaptive"},
                                                {"contentUrl", nullptr},
                                                {"content", std::move(content)}}})}};
}

}  // namespace

std::string_view to_string(dialect which) {
  for (const auto& [d, name] : dialect_names) {
    if (d == which) return name;
  }
  return "slack";
}

std::optional<dialect> dialect_from_string(std::string_view name) {
  for (const auto& [d, n] : dialect_names) {
    if (n == name) return d;
  }
  return std::nullopt;
}

std::string mrkdwn_from_markup(std::string_view markup) { return translate(markup, mrkdwn_style); }

std::string markdown_from_markup(std::string_view markup) { return translate(markup, markdown_style); }

std::string markup_with_answers(const rendered_message& message, const std::vector<answer_link>& links) {
  if (message.answers.empty()) return message.markup;
  std::string line;
  if (!links.empty()) {
    for (const answer_link& link : links) {
      if (!line.empty()) line += " \xC2\xB7 ";
      line += "[" + escape_markup(link.label) + "](" + link.url + ")";
    }
  } else {
    for (const labelled_answer& a : message.answers) {
      if (!line.empty()) line += " \xC2\xB7 ";
      line +=
          "**" + escape_markup(a.label) + "**: `" + a.what.command + (a.what.needs_reason ? " \xE2\x80\xA6" : "") + "`";
    }
  }
  return message.markup + "\n\n" + line;
}

std::vector<webhook_post> posts_for(dialect which, const rendered_message& message,
                                    const std::vector<answer_link>& links) {
  switch (which) {
    case dialect::slack:
      return {{"application/json", dump(json_text_body(mrkdwn_from_markup(markup_with_answers(message, links))))}};
    case dialect::mattermost:
      return {{"application/json", dump(json_text_body(markdown_from_markup(markup_with_answers(message, links))))}};
    case dialect::mattermost_form:
      return {{"application/x-www-form-urlencoded",
               "payload=" +
                   percent_encode(dump(json_text_body(markdown_from_markup(markup_with_answers(message, links)))))}};
    case dialect::discord: {
      std::vector<webhook_post> posts;
      for (std::string& part : split_for_discord(markdown_from_markup(markup_with_answers(message, links)))) {
        // No @everyone, @here, role or user pings from text Tandem relays.
        posts.push_back({"application/json", dump(json{{"content", std::move(part)},
                                                       {"allowed_mentions", json{{"parse", json::array()}}}})});
      }
      return posts;
    }
    case dialect::teams: {
      // Links become the card's buttons; commands to type stay in the text.
      return {{"application/json",
               dump(teams_card(links.empty() ? markup_with_answers(message, links) : message.markup, links))}};
    }
  }
  return {};
}

std::size_t discord_length(std::string_view text) {
  std::size_t units = 0;
  for (std::size_t i = 0; i < text.size();) {
    const discord_character c = discord_character_at(text, i);
    units += c.units;
    i += c.bytes;
  }
  return units;
}

std::vector<std::string> split_for_discord(std::string_view text, std::size_t limit) {
  std::vector<std::string> parts;
  while (discord_length(text) > limit) {
    // The longest prefix within the limit, ending on a character boundary.
    std::size_t fits = 0;
    std::size_t units = 0;
    while (fits < text.size()) {
      const discord_character c = discord_character_at(text, fits);
      if (units + c.units > limit) break;
      units += c.units;
      fits += c.bytes;
    }
    const std::string_view head = text.substr(0, fits);
    std::size_t cut = head.rfind('\n');
    if (cut == std::string_view::npos || cut == 0) cut = head.rfind(' ');
    cut = (cut == std::string_view::npos || cut == 0) ? fits : cut + 1;
    parts.emplace_back(text.substr(0, cut));
    text.remove_prefix(cut);
  }
  if (!text.empty() || parts.empty()) parts.emplace_back(text);
  return parts;
}

}  // namespace tandem::webhook
