#pragma once
// Builds the platform adapters the config asks for. Each platform adds its construction here.

#include "adapters/adapter_state.h"
#include "adapters/platform_adapter.h"
#include "adapters/time_zone_learning.h"
#include "app/config.h"
#include "core/store.h"

#include <memory>
#include <vector>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace tandem {

class metrics_registry;
class template_catalog;

/// What adapters may use while Tandem runs; everything outlives the adapters.
struct adapter_environment {
  boost::asio::io_context& io;
  inbound_sink sink;
  metrics_registry& metrics;
  adapter_state& state;                      ///< durable values (sync tokens), on the core strand
  const installation_directory& directory;   ///< known people and rooms, on the core strand
  time_zone_learning* time_zones = nullptr;  ///< people's time zones learned from platforms; none: not learned
  /// The message templates, for texts an adapter says on its own (Matrix's encrypted-room
  /// notice); nothing: the adapters' English fallbacks.
  const template_catalog* templates = nullptr;
};

/// Adapters' durable values in the store's settings table (`store::setting`, `put_setting`).
/// Not thread-safe, like the store: the core strand only.
class store_adapter_state final : public adapter_state {
 public:
  explicit store_adapter_state(store& durable) : store_(durable) {}
  std::optional<std::string> get(std::string_view key) override { return store_.setting(key); }
  void put(std::string_view key, std::string_view value) override { store_.put_setting(key, value); }

 private:
  store& store_;
};

/// Known people and rooms, looked up in the world that `current` returns at each call (the
/// engine's, which commands keep changing). The core strand only.
class world_directory final : public installation_directory {
 public:
  explicit world_directory(std::function<const world&()> current) : current_(std::move(current)) {}
  bool knows_person(const identity& who) const override { return find_person_by_identity(current_(), who) != nullptr; }
  bool knows_room(const room& where) const override { return collaboration_of_room(current_(), where).has_value(); }
  std::optional<std::string> language_of(const identity& who) const override {
    const person* p = find_person_by_identity(current_(), who);
    return p == nullptr ? std::nullopt : std::optional<std::string>{p->language};
  }

 private:
  std::function<const world&()> current_;
};

/// An adapter's own texts (message kinds without values, such as "encryption_unsupported")
/// rendered from `templates` in the language `directory` knows the reader by (English for a
/// stranger). Both must outlive the function; call it on the core strand.
std::function<std::string(std::string_view kind, const identity& reader)> adapter_texts(
    const template_catalog& templates, const installation_directory& directory);

/// The configured platform adapters (the console is not one of them: the runtime owns it).
std::vector<std::unique_ptr<platform_adapter>> create_platform_adapters(const tandem_config& config,
                                                                        const adapter_environment& environment);

}  // namespace tandem
