#include "adapters/webhook/webhook_pages.h"

#include "adapters/http/html.h"

namespace tandem::webhook {

http_response page(unsigned status, std::string_view title, const std::string& body_html) {
  http_response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.headers = {{"Cache-Control", "no-store"}, {"Referrer-Policy", "no-referrer"}};
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
