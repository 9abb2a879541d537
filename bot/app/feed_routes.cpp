#include "app/feed_routes.h"

#include "adapters/http/hmac.h"
#include "adapters/http/http_server.h"
#include "core/calendar.h"
#include "core/reports.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <regex>
#include <stdexcept>

namespace tandem {
namespace {

/// The token a request presents: `?token=` or `Authorization: Bearer`.
std::optional<std::string> presented_token(const http_request& request) {
  if (auto it = request.query.find("token"); it != request.query.end() && !it->second.empty()) return it->second;
  if (auto auth = request.header("authorization"); auth && auth->starts_with("Bearer ") && auth->size() > 7) {
    return std::string{auth->substr(7)};
  }
  return std::nullopt;
}

/// The collaboration a path names, with the file kind: "/calendar/river.ics" -> ("river", "ics").
std::optional<std::pair<std::string, std::string>> named_file(std::string_view path, std::string_view prefix) {
  if (!path.starts_with(prefix)) return std::nullopt;
  const std::string_view name = path.substr(prefix.size());
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || name.find('/') != std::string_view::npos) return std::nullopt;
  return std::pair{std::string{name.substr(0, dot)}, std::string{name.substr(dot + 1)}};
}

/// A 403 or nothing: whether the request carries the collaboration's token for `purpose`.
std::optional<http_response> refused(const world& w, const http_request& request, const std::string& collaboration,
                                     const std::string& purpose, std::string_view how_to_get_it) {
  const auto token = presented_token(request);
  if (!token) {
    return text_response(
        403, "this " + purpose + " link needs its token (?token=...): " + std::string{how_to_get_it} + "\n");
  }
  const auto expected = w.secrets.find({collaboration, purpose});
  if (expected == w.secrets.end() || !equal_in_constant_time(*token, expected->second)) {
    return text_response(
        403, "wrong token for the " + purpose + " of \"" + collaboration + "\": " + std::string{how_to_get_it} + "\n");
  }
  return std::nullopt;
}

http_response calendar(const world& w, const http_request& request, time_point now) {
  const auto file = named_file(request.path, "/calendar/");
  if (!file || file->second != "ics") {
    return text_response(404, "calendar feeds are at /calendar/<collaboration>.ics?token=<token>\n");
  }
  const auto& [collaboration, _] = *file;
  if (!w.collaborations.contains(collaboration))
    return text_response(404, "no collaboration \"" + collaboration + "\"\n");
  if (auto denied = refused(w, request, collaboration, "calendar", "a facilitator gets the feed link with `events`")) {
    return *denied;
  }
  http_response ok = text_response(200, calendar_feed(w, collaboration, now));
  ok.content_type = "text/calendar; charset=utf-8";
  ok.headers.emplace_back("Content-Disposition", "inline; filename=\"" + collaboration + ".ics\"");
  ok.headers.emplace_back("Cache-Control", "no-cache");
  return ok;
}

http_response report_export(const world& w, const http_request& request, time_point now) {
  const auto file = named_file(request.path, "/export/");
  if (!file || (file->second != "csv" && file->second != "json")) {
    return text_response(404, "outcome reports are at /export/<collaboration>.csv or .json?token=<token>\n");
  }
  const auto& [collaboration, format] = *file;
  if (!w.collaborations.contains(collaboration))
    return text_response(404, "no collaboration \"" + collaboration + "\"\n");
  if (auto denied = refused(w, request, collaboration, "export", "a facilitator gets the export links with `report`")) {
    return *denied;
  }
  std::string since = first_report_month(w, collaboration, now);
  if (auto given = request.query.find("since"); given != request.query.end()) {
    static const std::regex month_or_day{R"((\d{4})-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)"};
    if (!std::regex_match(given->second, month_or_day)) {
      return text_response(400,
                           "since must be a month (2026-09) or a date (2026-09-01), not \"" + given->second + "\"\n");
    }
    since = given->second.substr(0, 7);
  }
  const auto rows = outcome_report(w, collaboration, since, now);
  http_response ok = format == "csv" ? text_response(200, report_csv(collaboration, rows))
                                     : json_response(200, report_json(collaboration, since, rows, now));
  if (format == "csv") ok.content_type = "text/csv; charset=utf-8";
  ok.headers.emplace_back("Content-Disposition",
                          "attachment; filename=\"" + collaboration + "-outcomes." + format + "\"");
  ok.headers.emplace_back("Cache-Control", "no-store");
  return ok;
}

}  // namespace

http_response feed_response(const world& w, const http_request& request, time_point now) {
  if (request.path.starts_with("/calendar/")) return calendar(w, request, now);
  return report_export(w, request, now);
}

void add_feed_routes(http_server& server, feed_routes_context context) {
  auto shared = std::make_shared<feed_routes_context>(std::move(context));
  for (const char* path : {"/calendar/*", "/export/*"}) {
    server.route("GET", path, [shared](http_request request, http_respond respond) {
      shared->on_core([shared, request = std::move(request), respond = std::move(respond)] {
        respond(feed_response(shared->current(), request, shared->clock()));
      });
    });
  }
}

}  // namespace tandem
