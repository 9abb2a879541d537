#pragma once
// Log set-up: one line per event, text for people or JSON for log shippers. Secrets never go
// into a log line: log `secret::describe()`, never `reveal()`.

#include <string>

namespace tandem {

/// Sends spdlog's default logger to stderr at `level` ("trace" … "error") in `format`
/// ("text" or "json"). Call once at start-up, before other threads log.
void configure_logging(const std::string& level, const std::string& format);

}  // namespace tandem
