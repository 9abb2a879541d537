#pragma once
// Escaping text for HTML bodies and attribute values.

#include <string>
#include <string_view>

namespace tandem {

/// `text` with & < > " ' replaced by character references, safe in element content and in
/// double- or single-quoted attribute values.
std::string html_escape(std::string_view text);

}  // namespace tandem
