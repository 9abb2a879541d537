#pragma once
// What a platform adapter may keep and ask while Tandem runs, beyond handing events to the
// inbound sink: a few durable values of its own (a sync token, completed transaction ids) and
// whether a person or room belongs to the installation (to accept or decline invitations).
// The runtime implements both over the store and the core's world.

#include "core/model.h"

#include <optional>
#include <string>
#include <string_view>

namespace tandem {

/// Small durable values of an adapter, kept in the store's settings table. Keys start with the
/// platform's name ("matrix.next_batch"). Synchronous: each call commits before it returns.
/// Call only on the io_context's thread (the core strand); never from another thread.
class adapter_state {
 public:
  virtual ~adapter_state() = default;
  /// The value under `key`, or nothing when none was stored. Throws std::runtime_error (a
  /// store_error) when the store cannot be read: never mistake a failure for "nothing stored".
  virtual std::optional<std::string> get(std::string_view key) = 0;
  /// Stores `value` under `key` durably, replacing what was there. Throws std::runtime_error
  /// when it could not be stored.
  virtual void put(std::string_view key, std::string_view value) = 0;
};

/// Who and what belongs to the installation, as the core knows it now (config and commands).
/// Call only on the io_context's thread (the core strand).
class installation_directory {
 public:
  virtual ~installation_directory() = default;
  /// True when a person of the installation has this platform identity.
  virtual bool knows_person(const identity& who) const = 0;
  /// True when the room belongs to a collaboration.
  virtual bool knows_room(const room& where) const = 0;
  /// The language of the person with this platform identity ("fr"); nothing for a stranger.
  virtual std::optional<std::string> language_of(const identity& who) const {
    (void)who;
    return std::nullopt;
  }
};

}  // namespace tandem
