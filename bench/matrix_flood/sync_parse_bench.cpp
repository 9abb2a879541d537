// How long reading one /sync batch of 1,000 room messages takes, three ways: a document then
// from_json (copying), a document then moving out of it (what /messages and AS transactions
// use), and straight from the text (SAX, what /sync uses). CPU per event, best of 20 rounds.
//
// Usage: tandem_matrix_sync_parse_bench [events]

#include "adapters/matrix/matrix_wire.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

namespace {

std::string sync_body(std::size_t events) {
  std::string out = R"({"next_batch":"s)" + std::to_string(events) +
                    R"(","rooms":{"join":{"!flood:localhost":{"timeline":{"events":[)";
  for (std::size_t n = 0; n < events; ++n) {
    if (n != 0) out += ',';
    out += R"({"type":"m.room.message","event_id":"$f)" + std::to_string(n) + R"(:localhost","sender":"@guest)" +
           std::to_string(n % 20) +
           R"(:localhost","origin_server_ts":1767225600000,"content":{"msgtype":"m.text","body":"Flood message )" +
           std::to_string(n) +
           R"(: the river survey is on Saturday, bring boots and a notebook."},"unsigned":{"age":12}})";
  }
  out += R"(],"limited":false,"prev_batch":"t0"},"state":{"events":[]},"ephemeral":{"events":[]},)"
         R"("account_data":{"events":[]},"unread_notifications":{"highlight_count":0,"notification_count":0}}},)"
         R"("invite":{},"leave":{}},"account_data":{"events":[]},"presence":{"events":[]}})";
  return out;
}

template <typename F>
double best_microseconds(F&& read) {
  double best = 1e18;
  for (int round = 0; round < 20; ++round) {
    const auto start = std::chrono::steady_clock::now();
    read();
    best = std::min(best, std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t events = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1000;
  const std::string body = sync_body(events);
  std::size_t seen = 0;
  const double copying =
      best_microseconds([&] { seen += nlohmann::json::parse(body).get<tandem::matrix::sync_response>().join.size(); });
  const double sax = best_microseconds([&] { seen += tandem::matrix::read_sync_response(body).join.size(); });
  const double parse_only = best_microseconds([&] { seen += nlohmann::json::parse(body).size(); });
  const auto n = static_cast<double>(events);
  std::cout << events << " events, " << body.size() / 1024 << " KiB: document + from_json " << copying / n
            << " µs per event; document alone " << parse_only / n << " µs; from the text (SAX) " << sax / n << " µs ("
            << seen << " rooms read)\n";
  return 0;
}
