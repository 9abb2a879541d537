// store.keep_text: old recorded text is blanked a batch at a time, newer text stays, and the
// metric counts what was forgotten.

#include "app/text_retention.h"

#include "storage/sqlite/sqlite_store.h"

#include <date/date.h>
#include <catch2/catch.hpp>

#include <string>

using namespace tandem;
using namespace std::chrono_literals;

namespace {

const time_point now = date::sys_days{date::year{2026} / 12 / 7} + 12h;

inbound note(int n, time_point at) {
  return inbound{"console:ana:" + std::to_string(n),
                 identity{"console", "", "ana"},
                 "dm",
                 true,
                 true,
                 inbound_kind::message,
                 "note " + std::to_string(n),
                 at,
                 ""};
}

std::size_t texts_kept(store& durable) {
  std::size_t kept = 0;
  for (const recorded_response& r : durable.unhandled_responses()) {
    if (!r.event.text.empty()) ++kept;
  }
  return kept;
}

}  // namespace

TEST_CASE("text older than keep_text is forgotten a batch at a time until none is left; newer text stays") {
  sqlite_store durable(":memory:");
  metrics_registry metrics;
  const std::size_t old_ones = text_retention::batch_size + 5;
  durable.in_one_transaction([&] {
    for (std::size_t n = 0; n < old_ones; ++n)
      durable.record(note(static_cast<int>(n), now - 100 * 24h), true, recorded_as::unhandled);
    for (int n = 0; n < 3; ++n) durable.record(note(100000 + n, now - 10 * 24h), true, recorded_as::unhandled);
  });
  text_retention retention(durable, 90 * 24h, metrics);

  CHECK(retention.run_batch(now));
  CHECK(texts_kept(durable) == 5 + 3);
  CHECK_FALSE(retention.run_batch(now));
  CHECK(texts_kept(durable) == 3);
  CHECK_FALSE(retention.run_batch(now));

  CHECK(durable.unhandled_responses().size() == old_ones + 3);
  CHECK(metrics.counter("tandem_store_texts_forgotten_total", "").value() == old_ones);
}
