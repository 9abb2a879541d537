#include "adapters/http/hmac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>
#include <utility>
#include <vector>

namespace tandem {

/// A keyed EVP_MAC context. EVP_MAC_init with a null key starts a new message under the key set
/// at construction (HMAC keeps its key schedule), which is what makes a digest cheap.
struct hmac_sha256::context {
  EVP_MAC_CTX* mac = nullptr;
};

namespace {

EVP_MAC* hmac_algorithm() {
  // Fetched once for the process; OpenSSL's fetch is thread-safe and the result is immutable.
  static EVP_MAC* const algorithm = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (algorithm == nullptr) throw std::runtime_error("OpenSSL has no HMAC");
  return algorithm;
}

}  // namespace

hmac_sha256::hmac_sha256(std::string_view key) : context_(new context) {
  context_->mac = EVP_MAC_CTX_new(hmac_algorithm());
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                               OSSL_PARAM_construct_end()};
  // An empty key is legal for HMAC but EVP_MAC_init takes a null pointer as "keep the old key".
  static constexpr unsigned char empty_key = 0;
  const auto* key_bytes = key.empty() ? &empty_key : reinterpret_cast<const unsigned char*>(key.data());
  if (context_->mac == nullptr || EVP_MAC_init(context_->mac, key_bytes, key.size(), params) != 1) {
    EVP_MAC_CTX_free(context_->mac);
    delete context_;
    throw std::runtime_error("OpenSSL could not set up HMAC-SHA256");
  }
}

hmac_sha256::~hmac_sha256() {
  if (context_ == nullptr) return;
  EVP_MAC_CTX_free(context_->mac);
  delete context_;
}

hmac_sha256::hmac_sha256(hmac_sha256&& other) noexcept : context_(std::exchange(other.context_, nullptr)) {}

hmac_sha256& hmac_sha256::operator=(hmac_sha256&& other) noexcept {
  std::swap(context_, other.context_);
  return *this;
}

hmac_sha256::digest_bytes hmac_sha256::digest(std::initializer_list<std::string_view> parts) {
  digest_bytes out{};
  std::size_t length = 0;
  bool ok = EVP_MAC_init(context_->mac, nullptr, 0, nullptr) == 1;
  for (const std::string_view part : parts) {
    ok = ok && EVP_MAC_update(context_->mac, reinterpret_cast<const unsigned char*>(part.data()), part.size()) == 1;
  }
  ok = ok && EVP_MAC_final(context_->mac, out.data(), &length, out.size()) == 1 && length == out.size();
  if (!ok) throw std::runtime_error("OpenSSL failed to compute HMAC-SHA256");
  return out;
}

std::string hmac_sha256::hex_digest(std::initializer_list<std::string_view> parts) { return to_hex(digest(parts)); }

std::string to_hex(std::span<const unsigned char> bytes) {
  static constexpr std::string_view digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const unsigned char b : bytes) {
    out += digits[b >> 4U];
    out += digits[b & 15U];
  }
  return out;
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  if (RAND_bytes(buffer.data(), static_cast<int>(buffer.size())) != 1) {
    throw std::runtime_error("OpenSSL's random generator failed");
  }
  return to_hex(buffer);
}

bool equal_in_constant_time(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string sha256_hex(std::string_view text) {
  hmac_sha256::digest_bytes bytes{};
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), bytes.data(), &size, EVP_sha256(), nullptr) != 1 || size != bytes.size()) {
    throw std::runtime_error("OpenSSL could not compute SHA-256");
  }
  return to_hex(bytes);
}

std::string random_token() { return random_hex(24); }

}  // namespace tandem
