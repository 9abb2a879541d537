// What webhook senders post to /webhook/{name} (Mattermost, Rocket.Chat, the signed form;
// adapters/webhook/webhook_inbound.h) and the one-click link tokens of /act/{token}
// (adapters/webhook/webhook_signing.h).

#include "fuzz/fuzz_targets.h"

#include "adapters/webhook/webhook_inbound.h"
#include "adapters/webhook/webhook_signing.h"

#include <chrono>
#include <string>
#include <variant>
#include <vector>

namespace tandem::fuzz {
namespace {

using namespace tandem::webhook;

const time_point now{std::chrono::seconds{1'800'000'000}};
constexpr std::string_view link_key = "fuzz-link-key-0123456789abcdef";

void check_style(const parse_result& result, std::initializer_list<request_style> styles, std::string_view what) {
  const auto* parsed = std::get_if<parsed_request>(&result);
  if (parsed == nullptr) return;
  bool known = false;
  for (const request_style s : styles) known = known || parsed->style == s;
  check(known, what);
}

}  // namespace

// The first byte chooses the sender and how the body comes (form, JSON, query string).
void webhook_inbound(std::string_view input) {
  if (input.empty()) return;
  const char how = input.front();
  const std::string body{input.substr(1)};
  tandem::http_request request{"POST", "/webhook/fuzz", "/webhook/fuzz", {}, {}, body, "127.0.0.1:1"};
  switch (static_cast<unsigned char>(how) % 5) {
    case 0:  // Mattermost, form body
      request.headers["content-type"] = "application/x-www-form-urlencoded";
      break;
    case 1:  // Mattermost, JSON body, token in the Authorization header
      request.headers["content-type"] = "application/json";
      request.headers["authorization"] = "Token fuzz";
      break;
    case 2: {  // Mattermost slash command configured with GET
      request.method = "GET";
      request.body.clear();
      const auto fields = parse_form(body);
      if (fields) {
        for (const auto& [name, value] : *fields) request.query.emplace(name, value);
      }
      break;
    }
    case 3:
      request.headers["content-type"] = "application/json";
      check_style(parse_rocketchat(request), {request_style::rocketchat}, "Rocket.Chat requests are read as such");
      return;
    default: check_style(parse_signed(body), {request_style::signed_json}, "signed requests are read as such"); return;
  }
  check_style(parse_mattermost(request), {request_style::mattermost_outgoing, request_style::mattermost_command},
              "Mattermost requests are read as such");
}

// The first byte chooses: a token as sent (only our own signatures open, and only in the form we
// sign them), or the fields of a link that must come back from its token unchanged.
void action_link(std::string_view input) {
  if (input.empty()) return;
  const char mode = input.front();
  input.remove_prefix(1);
  if (mode % 2 == 0) {
    const auto opened = open_link(input, link_key, now);
    if (const auto* link = std::get_if<webhook::action_link>(&opened)) {
      check(sign_link(*link, link_key) == input, "only tokens signed as sign_link signs them open");
    }
    check(std::holds_alternative<link_problem>(open_link(input, "another key", now)),
          "a token does not open with another key");
    return;
  }
  const auto fields = parts(input, 5);
  // The fields come from Tandem (config, templates, platform ids): text, never broken UTF-8.
  for (const auto& field : fields) {
    if (!valid_utf8(field)) return;
  }
  webhook::action_link link{fields[0], fields[1], fields[2], fields[3], (mode & 2) != 0, now + std::chrono::hours{1},
                            fields[4]};
  const std::string token = sign_link(link, link_key);
  const auto opened = open_link(token, link_key, now);
  const auto* back = std::get_if<webhook::action_link>(&opened);
  check(back != nullptr && *back == link, "a signed link opens as itself");
  check(std::holds_alternative<link_problem>(open_link(token, link_key, now + std::chrono::hours{2})),
        "a link does not open after it expired");
}

}  // namespace tandem::fuzz
