#pragma once
// The webhook adapter's own answers: small self-contained HTML pages (the one-click links'
// confirmation and outcome) and plain-text refusals. No I/O.

#include "adapters/http/http_types.h"

#include <string>
#include <string_view>

namespace tandem::webhook {

/// A page titled `title` around `body_html` (already escaped), never cached, with the security
/// headers of every page (html_security_headers: no script, no framing, no referrer). Pure.
http_response page(unsigned status, std::string_view title, const std::string& body_html);

/// A plain-text answer `reason` with `status` (a refusal). Pure.
http_response refused(unsigned status, std::string_view reason);

}  // namespace tandem::webhook
