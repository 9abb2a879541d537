#pragma once
// A resolved secret from the config: a value that leaves only through `reveal()`.

#include <string>
#include <utility>

namespace tandem {

/// A resolved secret (token, password, URL with a token). It has no stream operator and no
/// conversion to string: the value comes out only through `reveal()`, at the place that uses it.
/// A value type; safe to copy between threads.
class secret {
 public:
  /// `description` says where the value came from, e.g. "env:TANDEM_METRICS_TOKEN"; never the value.
  secret(std::string value, std::string description) : value_(std::move(value)), description_(std::move(description)) {}

  /// The secret value itself. Never log it.
  const std::string& reveal() const { return value_; }
  /// Where the value came from ("env:NAME" or "file:PATH"), safe to log.
  const std::string& describe() const { return description_; }

 private:
  std::string value_;
  std::string description_;
};

}  // namespace tandem
