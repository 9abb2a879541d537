// The leader's wake-ups (app/leader_wakeups.h) against a real PostgreSQL: a follower's commit
// wakes the leader's io_context, a transaction that does not commit does not, and a stopped
// watch wakes nobody.

#include "app/leader_wakeups.h"

#include "postgresql/test_database.h"
#include "storage/postgresql/postgresql_store.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>

#include <chrono>

using namespace tandem;
using namespace tandem::testing;

namespace {

/// Runs `io` until `woken` reaches `wanted`, or for at most `limit` (a failure then shows as a
/// count below what was wanted, not as a hang).
void run_until(boost::asio::io_context& io, const int& woken, int wanted, std::chrono::milliseconds limit) {
  boost::asio::steady_timer give_up(io, limit);
  give_up.async_wait([&io](const boost::system::error_code& ec) {
    if (!ec) io.stop();  // not when the next call's timer replaces this one
  });
  while (woken < wanted && !io.stopped()) io.run_one();
  io.restart();
}

}  // namespace

TEST_CASE("a follower's committed burst wakes the leader's io_context; one that does not commit does not") {
  test_database db;
  postgresql_store follower(db.address());
  postgresql_leadership leadership(db.address());
  REQUIRE(leadership.try_to_lead());
  boost::asio::io_context io;
  int woken = 0;
  leader_wakeups wakeups(io, leadership, [&woken] { ++woken; });
  wakeups.start();

  CHECK_THROWS_AS(follower.in_one_transaction([&] {
    follower.notify_at_commit(postgresql_leadership::inbound_channel);
    throw store_error("the burst was not kept");
  }),
                  store_error);
  follower.in_one_transaction([&] { follower.notify_at_commit(postgresql_leadership::inbound_channel); });
  run_until(io, woken, 1, std::chrono::seconds{5});
  CHECK(woken == 1);

  follower.in_one_transaction([&] { follower.notify_at_commit(postgresql_leadership::inbound_channel); });
  run_until(io, woken, 2, std::chrono::seconds{5});
  CHECK(woken == 2);

  wakeups.stop();
  follower.in_one_transaction([&] { follower.notify_at_commit(postgresql_leadership::inbound_channel); });
  run_until(io, woken, 3, std::chrono::milliseconds{300});
  CHECK(woken == 2);  // stopped: nobody is woken
}
