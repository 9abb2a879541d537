#pragma once
// The one way adapters log: a function they are given, never a logging library of their own.

#include <functional>
#include <string_view>

namespace tandem {

/// Receives a log line: `level` is "error", "warn", "info" or "debug". Must not throw; may be
/// called from the io_context's threads (see each user's threading rule). Lines never carry
/// tokens, URLs with secrets, request bodies or message texts. Empty: no logging.
using adapter_log = std::function<void(std::string_view level, std::string_view message)>;

}  // namespace tandem
