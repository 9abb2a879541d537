// One libFuzzer program for every target, so that they share one build and one link: the
// environment variable TANDEM_FUZZ_TARGET names the target.

#include "fuzz/fuzz_targets.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

namespace tandem::fuzz {
namespace {

struct target {
  std::string_view name;
  void (*run)(std::string_view input);
};

constexpr target targets[] = {
    {"http_request", http_request},
    {"dashboard_request", dashboard_request},
    {"slack_event", slack_event},
    {"slack_command", slack_command},
    {"slack_interaction", slack_interaction},
    {"slack_socket_mode", slack_socket_mode},
    {"matrix_sync", matrix_sync},
    {"matrix_messages", matrix_messages},
    {"matrix_transaction", matrix_transaction},
    {"webhook_inbound", webhook_inbound},
    {"action_link", action_link},
    {"command_text", command_text},
    {"schedule_text", schedule_text},
    {"config_yaml", config_yaml},
    {"template_values", template_values},
    {"ics_text", ics_text},
    {"csv_text", csv_text},
    {"markup_render", markup_render},
};

const target* chosen = nullptr;

}  // namespace

std::vector<std::string> parts(std::string_view input, std::size_t count) {
  std::vector<std::string> out;
  while (out.size() + 1 < count) {
    const auto end = input.find('\n');
    out.emplace_back(input.substr(0, end));
    input = end == std::string_view::npos ? std::string_view{} : input.substr(end + 1);
  }
  out.emplace_back(input);
  return out;
}

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t length = lead < 0x80                   ? 1
                               : lead >= 0xc2 && lead < 0xe0 ? 2
                               : lead >= 0xe0 && lead < 0xf0 ? 3
                               : lead >= 0xf0 && lead < 0xf5 ? 4
                                                             : 0;
    if (length == 0 || i + length > text.size()) return false;
    std::uint32_t code = length == 1 ? lead : lead & (0x7fu >> length);
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3fu);
    }
    constexpr std::uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < least[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += length;
  }
  return true;
}

bool has_repeated_member_names(std::string_view json) {
  // The names seen in each object open at the moment, innermost last.
  struct names_per_object : nlohmann::json_sax<nlohmann::json> {
    std::vector<std::set<std::string>> open;
    bool repeated = false;
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override {
      open.emplace_back();
      return true;
    }
    bool key(string_t& name) override {
      repeated = repeated || !open.back().insert(name).second;
      return !repeated;
    }
    bool end_object() override {
      open.pop_back();
      return true;
    }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }
  } reader;
  nlohmann::json::sax_parse(json, &reader);
  return reader.repeated;
}

void violated(std::string_view what) {
  std::fprintf(stderr, "tandem_fuzz: invariant broken: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

}  // namespace tandem::fuzz

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  using namespace tandem::fuzz;
  const char* name = std::getenv("TANDEM_FUZZ_TARGET");
  for (const target& t : targets) {
    if (name != nullptr && t.name == name) chosen = &t;
  }
  if (chosen == nullptr) {
    std::fprintf(stderr, "tandem_fuzz: set TANDEM_FUZZ_TARGET to one of:");
    for (const target& t : targets) std::fprintf(stderr, " %.*s", static_cast<int>(t.name.size()), t.name.data());
    std::fprintf(stderr, "\n");
    std::exit(2);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // libFuzzer's bytes as text: every parser here takes std::string_view.
  tandem::fuzz::chosen->run(std::string_view{reinterpret_cast<const char*>(data), size});
  return 0;
}
