#include "app/template_catalog.h"

#include "core/markup.h"

#include <kainjow/mustache.hpp>
#include <unicode/locid.h>
#include <unicode/numberformatter.h>
#include <unicode/plurrule.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <regex>
#include <sstream>
#include <utility>
#include <variant>

namespace tandem {

/// ICU's plural rules and decimal format for one language. Only const methods are used after
/// construction, and ICU's const methods are safe to call from several threads.
class plural_rules {
 public:
  explicit plural_rules(const std::string& language)
      : decimals_(icu::number::NumberFormatter::withLocale(icu::Locale(language.c_str()))
                      .precision(icu::number::Precision::fixedFraction(1))
                      .grouping(UNUM_GROUPING_OFF)) {
    UErrorCode status = U_ZERO_ERROR;
    rules_.reset(icu::PluralRules::forLocale(icu::Locale(language.c_str()), status));
    if (U_FAILURE(status) || rules_ == nullptr) {
      throw template_error(language + ": no plural rules (" + u_errorName(status) + ")");
    }
  }

  /// "one", "other", ... for a whole number.
  std::string category(double number) const {
    std::string out;
    rules_->select(number).toUTF8String(out);
    return out;
  }

  /// A number with a fraction as the language writes it with one decimal ("1.5", "1,5"), and
  /// its plural category as written ("1.0 days": other in English).
  std::pair<std::string, std::string> decimal(double number) const {
    UErrorCode status = U_ZERO_ERROR;
    const icu::number::FormattedNumber formatted = decimals_.formatDouble(number, status);
    std::string text;
    std::string category;
    formatted.toString(status).toUTF8String(text);
    rules_->select(formatted, status).toUTF8String(category);
    if (U_FAILURE(status)) throw template_error(std::string{"formatting a number: "} + u_errorName(status));
    return {text, category};
  }

 private:
  icu::number::LocalizedNumberFormatter decimals_;
  std::unique_ptr<icu::PluralRules> rules_;
};

namespace {

namespace mustache = kainjow::mustache;

/// The CLDR plural categories: a template may use `<number>_<category>` for any number.
constexpr std::array<std::string_view, 6> plural_categories{"zero", "one", "two", "few", "many", "other"};

/// True when `name` is `<variable>_<category>` for a variable in `allowed`.
bool is_plural_flag(const std::string& name, const std::vector<std::string>& allowed) {
  return std::ranges::any_of(plural_categories, [&](std::string_view category) {
    const std::string suffix = "_" + std::string{category};
    return name.size() > suffix.size() && name.ends_with(suffix) &&
           std::ranges::find(allowed, name.substr(0, name.size() - suffix.size())) != allowed.end();
  });
}

struct tag {
  char sigil;  ///< '\0' variable, '#', '^', '/', '>', '&', '{', '!'
  std::string name;
};

std::vector<tag> tags_of(const std::string& text) {
  static const std::regex tag_pattern{R"(\{\{\s*([#^/>&{!]?)\s*([^}\s]*)\s*\}?\}\})"};
  std::vector<tag> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), tag_pattern); it != std::sregex_iterator(); ++it) {
    const std::string sigil = (*it)[1];
    out.push_back({sigil.empty() ? '\0' : sigil[0], (*it)[2]});
  }
  return out;
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  if (s.ends_with('\n')) s.pop_back();  // files end with a newline; messages do not
  return s;
}

/// Reads `syntax_words.txt`: one `english<TAB>own words` pair a line; `#` starts a comment line.
std::variant<syntax_words, std::string> read_syntax_words(const std::filesystem::path& file) {
  std::ifstream in(file);
  syntax_words words;
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.empty() || line.starts_with('#')) continue;
    const auto tab = line.find('\t');
    if (tab == std::string::npos || tab == 0 || tab + 1 == line.size()) {
      return file.string() + ":" + std::to_string(number) + ": write the English placeholder, a tab, and its own words";
    }
    words.emplace_back(line.substr(0, tab), line.substr(tab + 1));
  }
  return words;
}

/// A command's syntax line with its placeholders in the language's words (syntax_words.txt).
std::string in_own_words(std::string syntax, const syntax_words& words) {
  for (const auto& [english, own] : words) {
    for (std::size_t at = syntax.find(english); at != std::string::npos; at = syntax.find(english, at + own.size())) {
      syntax.replace(at, english.size(), own);
    }
  }
  return syntax;
}

mustache::data to_data(const nlohmann::json& value, const plural_rules& plurals, const syntax_words& words) {
  switch (value.type()) {
    case nlohmann::json::value_t::object: {
      mustache::data obj{mustache::data::type::object};
      for (const auto& [key, item] : value.items()) {
        if (key == "syntax" && item.is_string() && !words.empty()) {
          obj.set(key, to_data(in_own_words(item.get<std::string>(), words), plurals, words));
        } else if (!item.is_number()) {
          obj.set(key, to_data(item, plurals, words));
        } else {
          std::string chosen;
          if (item.is_number_float()) {
            auto [text, category] = plurals.decimal(item.get<double>());
            obj.set(key, mustache::data{text});
            chosen = std::move(category);
          } else {
            obj.set(key, to_data(item, plurals, words));
            chosen = plurals.category(item.get<double>());
          }
          // Every category is set, so that `{{^n_one}}` inside a list item does not find the
          // flag of an enclosing object's number.
          for (std::string_view category : plural_categories) {
            obj.set(key + "_" + std::string{category}, mustache::data{chosen == category});
          }
        }
      }
      return obj;
    }
    case nlohmann::json::value_t::array: {
      mustache::data list{mustache::data::type::list};
      for (const auto& item : value) list.push_back(to_data(item, plurals, words));
      return list;
    }
    case nlohmann::json::value_t::string: {
      const auto& s = value.get_ref<const std::string&>();
      // An empty text is false, so that `{{#due}} (due {{due}}){{/due}}` disappears.
      return s.empty() ? mustache::data{false} : mustache::data{escape_markup(s)};
    }
    case nlohmann::json::value_t::boolean:
      return mustache::data{value.get<bool>()};
    case nlohmann::json::value_t::null:
      return mustache::data{false};
    default:
      return mustache::data{value.dump()};
  }
}

}  // namespace

template_catalog template_catalog::load(const std::filesystem::path& dir) {
  std::vector<std::string> problems;
  template_catalog catalog;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw template_error(dir.string() + ": no such template folder");
  }
  std::map<std::string, const message_kind_spec*> kinds;
  for (const auto& spec : message_kinds()) kinds[spec.kind] = &spec;

  std::vector<std::filesystem::path> language_dirs;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_directory()) language_dirs.push_back(entry.path());
  }
  std::ranges::sort(language_dirs);
  for (const auto& lang_dir : language_dirs) {
    const std::string lang = lang_dir.filename().string();
    catalog.languages_.insert(lang);
    try {
      catalog.plural_rules_[lang] = std::make_shared<const plural_rules>(lang);
    } catch (const template_error& e) {
      problems.push_back(lang_dir.string() + ": " + e.what());
    }
    if (const auto words_file = lang_dir / "syntax_words.txt"; std::filesystem::exists(words_file)) {
      auto words = read_syntax_words(words_file);
      if (const auto* problem = std::get_if<std::string>(&words)) {
        problems.push_back(*problem);
      } else {
        catalog.syntax_words_[lang] = std::get<syntax_words>(std::move(words));
      }
    }
    std::map<std::string, std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(lang_dir)) {
      if (entry.path().extension() == ".mustache") files[entry.path().stem().string()] = entry.path();
    }
    for (const auto& [name, file] : files) {
      if (name.starts_with('_')) catalog.partials_[{lang, name}] = read_file(file);
    }
    for (const auto& [name, file] : files) {
      if (name.starts_with('_')) continue;
      auto kind = kinds.find(name);
      if (kind == kinds.end()) {
        problems.push_back(file.string() + ": no message kind is called \"" + name + "\"");
        continue;
      }
      compiled c{read_file(file), {}};
      std::string expanded = c.text;  // the template with its partials, for checking variables
      for (const tag& t : tags_of(c.text)) {
        if (t.sigil != '>') continue;
        auto partial = catalog.partials_.find({lang, t.name});
        if (partial == catalog.partials_.end()) {
          problems.push_back(file.string() + ": partial \"" + t.name + "\" not found (expected " +
                             (lang_dir / (t.name + ".mustache")).string() + ")");
        } else {
          expanded += partial->second;
        }
      }
      mustache::mustache parsed{expanded};
      if (!parsed.is_valid()) {
        problems.push_back(file.string() + ": " + parsed.error_message());
        continue;
      }
      const auto& allowed = kind->second->variables;
      int depth = 0;
      for (const tag& t : tags_of(expanded)) {
        if (t.sigil == '!' || t.sigil == '>') continue;
        if (t.sigil == '/') {
          --depth;
          continue;
        }
        if (t.name != "." && std::ranges::find(allowed, t.name) == allowed.end() && !is_plural_flag(t.name, allowed)) {
          std::string known;
          for (const auto& v : allowed) known += (known.empty() ? "" : ", ") + v;
          problems.push_back(file.string() + ": unknown variable \"" + t.name + "\" (" + name + " has: " + known + ")");
        }
        const bool printed = t.sigil == '\0' || t.sigil == '&' || t.sigil == '{';
        if (printed && depth == 0 && std::ranges::find(c.required, t.name) == c.required.end()) {
          c.required.push_back(t.name);
        }
        if (t.sigil == '#' || t.sigil == '^') ++depth;
      }
      catalog.templates_[{lang, name}] = std::move(c);
    }
    for (const auto& [kind, _] : kinds) {
      if (!files.contains(kind)) {
        problems.push_back((lang_dir / (kind + ".mustache")).string() + ": missing template for message kind \"" + kind + "\"");
      }
    }
  }
  if (!catalog.languages_.contains("en")) problems.push_back((dir / "en").string() + ": English templates are required");
  if (!problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "\n") + p;
    throw template_error(all);
  }
  return catalog;
}

std::string template_catalog::render(const message& m, const std::string& language) const {
  const std::string lang = languages_.contains(language) ? language : "en";
  auto it = templates_.find({lang, m.kind});
  if (it == templates_.end()) throw template_error("no template for message kind \"" + m.kind + "\"");
  for (const auto& name : it->second.required) {
    if (!m.values.contains(name)) {
      throw template_error("message \"" + m.kind + "\" lacks the value \"" + name + "\" its template prints");
    }
  }
  const auto words = syntax_words_.find(lang);
  mustache::data data =
      to_data(m.values, *plural_rules_.at(lang), words == syntax_words_.end() ? syntax_words{} : words->second);
  for (const auto& [key, text] : partials_) {
    if (key.first == lang) data.set(key.second, text);
  }
  mustache::mustache tmpl{it->second.text};
  tmpl.set_custom_escape([](const std::string& s) { return s; });  // values are escaped as markup above
  std::string out = tmpl.render(data);
  if (!tmpl.is_valid()) throw template_error("rendering \"" + m.kind + "\": " + tmpl.error_message());
  // A list section at the end of a template leaves a line break behind; messages end with text.
  out.erase(out.find_last_not_of(" \n") + 1);
  return out;
}

}  // namespace tandem
