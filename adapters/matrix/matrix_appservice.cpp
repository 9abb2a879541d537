#include "adapters/matrix/matrix_appservice.h"

#include "adapters/http/hmac.h"
#include "adapters/matrix/matrix_translate.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include <array>
#include <stdexcept>

namespace tandem::matrix {
namespace {

constexpr std::string_view completed_key = "matrix.appservice.completed_txns";

http_response error_response(unsigned status, std::string_view errcode, std::string_view message) {
  return json_response(status, nlohmann::json{{"errcode", errcode}, {"error", message}});
}

std::array<unsigned char, SHA256_DIGEST_LENGTH> digest_of(std::string_view text) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return digest;
}

std::string regex_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::string_view{"\\^$.|?*+()[]{}"}.find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

bool same_token(std::string_view given, std::string_view expected) {
  const auto a = digest_of(given);
  const auto b = digest_of(expected);
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

transaction_receiver::transaction_receiver(std::string hs_token, adapter_state& state, event_pipeline pipeline,
                                           unavailability unavailable, adapter_log log)
    : hs_token_(std::move(hs_token)),
      state_(state),
      pipeline_(std::move(pipeline)),
      unavailable_(std::move(unavailable)),
      log_(std::move(log)) {}

void transaction_receiver::add_routes(http_server& server) {
  server.route("PUT", "/_matrix/app/v1/transactions/*", [this](http_request request, http_respond respond) {
    on_transaction(request, std::move(respond), "/_matrix/app/v1/transactions/");
  });
  server.route("PUT", "/transactions/*", [this](http_request request, http_respond respond) {
    on_transaction(request, std::move(respond), "/transactions/");
  });
  server.route("POST", "/_matrix/app/v1/ping", [this](http_request request, http_respond respond) {
    if (auto refused = refuse(request)) return respond(std::move(*refused));
    respond(json_response(200, nlohmann::json::object()));
  });
  for (const char* query : {"/_matrix/app/v1/users/*", "/_matrix/app/v1/rooms/*"}) {
    server.route("GET", query, [this](http_request request, http_respond respond) {
      if (auto refused = refuse(request)) return respond(std::move(*refused));
      respond(error_response(404, "M_NOT_FOUND", "Tandem provides no users or rooms beyond its bot"));
    });
  }
  for (const char* method : {"GET", "PUT", "POST", "DELETE"}) {
    server.route(method, "/_matrix/app/v1/*", [this](http_request request, http_respond respond) {
      if (auto refused = refuse(request)) return respond(std::move(*refused));
      respond(error_response(404, "M_UNRECOGNIZED", "unknown application service endpoint"));
    });
  }
}

std::optional<http_response> transaction_receiver::refuse(const http_request& request) const {
  std::optional<std::string_view> bearer;
  if (const auto header = request.header("authorization")) {
    if (!header->starts_with("Bearer ")) {
      return error_response(401, "M_UNAUTHORIZED", "send the hs_token as Authorization: Bearer <token>");
    }
    bearer = header->substr(7);
  }
  std::optional<std::string_view> query;
  if (const auto it = request.query.find("access_token"); it != request.query.end()) query = it->second;
  if (!bearer && !query)
    return error_response(401, "M_UNAUTHORIZED", "no hs_token: send Authorization: Bearer <hs_token>");
  // Both are checked when both are given (the spec asks that both match).
  const bool bearer_ok = !bearer || same_token(*bearer, hs_token_);
  const bool query_ok = !query || same_token(*query, hs_token_);
  if (!bearer_ok || !query_ok)
    return error_response(403, "M_FORBIDDEN", "the hs_token does not match the registration");
  return std::nullopt;
}

bool transaction_receiver::load_completed() {
  if (loaded_) return true;
  std::optional<std::string> stored;
  try {
    stored = state_.get(completed_key);
  } catch (const std::exception& e) {
    if (log_) log_("error", std::string{"matrix: cannot read completed transaction ids: "} + e.what());
    return false;
  }
  if (stored) {
    const auto ids = nlohmann::json::parse(*stored, nullptr, false);
    if (ids.is_array()) {
      for (const auto& id : ids) {
        if (!id.is_string()) continue;
        // Kept percent-encoded (see complete); an entry that does not decode is kept as written.
        const auto& written = id.get_ref<const std::string&>();
        std::string bytes = percent_decode(written).value_or(written);
        if (completed_.insert(bytes).second) completed_order_.push_back(std::move(bytes));
      }
    }
  }
  loaded_ = true;
  return true;
}

void transaction_receiver::on_transaction(const http_request& request, http_respond respond, std::string_view prefix) {
  if (auto refused = refuse(request)) return respond(std::move(*refused));
  const auto txn_id = percent_decode(std::string_view{request.path}.substr(prefix.size()));
  if (!txn_id || txn_id->empty() || txn_id->find('/') != std::string::npos) {
    return respond(error_response(404, "M_UNRECOGNIZED", "expected /transactions/{txnId}"));
  }
  if (unavailable_) {
    // 503, not 500: nothing failed to store; Tandem cannot take events yet. The homeserver
    // retries a transaction after any failure (Synapse with its own backoff, reading no
    // Retry-After), so none is given.
    if (auto why = unavailable_()) return respond(error_response(503, "M_UNKNOWN", *why));
  }
  if (!load_completed()) {
    return respond(not_stored_response(error_response(503, "M_UNKNOWN", "the store is unavailable; retry")));
  }
  if (completed_.contains(*txn_id)) return respond(json_response(200, nlohmann::json::object()));
  if (auto running = in_flight_.find(*txn_id); running != in_flight_.end()) {
    running->second.push_back(std::move(respond));  // answered with the first copy
    return;
  }
  auto body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded()) return respond(error_response(400, "M_NOT_JSON", "the body is not JSON"));
  transaction txn;
  try {
    txn = take_transaction(std::move(body));
  } catch (const nlohmann::json::exception&) {
    return respond(error_response(400, "M_BAD_JSON", "expected an object with an events list"));
  }
  if (txn.events.malformed > 0) {
    if (log_) {
      log_("warn", "matrix: transaction " + percent_encode(*txn_id) + " has " + std::to_string(txn.events.malformed) +
                       " malformed events, skipped");
    }
  }
  in_flight_[*txn_id].push_back(std::move(respond));
  pipeline_(std::move(txn.events.events), [this, id = *txn_id](bool stored) { complete(id, stored); });
}

void transaction_receiver::complete(const std::string& txn_id, bool stored) {
  auto waiting = in_flight_.extract(txn_id);
  if (stored) {
    completed_.insert(txn_id);
    completed_order_.push_back(txn_id);
    while (completed_order_.size() > remembered_transactions) {
      completed_.erase(completed_order_.front());
      completed_order_.pop_front();
    }
    // A txn id is bytes (it may percent-decode to invalid UTF-8, which JSON cannot carry): each is
    // written percent-encoded, so every id can be stored and read back as the same bytes.
    nlohmann::json written = nlohmann::json::array();
    for (const auto& id : completed_order_) written.push_back(percent_encode(id));
    try {
      state_.put(completed_key, written.dump());
    } catch (const std::exception& e) {
      // The events are stored: a replay after a restart records nothing new (dedup by event id).
      if (log_) log_("warn", "matrix: cannot persist completed transaction " + percent_encode(txn_id) + ": " + e.what());
    }
  }
  if (waiting.empty()) return;
  for (auto& respond : waiting.mapped()) {
    respond(stored ? json_response(200, nlohmann::json::object())
                   : not_stored_response(error_response(503, "M_UNKNOWN", "the events could not be stored; retry")));
  }
}

std::string registration_yaml(const registration_request& request, std::string_view as_token,
                              std::string_view hs_token) {
  const std::string server = server_name_of(request.user_id);
  if (server.empty()) throw std::invalid_argument("the user id must look like @tandem:example.org");
  if (request.url.empty()) throw std::invalid_argument("the url where the homeserver reaches Tandem is needed");
  const std::string localpart = request.user_id.substr(1, request.user_id.find(':') - 1);
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "id" << YAML::Value << YAML::DoubleQuoted << request.id;
  out << YAML::Key << "url" << YAML::Value << YAML::DoubleQuoted << request.url;
  out << YAML::Key << "as_token" << YAML::Value << YAML::DoubleQuoted << std::string{as_token};
  out << YAML::Key << "hs_token" << YAML::Value << YAML::DoubleQuoted << std::string{hs_token};
  out << YAML::Key << "sender_localpart" << YAML::Value << YAML::DoubleQuoted << localpart;
  out << YAML::Key << "rate_limited" << YAML::Value << false;
  out << YAML::Key << "namespaces" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "users" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "exclusive" << YAML::Value << true;
  out << YAML::Key << "regex" << YAML::Value << YAML::DoubleQuoted << regex_escape(request.user_id);
  out << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "aliases" << YAML::Value << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
  out << YAML::Key << "rooms" << YAML::Value << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
  out << YAML::EndMap << YAML::EndMap;
  return std::string{out.c_str()} + "\n";
}

std::string random_token() { return random_hex(32); }

}  // namespace tandem::matrix
