#pragma once
// Escaping text for HTML bodies and attribute values; the headers every HTML page carries.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem {

/// `text` with & < > " ' replaced by character references, safe in element content and in
/// double- or single-quoted attribute values.
std::string html_escape(std::string_view text);

/// The security headers of a page of Tandem's: a Content-Security-Policy under which the page
/// runs no script, loads nothing (styles only from `style_source`, e.g. `'self'`), posts forms
/// only to this server and cannot be framed (with `X-Frame-Options: DENY` for older browsers),
/// no referrer, no content sniffing.
std::vector<std::pair<std::string, std::string>> html_security_headers(std::string_view style_source);

}  // namespace tandem
