#include "adapters/metrics/metrics_registry.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace {

using tandem::metrics_registry;

}  // namespace

TEST_CASE("an empty registry renders nothing") {
  const metrics_registry registry;
  CHECK(registry.render().empty());
}

TEST_CASE("counters and histograms render in the text exposition format, families by name") {
  metrics_registry registry;
  auto& commit = registry.histogram("tandem_store_commit_seconds", "Group commit latency.",
                                    {0.25, 1, 2.5});
  registry.counter("tandem_inbound_total", "Inbound events recorded.").increment(2);
  registry.counter("tandem_http_requests_total", "HTTP responses sent, by status class.",
                   {{"code", "4xx"}})
      .increment();
  registry.counter("tandem_http_requests_total", "a later help text is ignored", {{"code", "2xx"}})
      .increment(3);
  commit.observe(0.25);
  commit.observe(0.5);
  commit.observe(4);

  CHECK(registry.render() ==
        "# HELP tandem_http_requests_total HTTP responses sent, by status class.\n"
        "# TYPE tandem_http_requests_total counter\n"
        "tandem_http_requests_total{code=\"2xx\"} 3\n"
        "tandem_http_requests_total{code=\"4xx\"} 1\n"
        "# HELP tandem_inbound_total Inbound events recorded.\n"
        "# TYPE tandem_inbound_total counter\n"
        "tandem_inbound_total 2\n"
        "# HELP tandem_store_commit_seconds Group commit latency.\n"
        "# TYPE tandem_store_commit_seconds histogram\n"
        "tandem_store_commit_seconds_bucket{le=\"0.25\"} 1\n"
        "tandem_store_commit_seconds_bucket{le=\"1\"} 2\n"
        "tandem_store_commit_seconds_bucket{le=\"2.5\"} 2\n"
        "tandem_store_commit_seconds_bucket{le=\"+Inf\"} 3\n"
        "tandem_store_commit_seconds_sum 4.75\n"
        "tandem_store_commit_seconds_count 3\n");
}

TEST_CASE("a labelled histogram puts le after its own labels") {
  metrics_registry registry;
  registry.histogram("tandem_send_seconds", "Send latency.", {1, std::numeric_limits<double>::infinity()},
                     {{"platform", "slack"}})
      .observe(0.5);
  CHECK(registry.render() ==
        "# HELP tandem_send_seconds Send latency.\n"
        "# TYPE tandem_send_seconds histogram\n"
        "tandem_send_seconds_bucket{platform=\"slack\",le=\"1\"} 1\n"
        "tandem_send_seconds_bucket{platform=\"slack\",le=\"+Inf\"} 1\n"
        "tandem_send_seconds_sum{platform=\"slack\"} 0.5\n"
        "tandem_send_seconds_count{platform=\"slack\"} 1\n");
}

TEST_CASE("help text and label values are escaped") {
  metrics_registry registry;
  registry.counter("odd_total", "line one\nback\\slash \"quoted\"", {{"value", "a\"b\\c\nd"}})
      .increment();
  CHECK(registry.render() ==
        "# HELP odd_total line one\\nback\\\\slash \"quoted\"\n"
        "# TYPE odd_total counter\n"
        "odd_total{value=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST_CASE("one series is one counter whatever the order of its labels") {
  metrics_registry registry;
  auto& first = registry.counter("pairs_total", "Pairs.", {{"b", "2"}, {"a", "1"}});
  auto& second = registry.counter("pairs_total", "Pairs.", {{"a", "1"}, {"b", "2"}});
  CHECK(&first == &second);
  first.increment();
  second.increment();
  CHECK(registry.render() ==
        "# HELP pairs_total Pairs.\n"
        "# TYPE pairs_total counter\n"
        "pairs_total{a=\"1\",b=\"2\"} 2\n");
}

TEST_CASE("invalid names and conflicting registrations are rejected") {
  metrics_registry registry;
  registry.counter("taken_total", "A counter.");
  registry.histogram("taken_seconds", "A histogram.", {1, 2});

  CHECK_THROWS_AS(registry.counter("1starts_with_digit", "x"), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("has-dash", "x"), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("ok_total", "x", {{"__reserved", "v"}}), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("ok_total", "x", {{"bad:label", "v"}}), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("ok_total", "x", {{"a", "1"}, {"a", "2"}}), std::invalid_argument);
  CHECK_THROWS_AS(registry.histogram("taken_total", "x", {1}), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("taken_seconds", "x"), std::invalid_argument);
  CHECK_THROWS_AS(registry.histogram("taken_seconds", "x", {1, 3}), std::invalid_argument);
  CHECK_THROWS_AS(registry.histogram("new_seconds", "x", {1, 1}), std::invalid_argument);
  CHECK_THROWS_AS(registry.histogram("new_seconds", "x", {2, 1}), std::invalid_argument);
  CHECK_THROWS_AS(registry.histogram("new_seconds", "x", {std::nan("")}), std::invalid_argument);
  CHECK_THROWS_AS(registry.histogram("new_seconds", "x", {1}, {{"le", "1"}}), std::invalid_argument);
  CHECK_NOTHROW(registry.histogram("taken_seconds", "x", {1, 2}, {{"route", "/a"}}));
}
