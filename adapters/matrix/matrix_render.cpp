#include "adapters/matrix/matrix_render.h"

#include "adapters/http/hmac.h"
#include "adapters/http/html.h"
#include "adapters/markup_links.h"
#include "adapters/markup_literals.h"
#include "core/markup.h"

#include <openssl/sha.h>

#include <array>
#include <cstdint>

namespace tandem::matrix {
namespace {

/// The index of the backtick closing a code span opened at `open`, skipping escaped characters.
std::size_t closing_backtick(std::string_view markup, std::size_t open) {
  for (std::size_t i = open + 1; i < markup.size(); ++i) {
    if (markup[i] == '\\') {
      ++i;
    } else if (markup[i] == '`') {
      return i;
    }
  }
  return std::string_view::npos;
}

/// Escapes resolved, the rest kept literal (the inside of a code span).
std::string unescaped(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) ++i;
    out += text[i];
  }
  return out;
}

/// A character of text in HTML; an '@' followed by a zero-width space, so that no client or
/// older homeserver (whose push rules look for "@room" and names in the text) takes it for a
/// mention: whom a notice mentions is `m.mentions`, and only that.
void append_text_html(std::string& out, char c) {
  out += html_escape(std::string_view(&c, 1));
  if (c == '@') out += zero_width_space;
}

std::string inline_html(std::string_view markup) {
  std::string out;
  bool bold = false;
  for (std::size_t i = 0; i < markup.size(); ++i) {
    const char c = markup[i];
    if (c == '\\' && i + 1 < markup.size()) {
      append_text_html(out, markup[++i]);
    } else if (c == '*' && i + 1 < markup.size() && markup[i + 1] == '*') {
      out += bold ? "</strong>" : "<strong>";
      bold = !bold;
      ++i;
    } else if (c == '`' && closing_backtick(markup, i) != std::string_view::npos) {
      const std::size_t close = closing_backtick(markup, i);
      out += "<code>" + html_escape(unescaped(markup.substr(i + 1, close - i - 1))) + "</code>";
      i = close;
    } else if (const auto link = c == '[' ? markup_link_at(markup, i) : std::nullopt) {
      out += "<a href=\"" + html_escape(link->url) + "\">" + inline_html(link->label) + "</a>";
      i = link->end;
    } else {
      append_text_html(out, c);
    }
  }
  if (bold) out += "</strong>";
  return out;
}

}  // namespace

std::string markup_to_html(std::string_view markup) {
  std::string out;
  bool in_list = false;
  bool after_text = false;  // a line of text was written: the next one needs a <br>
  std::size_t at = 0;
  while (at <= markup.size()) {
    const auto end = markup.find('\n', at);
    const std::string_view line = markup.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    if (line.starts_with("- ")) {
      if (!in_list) out += "<ul>";
      in_list = true;
      after_text = false;
      out += "<li>" + inline_html(line.substr(2)) + "</li>";
    } else {
      if (in_list) out += "</ul>";
      in_list = false;
      if (after_text) out += "<br>";
      out += inline_html(line);
      after_text = true;
    }
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  if (in_list) out += "</ul>";
  return out;
}

nlohmann::json notice_content(const rendered_message& message, const notice_options& options) {
  std::string body = without_mentions(markup_to_plain(message.markup));
  std::string html = markup_to_html(message.markup);
  nlohmann::json answers = nlohmann::json::object();
  if (!message.answers.empty()) {
    std::string line;
    for (const labelled_answer& a : message.answers) {
      if (a.what.emoji.empty()) continue;
      if (!line.empty()) line += " \u00b7 ";
      line += a.what.emoji + " " + a.label;
      answers[normalize_reaction_key(a.what.emoji)] = a.what.command;
    }
    if (!line.empty()) {
      body += "\n\n" + line;
      html += "<br><br>" + html_escape(line);
    }
  }
  nlohmann::json content{{"msgtype", "m.notice"},
                         {"body", body},
                         {"format", "org.matrix.custom.html"},
                         {"formatted_body", html},
                         {"m.mentions", mention_set{options.mention_user_ids, false}}};
  if (options.in_reply_to) {
    relation reply;
    reply.in_reply_to = options.in_reply_to;
    content["m.relates_to"] = reply;
  }
  if (!answers.empty()) content[std::string{answers_content_key}] = answers;
  return content;
}

nlohmann::json reaction_content(std::string_view event_id, std::string_view key) {
  relation r;
  r.rel_type = "m.annotation";
  r.event_id = std::string{event_id};
  r.key = std::string{key};
  return reaction{r};
}

std::string transaction_id_for(std::string_view idempotency_key, std::string_view part) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(idempotency_key.data()), idempotency_key.size(), digest.data());
  std::string id = "tandem" + to_hex(std::span<const unsigned char>{digest.data(), 16});
  if (!part.empty()) id += "." + std::string{part};
  return id;
}

}  // namespace tandem::matrix
