#include "adapters/http/html.h"

namespace tandem {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> html_security_headers(std::string_view style_source) {
  return {{"Content-Security-Policy", "default-src 'none'; style-src " + std::string{style_source} +
                                          "; img-src 'self'; form-action 'self'; base-uri 'none'; "
                                          "frame-ancestors 'none'"},
          {"X-Frame-Options", "DENY"},
          {"Referrer-Policy", "no-referrer"},
          {"X-Content-Type-Options", "nosniff"}};
}

}  // namespace tandem
