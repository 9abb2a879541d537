#include "adapters/web/web_adapter.h"

#include "adapters/http/hmac.h"
#include "adapters/http/html.h"
#include "adapters/http/http_server.h"
#include "core/calendar.h"
#include "core/dates.h"
#include "core/markup.h"
#include "core/reports.h"

#include <memory>
#include <regex>

namespace tandem {
namespace {

constexpr std::string_view cookie_name = "tandem_session";
constexpr std::array page_names{"overview", "people", "tasks", "approvals", "calendar", "reports", "audit"};

/// The session id a request's cookie carries.
std::optional<std::string> session_cookie(const http_request& request) {
  const auto header = request.header("cookie");
  if (!header) return std::nullopt;
  std::string_view rest = *header;
  while (!rest.empty()) {
    const auto end = rest.find(';');
    std::string_view pair = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    while (pair.starts_with(' ')) pair.remove_prefix(1);
    if (pair.starts_with(cookie_name) && pair.size() > cookie_name.size() && pair[cookie_name.size()] == '=') {
      return std::string{pair.substr(cookie_name.size() + 1)};
    }
  }
  return std::nullopt;
}

/// The form token of a session: derived from its secret id, so a page from another site cannot know it.
std::string csrf_of(const std::string& session_id) { return sha256_hex("csrf:" + session_id); }
/// Where replies to a session's commands are kept: not the id itself, nor its stored hash.
std::string conversation_of(const std::string& session_id) { return sha256_hex("results:" + session_id).substr(0, 24); }

http_response html_page(unsigned status, std::string body) {
  http_response r{status, "text/html; charset=utf-8", dashboard_security_headers(), std::move(body)};
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

http_response redirect(const std::string& to, std::vector<std::pair<std::string, std::string>> extra = {}) {
  http_response r = html_page(303, "");
  r.headers.emplace_back("Location", to);
  for (auto& h : extra) r.headers.push_back(std::move(h));
  return r;
}

std::string query_value(const http_request& request, const std::string& name) {
  auto it = request.query.find(name);
  return it == request.query.end() ? "" : it->second;
}

/// A form's fields by name (the first value of each).
std::map<std::string, std::string> form_fields(const std::string& body) {
  std::map<std::string, std::string> fields;
  if (auto parsed = parse_form(body)) {
    for (auto& [name, value] : *parsed) fields.try_emplace(name, value);
  }
  return fields;
}

/// Text from a form for inside a command's double quotes: one line, no double quotes of its own.
std::string quoted(std::string text) {
  for (char& c : text) {
    if (c == '"' || c == '\n' || c == '\r' || c == '\t') c = c == '"' ? '\'' : ' ';
  }
  for (const std::string curly : {"\u201c", "\u201d"}) {
    for (auto at = text.find(curly); at != std::string::npos; at = text.find(curly)) text.replace(at, curly.size(), "'");
  }
  return "\"" + text + "\"";
}

/// The command a dashboard form stands for, or nothing when a field is missing or not of its form
/// (fields are checked against strict patterns, so that no value can add words to the command).
std::optional<std::string> command_of(const std::string& action, std::map<std::string, std::string> f) {
  static const std::regex ref{R"((@[A-Za-z0-9._-]+|org:[A-Za-z0-9._-]+|all))"};
  static const std::regex organizations{R"((all|org:[A-Za-z0-9._-]+(,org:[A-Za-z0-9._-]+)*))"};
  static const std::regex audience{R"((all|reps|org:[A-Za-z0-9._-]+(,org:[A-Za-z0-9._-]+)*))"};
  static const std::regex number{R"([0-9]{1,9})"};
  static const std::regex day{R"([0-9]{4}-[0-9]{2}-[0-9]{2})"};
  const auto is = [&](const std::string& name, const std::regex& pattern) {
    return f.contains(name) && std::regex_match(f[name], pattern);
  };
  const auto given = [&](const std::string& name) { return f.contains(name) && !f[name].empty(); };
  const auto optional_day = [&](const std::string& name) { return !given(name) || is(name, day); };
  if (action == "assign" && is("to", ref) && given("title") && optional_day("date")) {
    return "assign " + f["to"] + " " + quoted(f["title"]) + (given("date") ? " due " + f["date"] : "");
  }
  if (action == "reassign" && is("task", number) && is("to", ref)) return "reassign " + f["task"] + " " + f["to"];
  if (action == "cancel" && is("task", number)) return "cancel " + f["task"];
  if (action == "due" && is("task", number) && optional_day("date")) {
    return "due " + f["task"] + " " + (given("date") ? f["date"] : "none");
  }
  if (action == "nudge" && is("to", ref)) return "nudge " + f["to"];
  if (action == "broadcast" && given("text") && (!given("to") || is("to", audience))) {
    return "broadcast " + quoted(f["text"]) + (given("to") ? " to " + f["to"] : "");
  }
  if (action == "approval_open" && given("title") && is("to", organizations) && optional_day("date")) {
    return "approval open " + quoted(f["title"]) + " to " + f["to"] + (given("date") ? " deadline " + f["date"] : "");
  }
  if (action == "approval_close" && is("round", number)) {
    return "approval close A" + f["round"] + (f["confirm"] == "yes" ? " confirm" : "");
  }
  if (action == "event_add" && is("date", day) && given("title")) return "event add " + f["date"] + " " + quoted(f["title"]);
  return std::nullopt;
}

std::optional<date::year_month> month_of_query(const std::string& text) {
  static const std::regex pattern{R"(([0-9]{4})-(0[1-9]|1[0-2]))"};
  std::smatch m;
  if (!std::regex_match(text, m, pattern)) return std::nullopt;
  return date::year{std::stoi(m[1])} / date::month{static_cast<unsigned>(std::stoi(m[2]))};
}

/// Who forms can name: the active members and the organizations the viewer may see, by name.
std::vector<std::pair<std::string, std::string>> form_targets(const world& w, const dashboard_viewer& v) {
  std::vector<std::pair<std::string, std::string>> people, organizations;
  for (const auto& [key, m] : memberships_of(w, v.collaboration)) {
    if (!m.active || !v.sees_organization(m.organization)) continue;
    people.emplace_back("@" + m.person, w.people.at(m.person).name);
  }
  for (const auto& [key, o] : w.organizations) {
    if (key.first == v.collaboration && v.sees_organization(o.id)) organizations.emplace_back("org:" + o.id, o.name);
  }
  std::ranges::sort(people, {}, &std::pair<std::string, std::string>::second);
  people.insert(people.end(), organizations.begin(), organizations.end());
  return people;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> dashboard_security_headers() { return html_security_headers("'self'"); }

web_adapter::web_adapter(web_context context, web_labels labels)
    : context_(std::move(context)), labels_(std::move(labels)) {}

void web_adapter::deliver(const destination& to, const rendered_message& message, const std::string&,
                          std::function<void(delivery_result)> done) {
  {
    std::lock_guard lock(results_mutex_);
    results_[to.conversation].push_back(markup_to_plain(message.markup));
  }
  done(delivery_result::delivered());
}

void web_adapter::add_routes(http_server& server) {
  for (const char* method : {"GET", "POST"}) {
    for (const char* path : {"/dashboard", "/dashboard/*"}) {
      server.route(method, path, [this](http_request request, http_respond respond) {
        context_.on_core([this, request = std::move(request), respond = std::move(respond)] { respond(this->respond(request)); });
      });
    }
  }
}

http_response web_adapter::respond(const http_request& request) {
  const auto segments = path_segments(request.path);  // "dashboard", ...
  const bool get = request.method == "GET";
  const std::string language = labels_.preferred(request.header("accept-language").value_or(""));
  try {
    if (segments.size() <= 1) {
      return html_page(200, notice_html(labels_, language, "sign_in_title", labels_.get(language, "sign_in_title")));
    }
    if (get && segments.size() == 3 && segments[1] == "static" && segments[2] == "dashboard.css") {
      http_response css{200, "text/css; charset=utf-8", dashboard_security_headers(), std::string{dashboard_css()}};
      css.headers.emplace_back("Cache-Control", "max-age=3600");
      return css;
    }
    if (get && segments.size() == 3 && segments[1] == "sign-in") return sign_in(segments[2], language);
    if (!get && segments.size() == 2 && segments[1] == "sign-out") return sign_out(request, language);
    if (get && segments.size() <= 3) {
      return page(request, language, segments[1], segments.size() == 3 ? segments[2] : "overview");
    }
    if (!get && segments.size() == 4 && segments[2] == "do") return act(request, language, segments[1], segments[3]);
  } catch (const store_error&) {
    http_response unavailable = html_page(503, notice_html(labels_, language, "title", labels_.get(language, "store_down")));
    unavailable.headers.emplace_back("Retry-After", "5");
    return unavailable;
  }
  return html_page(404, notice_html(labels_, language, "title", labels_.get(language, "not_found")));
}

http_response web_adapter::sign_in(const std::string& token, const std::string& language) {
  const world& w = context_.current();
  const std::string session_id = random_token();
  auto outcome = redeem_sign_in(w, sha256_hex(token), sha256_hex(session_id), context_.clock());
  if (auto* refused = std::get_if<sign_in_refusal>(&outcome)) {
    const char* why = *refused == sign_in_refusal::not_allowed ? "link_not_allowed" : "link_refused";
    return html_page(403, notice_html(labels_, language, "sign_in_title", labels_.get(language, why)));
  }
  auto& opened = std::get<signed_in>(outcome);
  context_.commit(opened.actions);
  std::string cookie = std::string{cookie_name} + "=" + session_id + "; Path=/dashboard; HttpOnly; SameSite=Lax; Max-Age=" +
                       std::to_string(std::chrono::seconds{session_lifetime}.count());
  if (context_.secure_cookies) cookie += "; Secure";
  return redirect("/dashboard/" + opened.session.collaboration, {{"Set-Cookie", cookie}});
}

http_response web_adapter::sign_out(const http_request& request, const std::string& language) {
  const auto session_id = session_cookie(request);
  const world& w = context_.current();
  auto session = session_id ? w.sessions.find(sha256_hex(*session_id)) : w.sessions.end();
  if (session == w.sessions.end()) {
    return html_page(401, notice_html(labels_, language, "sign_in_title", labels_.get(language, "session_ended")));
  }
  const auto fields = form_fields(request.body);
  auto csrf = fields.find("csrf");
  if (csrf == fields.end() || !equal_in_constant_time(csrf->second, csrf_of(*session_id))) {
    return html_page(403, notice_html(labels_, language, "title", labels_.get(language, "bad_form")));
  }
  const auto who = w.people.find(session->second.person);
  const std::string& theirs = who == w.people.end() ? language : who->second.language;
  context_.commit(end_sessions(w, session->second.person, context_.clock()));
  http_response done = html_page(200, notice_html(labels_, theirs, "signed_out_title", labels_.get(theirs, "signed_out")));
  done.headers.emplace_back("Set-Cookie", std::string{cookie_name} + "=; Path=/dashboard; HttpOnly; SameSite=Lax; Max-Age=0");
  return done;
}

http_response web_adapter::page(const http_request& request, const std::string& language, const std::string& collaboration,
                                 const std::string& name) {
  const auto session_id = session_cookie(request);
  const world& w = context_.current();
  const time_point now = context_.clock();
  if (!session_id) return html_page(401, notice_html(labels_, language, "sign_in_title", labels_.get(language, "sign_in_title")));
  auto checked = check_session(w, sha256_hex(*session_id), collaboration, now);
  if (auto* refused = std::get_if<session_refusal>(&checked)) {
    if (*refused == session_refusal::not_allowed) return html_page(403, notice_html(labels_, language, "title", labels_.get(language, "not_allowed")));
    return html_page(401, notice_html(labels_, language, "sign_in_title", labels_.get(language, "session_ended")));
  }
  auto& ok = std::get<session_check>(checked);
  context_.commit(ok.actions);
  const dashboard_viewer& v = ok.viewer;
  if (std::ranges::find(page_names, name) == page_names.end()) {
    return html_page(404, notice_html(labels_, v.language, "title", labels_.get(v.language, "not_found")));
  }
  if (name == "audit" && !v.facilitator) {
    return html_page(403, notice_html(labels_, v.language, "title", labels_.get(v.language, "facilitators_only")));
  }
  page_frame frame{&labels_, v, w.collaborations.at(collaboration).name, name, csrf_of(*session_id), random_token(), {},
                   form_targets(w, v), now};
  {
    std::lock_guard lock(results_mutex_);
    if (auto it = results_.find(conversation_of(*session_id)); it != results_.end()) {
      frame.results = std::move(it->second);
      results_.erase(it);
    }
  }
  std::string html;
  if (name == "overview") {
    html = overview_html(frame, overview(w, v, now));
  } else if (name == "people") {
    people_query q{query_value(request, "org"), query_value(request, "sort")};
    if (q.sort.empty()) q.sort = "name";
    html = people_html(frame, people_rows(w, v, q), q);
  } else if (name == "tasks") {
    tasks_query q{query_value(request, "state"), query_value(request, "org"), query_value(request, "person")};
    if (q.state.empty()) q.state = "open";
    if (q.person.starts_with('@')) q.person.erase(0, 1);
    if (q.organization.starts_with("org:")) q.organization.erase(0, 4);
    const auto rows = task_rows(w, v, q, now);
    std::map<std::int64_t, std::vector<record_task_update>> histories;
    for (const auto& row : rows) histories[row.number] = context_.task_history(row.number);
    html = tasks_html(frame, rows, q, histories);
  } else if (name == "approvals") {
    html = approvals_html(frame, round_rows(w, v));
  } else if (name == "calendar") {
    const auto today = local_date(now, v.time_zone);
    const auto month = month_of_query(query_value(request, "month")).value_or(today.year() / today.month());
    html = calendar_html(frame, calendar_page(w, v, month), v.facilitator ? calendar_feed_url(w, collaboration) : "");
  } else if (name == "reports") {
    html = reports_html(frame, report_rows(w, v, now),
                        v.facilitator ? export_urls(w, collaboration) : std::pair<std::string, std::string>{});
  } else {
    audit_query q{query_value(request, "kind"), query_value(request, "person"), 1};
    if (auto n = query_value(request, "page"); !n.empty() && n.size() < 7 && std::ranges::all_of(n, ::isdigit)) {
      q.page = std::stoi(n);
    }
    html = audit_html(frame, audit_rows(v, q, context_.audit), q);
  }
  return html_page(200, std::move(html));
}

http_response web_adapter::act(const http_request& request, const std::string& language, const std::string& collaboration,
                                const std::string& name) {
  const auto session_id = session_cookie(request);
  const time_point now = context_.clock();
  if (!session_id) return html_page(401, notice_html(labels_, language, "sign_in_title", labels_.get(language, "sign_in_title")));
  auto checked = check_session(context_.current(), sha256_hex(*session_id), collaboration, now);
  if (auto* refused = std::get_if<session_refusal>(&checked)) {
    if (*refused == session_refusal::not_allowed) return html_page(403, notice_html(labels_, language, "title", labels_.get(language, "not_allowed")));
    return html_page(401, notice_html(labels_, language, "sign_in_title", labels_.get(language, "session_ended")));
  }
  const dashboard_viewer viewer = std::get<session_check>(checked).viewer;
  const auto fields = form_fields(request.body);
  auto csrf = fields.find("csrf");
  if (csrf == fields.end() || !equal_in_constant_time(csrf->second, csrf_of(*session_id))) {
    return html_page(403, notice_html(labels_, viewer.language, "title", labels_.get(viewer.language, "bad_form")));
  }
  std::string back = fields.contains("back") ? fields.at("back") : "overview";
  if (std::ranges::find(page_names, back) == page_names.end()) back = "overview";
  const std::string to_page = "/dashboard/" + collaboration + (back == "overview" ? "" : "/" + back);
  const std::string conversation = conversation_of(*session_id);
  const auto command = command_of(name, fields);
  auto nonce = fields.find("nonce");
  if (!command || nonce == fields.end() || nonce->second.empty() || nonce->second.size() > 64) {
    std::lock_guard lock(results_mutex_);
    results_[conversation].push_back(labels_.get(viewer.language, "form_error") + ".");
    return redirect(to_page);
  }
  inbound event;
  // A form sent twice (a double click, a reload) acts once; another form of the same page acts too.
  event.dedup_key = "dashboard:" + nonce->second + ":" + sha256_hex(*command).substr(0, 16);
  event.sender = identity{std::string{dashboard_platform}, "", viewer.person};
  event.conversation = conversation;
  event.direct = true;
  event.addressed = true;
  event.kind = inbound_kind::command;
  event.text = *command + " in:" + collaboration;
  event.at = now;
  if (!context_.submit(event)) {
    http_response unavailable =
        html_page(503, notice_html(labels_, viewer.language, "title", labels_.get(viewer.language, "store_down")));
    unavailable.headers.emplace_back("Retry-After", "5");
    return unavailable;
  }
  return redirect(to_page);
}

}  // namespace tandem
