#include "adapters/webhook/webhook_signing.h"

#include "adapters/http/hmac.h"

#include <openssl/sha.h>
#include <nlohmann/json.hpp>

#include <array>
#include <charconv>

namespace tandem::webhook {
namespace {

using json = nlohmann::json;

constexpr std::string_view link_context = "tandem-link-v1.";
constexpr std::string_view base64url_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string hmac_raw(std::string_view key, std::initializer_list<std::string_view> parts) {
  const auto digest = hmac_sha256(key).digest(parts);
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

std::string base64url(std::string_view bytes) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char ch : bytes) {
    buffer = (buffer << 8U) | static_cast<unsigned char>(ch);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += base64url_alphabet[(buffer >> static_cast<unsigned>(bits)) & 63U];
    }
  }
  if (bits > 0) out += base64url_alphabet[(buffer << static_cast<unsigned>(6 - bits)) & 63U];
  return out;
}

std::optional<std::string> from_base64url(std::string_view text) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char ch : text) {
    const auto value = base64url_alphabet.find(ch);
    if (value == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 6U) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> static_cast<unsigned>(bits)) & 255U);
    }
  }
  return out;
}

}  // namespace

std::string hmac_sha256_hex(std::string_view key, std::string_view data) { return hmac_sha256(key).hex_digest({data}); }

std::string request_signature(std::string_view secret, std::string_view timestamp, std::string_view body) {
  return "v1=" + hmac_sha256(secret).hex_digest({"v1:", timestamp, ":", body});
}

std::optional<std::string> check_request_signature(std::string_view secret, std::optional<std::string_view> timestamp,
                                                   std::optional<std::string_view> signature, std::string_view body,
                                                   time_point now) {
  if (!timestamp) return "missing " + std::string(timestamp_header);
  if (!signature) return "missing " + std::string(signature_header);
  long long seconds = 0;
  const auto [end, error] = std::from_chars(timestamp->data(), timestamp->data() + timestamp->size(), seconds);
  if (error != std::errc{} || end != timestamp->data() + timestamp->size() || timestamp->empty()) {
    return "bad " + std::string(timestamp_header) + " (Unix time in seconds)";
  }
  const long long age = now.time_since_epoch().count() - seconds;
  if (age > signature_window.count() || -age > signature_window.count()) {
    return "timestamp more than 5 minutes away from now: replay refused";
  }
  if (!signature->starts_with("v1=")) return "bad " + std::string(signature_header) + " (expected v1=<hex>)";
  if (!equal_in_constant_time(*signature, request_signature(secret, *timestamp, body))) return "bad signature";
  return std::nullopt;
}

std::string link_nonce(std::string_view idempotency_key, std::size_t answer_index) {
  const std::string input = std::string(idempotency_key) + "#" + std::to_string(answer_index);
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data());
  return to_hex(std::span<const unsigned char>{digest.data(), 16});
}

std::string sign_link(const action_link& link, std::string_view key) {
  const json payload{{"c", link.channel}, {"u", link.user},         {"x", link.command},
                     {"l", link.label},   {"r", link.needs_reason}, {"e", link.expires.time_since_epoch().count()},
                     {"n", link.nonce}};
  const std::string head = base64url(payload.dump(-1, ' ', false, json::error_handler_t::replace));
  return head + "." + base64url(hmac_raw(key, {link_context, head}));
}

std::variant<action_link, link_problem> open_link(std::string_view token, std::string_view key, time_point now) {
  const auto dot = token.find('.');
  if (dot == std::string_view::npos) return link_problem::forged;
  const std::string_view head = token.substr(0, dot);
  const auto mac = from_base64url(token.substr(dot + 1));
  if (!mac || !equal_in_constant_time(*mac, hmac_raw(key, {link_context, head}))) {
    return link_problem::forged;
  }
  const auto payload_text = from_base64url(head);
  if (!payload_text) return link_problem::forged;
  const json payload = json::parse(*payload_text, nullptr, false);
  action_link link;
  try {
    link.channel = payload.at("c").get<std::string>();
    link.user = payload.at("u").get<std::string>();
    link.command = payload.at("x").get<std::string>();
    link.label = payload.at("l").get<std::string>();
    link.needs_reason = payload.at("r").get<bool>();
    link.expires = time_point{std::chrono::seconds{payload.at("e").get<long long>()}};
    link.nonce = payload.at("n").get<std::string>();
  } catch (const json::exception&) {
    return link_problem::forged;  // signed by us but not a link: never happens unless the key is reused
  }
  if (now >= link.expires) return link_problem::expired;
  return link;
}

}  // namespace tandem::webhook
