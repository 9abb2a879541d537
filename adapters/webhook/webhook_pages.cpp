#include "adapters/webhook/webhook_pages.h"

#include "adapters/http/html.h"

namespace tandem::webhook {

http_response page(unsigned status, std::string_view title, const std::string& body_html) {
  http_response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  // Its one style is inline (the page is self-contained); it runs no script and cannot be framed,
  // so no other site can dress a one-click answer up as something else.
  r.headers = html_security_headers("'unsafe-inline'");
  r.headers.emplace_back("Cache-Control", "no-store");
  r.body =
      "<!doctype html>\n<html><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width\"><title>Tandem: " +
      html_escape(title) +
      "</title></head>\n<body style=\"font-family:sans-serif;max-width:36em;margin:2em auto\">\n<h1>" +
      html_escape(title) + "</h1>\n" + body_html + "\n</body></html>\n";
  return r;
}

http_response refused(unsigned status, std::string_view reason) {
  return text_response(status, std::string(reason) + "\n");
}

}  // namespace tandem::webhook
