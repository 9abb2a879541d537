#pragma once
// Message templates from prompts/<lang>/<kind>.mustache, checked when loaded, rendered to
// neutral markup (see markup.h) that each adapter turns into its platform's format.

#include "core/message.h"

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace tandem {

/// Templates could not be loaded (every problem, one per line, each naming its file) or a
/// message could not be rendered.
class template_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A language's CLDR plural rules (ICU), defined in template_catalog.cpp.
class plural_rules;

/// Placeholders of command syntax lines (`<reason>`, `"title"`) and a language's words for them,
/// applied in order.
using syntax_words = std::vector<std::pair<std::string, std::string>>;

/// All templates of all languages. Immutable after loading: safe to share between threads.
class template_catalog {
 public:
  /// Loads every `<dir>/<lang>/*.mustache`. Each language must have a template for every message
  /// kind; a template may use only the variables its kind declares; `_name.mustache` files are
  /// partials. A language's `syntax_words.txt`, when present, words the placeholders of command
  /// syntax lines (every value named `syntax`). Throws template_error listing every problem.
  static template_catalog load(const std::filesystem::path& dir);

  /// The languages that have templates ("en", ...).
  const std::set<std::string>& languages() const { return languages_; }

  /// Renders `m` in `language` (English when that language has no templates). Values are
  /// escaped for neutral markup. Each number `n` (top-level or in a list's items) also gives its
  /// CLDR plural category in that language as a flag `n_zero`, `n_one`, `n_two`, `n_few`,
  /// `n_many` or `n_other` (ICU's plural rules: French "one" covers 0 and 1), so that templates
  /// write `{{n}} {{#n_one}}person{{/n_one}}{{^n_one}}people{{/n_one}}`; a template may use these
  /// flags for any number its kind declares. A number with a fraction (a JSON float) is written
  /// with one decimal as the language writes it ("1.5", "1,5"), its category as written. Throws
  /// template_error for an unknown kind or a value
  /// the template needs that `m` does not carry.
  std::string render(const message& m, const std::string& language) const;

 private:
  struct compiled {
    std::string text;
    std::vector<std::string> required;  ///< top-level variables the template prints
  };
  std::map<std::pair<std::string, std::string>, compiled> templates_;  ///< (lang, kind)
  std::map<std::pair<std::string, std::string>, std::string> partials_;
  std::set<std::string> languages_;
  /// (language) -> plural category of numbers; shared, and only read after loading.
  std::map<std::string, std::shared_ptr<const plural_rules>> plural_rules_;
  std::map<std::string, syntax_words> syntax_words_;  ///< (language) -> its words for placeholders
};

}  // namespace tandem
