#include "adapters/webhook/webhook_links.h"

#include "adapters/http/hmac.h"
#include "adapters/http/html.h"
#include "adapters/webhook/webhook_pages.h"

#include <algorithm>

namespace tandem::webhook {

namespace {
constexpr std::string_view link_key_setting = "webhook.link_key";
constexpr std::string_view link_used_prefix = "webhook.link_used.";
}  // namespace

action_links::action_links(const adapter_context& context, webhook_adapter_options& options, adapter_state& durable,
                           waiting_replies& replies)
    : context_(context), options_(options), durable_(durable), replies_(replies) {}

const std::string& action_links::key() {
  if (!options_.link_key.empty()) return options_.link_key;
  if (auto kept = durable_.get(link_key_setting)) {
    options_.link_key = *kept;
  } else {
    options_.link_key = random_hex(32);
    durable_.put(link_key_setting, options_.link_key);
  }
  return options_.link_key;
}

std::vector<answer_link> action_links::links_for(const webhook_channel_settings& channel, const destination& to,
                                                 const rendered_message& message, const std::string& key_of_row) {
  std::vector<answer_link> links;
  // A link acts as its person for whoever follows it: only a channel that nobody else reads gets one.
  if (channel.kind != webhook_channel_kind::incoming || !channel.personal || options_.public_url.empty() ||
      to.user.empty())
    return links;
  for (std::size_t i = 0; i < message.answers.size(); ++i) {
    const labelled_answer& a = message.answers[i];
    const action_link link{channel.name,
                           to.user,
                           a.what.command,
                           a.label,
                           a.what.needs_reason,
                           context_.now() + options_.link_lifetime,
                           link_nonce(key_of_row, i)};
    links.push_back({a.label, options_.public_url + "/act/" + sign_link(link, key())});
  }
  return links;
}

std::variant<action_link, http_response> action_links::link_of(const http_request& request) {
  const std::string token = request.path.substr(std::string_view("/act/").size());
  auto opened = open_link(token, key(), context_.now());
  if (const auto* problem = std::get_if<link_problem>(&opened)) {
    if (*problem == link_problem::expired) {
      return page(410, "This link has expired",
                  "<p>Nothing was changed. Answer in chat instead, or ask for a new message.</p>");
    }
    return page(403, "This link is not valid", "<p>Nothing was changed. Use a link from a message Tandem sent.</p>");
  }
  action_link link = std::get<action_link>(std::move(opened));
  const webhook_channel_settings* channel = find_channel(options_, link.channel);
  if (channel == nullptr) {
    return page(410, "This link no longer works", "<p>Nothing was changed: its webhook channel is gone.</p>");
  }
  if (!channel->personal) {
    // Made before its channel became shared, or leaked from it: whoever holds it is not known to be its person.
    return page(403, "This link cannot act for anyone",
                "<p>Nothing was changed. It belongs to a channel that others can read, so it cannot prove who "
                "follows it. Answer in chat where you can, or ask a facilitator.</p>");
  }
  if (in_flight_.contains(link.nonce) || durable_.get(std::string(link_used_prefix) + link.nonce)) {
    return page(409, "This link was already used", "<p>Nothing was changed again: each link works once.</p>");
  }
  return link;
}

void action_links::on_page(const http_request& request, const http_respond& respond) {
  auto found = link_of(request);
  if (auto* refusal = std::get_if<http_response>(&found)) return respond(std::move(*refusal));
  const action_link& link = std::get<action_link>(found);
  std::string form = "<form method=\"post\">\n<p>Send <code>" + html_escape(link.command) +
                     (link.needs_reason ? " …" : "") + "</code> to Tandem?</p>\n";
  if (link.needs_reason) {
    form += "<p><label>" + html_escape(link.command) +
            " <textarea name=\"reason\" rows=\"3\" cols=\"40\" required></textarea></label></p>\n";
  }
  form += "<p><button type=\"submit\">" + html_escape(link.label) + "</button></p>\n</form>";
  respond(page(200, link.label, form));
}

void action_links::on_confirm(const http_request& request, const http_respond& respond) {
  auto found = link_of(request);
  if (auto* refusal = std::get_if<http_response>(&found)) return respond(std::move(*refusal));
  const action_link link = std::get<action_link>(found);
  std::string command = link.command;
  if (link.needs_reason) {
    const auto form = parse_form(request.body);
    std::string reason;
    if (form) {
      for (const auto& [field, value] : *form) {
        if (field == "reason") reason = value;
      }
    }
    std::erase_if(reason, [](char c) { return c == '\r'; });
    std::replace(reason.begin(), reason.end(), '\n', ' ');
    if (reason.find_first_not_of(' ') == std::string::npos) {
      return respond(page(400, "A reason is needed", "<p>Nothing was changed. Go back and write the reason.</p>"));
    }
    command += " " + reason;
  }
  inbound event;
  event.dedup_key = "webhook:" + link.channel + ":link:" + link.nonce;
  event.sender = identity{"webhook", link.channel, link.user};
  event.direct = true;
  event.addressed = true;
  event.kind = inbound_kind::button;
  event.text = command;
  event.at = context_.now();
  in_flight_.insert(link.nonce);
  const std::string nonce = link.nonce;
  replies_.wait_for_reply(std::move(event), respond, answer_style::link_page, "", command,
                          [this, hold = context_.hold(), nonce](bool stored) {
                            // Not stored: the link stays usable (the page says to try again).
                            if (stored) durable_.put(std::string(link_used_prefix) + nonce, "used");
                            in_flight_.erase(nonce);
                          });
}

}  // namespace tandem::webhook
