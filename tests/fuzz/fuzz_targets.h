#pragma once
// The fuzz targets of tests/fuzz: each takes one input as it could come from outside (bytes, as
// libFuzzer makes them) through a parser or renderer of Tandem's, and aborts when an invariant
// does not hold, so that libFuzzer keeps the input as a crash. Run one with
// `TANDEM_FUZZ_TARGET=<name> build/fuzz/tests/fuzz/tandem_fuzz [corpus folders]`.

#include <string>
#include <string_view>
#include <vector>

namespace tandem::fuzz {

/// Reports a broken invariant (`what`) on standard error and aborts.
[[noreturn]] void violated(std::string_view what);

/// Aborts through violated() unless `holds`.
inline void check(bool holds, std::string_view what) {
  if (!holds) violated(what);
}

/// `input` split at '\n' into exactly `count` parts (the last one takes the rest, missing ones are empty).
std::vector<std::string> parts(std::string_view input, std::size_t count);

/// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool valid_utf8(std::string_view text);

/// Whether `json` is JSON in which some object names a member twice. RFC 8259 leaves what such a
/// document means to the reader (names SHOULD be unique; homeservers and Slack send unique
/// names): two readers may each keep another of the twins.
bool has_repeated_member_names(std::string_view json);

// One function per target, named as the target; each is called once per input, on one thread.
void http_request(std::string_view input);        // raw bytes to the HTTP server over a socket
void dashboard_request(std::string_view input);   // a dashboard request: sign-in tokens, cookies, forms
void slack_event(std::string_view input);         // an Events API body
void slack_command(std::string_view input);       // a slash command's form body
void slack_interaction(std::string_view input);   // an interactivity form body
void slack_socket_mode(std::string_view input);   // a Socket Mode frame
void matrix_sync(std::string_view input);         // a /sync response
void matrix_messages(std::string_view input);     // a /messages page
void matrix_transaction(std::string_view input);  // an appservice transaction
void webhook_inbound(std::string_view input);     // a webhook body in each inbound dialect
void action_link(std::string_view input);         // a one-click link token
void command_text(std::string_view input);        // the command grammar (dates, mentions, quotes)
void schedule_text(std::string_view input);       // a schedule, cron included
void config_yaml(std::string_view input);         // a YAML config file
void template_values(std::string_view input);     // templates rendered with hostile values
void ics_text(std::string_view input);            // a value in an .ics feed parses back to itself
void csv_text(std::string_view input);            // a value in a CSV report parses back to itself
void markup_render(std::string_view input);       // a title rendered for each platform stays text

}  // namespace tandem::fuzz
