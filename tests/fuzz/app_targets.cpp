// The program's own inputs: YAML config files, and the message templates rendered with values
// that came from outside (titles, notes, names).

#include "fuzz/fuzz_targets.h"

#include "app/config.h"
#include "app/template_catalog.h"
#include "core/markup.h"
#include "core/message.h"
#include "support/source_tree.h"

#include <nlohmann/json.hpp>

#include <string>

namespace tandem::fuzz {

void config_yaml(std::string_view input) {
  const config_result result = parse_config(input, "/nonexistent/tandem-fuzz");
  check(result.config.has_value() == result.errors.empty(), "a config is read exactly when it has no error");
}

// The first byte chooses the message kind and the language; the rest is the value given to every
// variable of that kind. Escaped values read in the plain text exactly as a harmless word does,
// as `escape_markup` promises to show them: a zero-width space begins each new line (so no line
// becomes a list item or heading), other control characters are spaces. A message ends with text
// (template_catalog::render): a value that ends the message loses its trailing spaces and line breaks.
void template_values(std::string_view input) {
  static const template_catalog catalog = template_catalog::load(testing::source_tree() / "prompts");
  if (input.size() < 2) return;
  const auto choice = static_cast<unsigned char>(input.front());
  const std::string value{input.substr(1)};
  if (!valid_utf8(value)) return;  // values come from JSON and chat text: UTF-8
  const auto& kinds = message_kinds();
  const message_kind_spec& kind = kinds[choice % kinds.size()];
  const std::string language = choice / kinds.size() % 2 == 0 ? "en" : "fr";
  constexpr std::string_view word = "Zqxjv";
  auto markup_with = [&](const std::string& text) {
    nlohmann::json values = nlohmann::json::object();
    // `syntax` is Tandem's own text (a command's syntax line), never a value from outside.
    for (const auto& v : kind.variables) values[v] = v == "syntax" ? std::string{"x"} : text;
    return catalog.render(message{kind.kind, values}, language);
  };
  auto render_with = [&](const std::string& text) { return markup_to_plain(markup_with(text)); };
  const bool value_ends_message = markup_with(std::string{word}).ends_with(word);
  // Shown as written, but for a zero-width space after each line break and before a first
  // character that would open a list item, heading or quote, and spaces for control characters.
  std::string shown = std::string_view{"-+#>"}.find(value.front()) != std::string_view::npos ? "\xE2\x80\x8B" : "";
  for (const char ch : value) {
    if (ch == '\n') shown += "\n\xE2\x80\x8B";
    else shown += static_cast<unsigned char>(ch) < 0x20U || ch == '\x7F' ? ' ' : ch;
  }
  std::string expected = render_with(std::string{word});
  for (auto at = expected.find(word); at != std::string::npos; at = expected.find(word, at + shown.size())) {
    expected.replace(at, word.size(), shown);
  }
  if (value_ends_message) expected.erase(expected.find_last_not_of(" \n") + 1);
  check(render_with(value) == expected, "a value reads in the rendered text as written, and nothing else changes");
}

}  // namespace tandem::fuzz
