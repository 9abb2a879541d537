#include "adapters/console/console_adapter.h"

#include "core/markup.h"

namespace tandem {
namespace {

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

/// Indents every line after the first so a multi-line message reads as one block.
std::string indent_following_lines(const std::string& text, std::size_t width) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out.append(width, ' ');
  }
  return out;
}

}  // namespace

console_adapter::console_adapter(std::ostream& out, std::string person, std::string session, bool ansi)
    : out_(out), person_(std::move(person)), session_(std::move(session)), ansi_(ansi) {}

void console_adapter::deliver(const destination& to, const rendered_message& message, const std::string& /*idempotency_key*/,
                              std::function<void(delivery_result)> done) {
  {
    std::lock_guard lock(mutex_);
    // The message's own text already says how to answer; typed answers are the console's buttons.
    const std::string plain = markup_to_plain(message.markup, ansi_);
    const std::string label = to.person.empty() || to.person == person_ ? "tandem: " : "tandem -> " + to.person + ": ";
    out_ << label << indent_following_lines(plain, label.size()) << '\n' << std::flush;
  }
  done(delivery_result::delivered());
}

console_line console_adapter::translate(const std::string& raw, time_point now) {
  const std::string line = trim(raw);
  if (line.empty()) return {};
  if (line == "/quit" || line == "/exit") return {console_line::kind::quit, {}, {}};
  if (line.starts_with("/as ")) return {console_line::kind::switch_person, {}, trim(line.substr(4))};
  std::lock_guard lock(mutex_);
  inbound event;
  event.dedup_key = "console:" + session_ + ":" + std::to_string(++line_number_);
  event.sender = identity{"console", "", person_};
  event.conversation = "console:dm:" + person_;
  event.direct = true;
  event.addressed = true;
  event.kind = inbound_kind::command;
  event.text = line;
  event.at = now;
  return {console_line::kind::message, std::move(event), {}};
}

std::string console_adapter::person() const {
  std::lock_guard lock(mutex_);
  return person_;
}

void console_adapter::switch_to(std::string person) {
  std::lock_guard lock(mutex_);
  person_ = std::move(person);
}

std::string console_adapter::prompt() const {
  std::lock_guard lock(mutex_);
  return person_ + "> ";
}

}  // namespace tandem
