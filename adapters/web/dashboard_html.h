#pragma once
// The dashboard's pages as HTML: server-rendered, no script, every value escaped, semantic tables
// with captions, forms that post a CSRF token, charts as inline SVG. Pure: page data in, text out.

#include "core/dashboard_pages.h"

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem {

/// The dashboard's words in every language, from `prompts/<lang>/dashboard.txt` (`key = text`
/// lines). Immutable after loading: safe to share between threads.
class web_labels {
 public:
  /// Loads every language folder under `dir` that has a dashboard.txt; English is required.
  /// Throws std::runtime_error naming the file and line of anything malformed, and any key a
  /// language lacks that English has.
  static web_labels load(const std::filesystem::path& dir);
  /// The text of `key` in `language` (English when the language has no dashboard words); the key
  /// itself when unknown, so that a missing word shows instead of breaking the page.
  const std::string& get(const std::string& language, const std::string& key) const;
  /// The first language of an `Accept-Language` header that has dashboard words, else English:
  /// for pages shown before anyone is signed in.
  std::string preferred(std::string_view accept_language) const;

 private:
  std::map<std::string, std::map<std::string, std::string, std::less<>>> words_;  ///< language -> key -> text
};

/// What every page needs around its content.
struct page_frame {
  const web_labels* labels = nullptr;
  dashboard_viewer viewer;
  std::string collaboration_name;
  std::string page;   ///< "overview", "people", "tasks", ... (marks the current link)
  std::string csrf;   ///< the session's form token
  std::string nonce;  ///< a fresh token for this page's forms: a form sent twice acts once
  std::vector<std::string> results;  ///< what the commands the viewer sent said back (shown once)
  /// Who a form can name: ("@ana", "Ana Lima") and ("org:city", "City Council"), by name.
  std::vector<std::pair<std::string, std::string>> targets;
  time_point now{};

  const std::string& word(const std::string& key) const { return labels->get(viewer.language, key); }
};

std::string overview_html(const page_frame& frame, const overview_page& page);
std::string people_html(const page_frame& frame, const std::vector<person_row>& rows, const people_query& q);
/// `histories` holds each listed task's history, by number.
std::string tasks_html(const page_frame& frame, const std::vector<task_row>& rows, const tasks_query& q,
                       const std::map<std::int64_t, std::vector<record_task_update>>& histories);
std::string approvals_html(const page_frame& frame, const std::vector<round_summary>& rounds);
/// `feed_url`: the .ics link with its token, empty when the viewer may not see it.
std::string calendar_html(const page_frame& frame, const calendar_month& month, const std::string& feed_url);
/// `exports`: the CSV and JSON links with their token, empty when the viewer may not see them.
std::string reports_html(const page_frame& frame, const std::vector<outcome_row>& rows,
                         const std::pair<std::string, std::string>& exports);
std::string audit_html(const page_frame& frame, const audit_page& page, const audit_query& q);

/// A page outside a session (sign-in problems, signed out): a title and a paragraph.
std::string notice_html(const web_labels& labels, const std::string& language, const std::string& title_key,
                        const std::string& text);

/// The stylesheet every page links (`/dashboard/static/dashboard.css`): the only style there is,
/// so that the Content-Security-Policy can forbid inline styles and scripts.
std::string_view dashboard_css();

/// A bar chart as inline SVG with a title and a text alternative: one bar per (label, value),
/// values from 0 to `max`, a missing value drawn as no bar and said as `missing`. `format`
/// writes a value for the labels. Pure.
std::string bar_chart_svg(const std::string& title, const std::vector<std::pair<std::string, std::optional<double>>>& bars,
                          double max, const std::string& missing, std::string (*format)(double));

}  // namespace tandem
