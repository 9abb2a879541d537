#pragma once
// Learning people's time zones from Slack: users.info (Tier 4, scope users:read) for the people
// whose zone nobody gave, at most once a person a run, paced, off the inbound path. The answer
// goes to the core as a value (adapters/time_zone_learning.h); the core decides. No Asio here:
// the adapter lends its Web API calls, timers and strand through `time_zone_lookup_hooks`.

#include "adapters/adapter_log.h"
#include "adapters/slack/slack_outbound.h"
#include "adapters/time_zone_learning.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace tandem::slack {

/// The time zone in a users.info answer (`user.tz`, e.g. "Europe/Berlin"), when it has one.
/// Pure.
std::optional<std::string> time_zone_of(const nlohmann::json& users_info_answer);

/// What the lookup borrows from the adapter. Every function is called on the adapter's strand.
struct time_zone_lookup_hooks {
  /// Calls users.info of workspace `team` with the form body `form`; `done` runs on the strand.
  std::function<void(const std::string& team, std::string form, std::function<void(api_result)> done)> call;
  /// Runs `f` on the strand after `delay`; never once the adapter stops.
  std::function<void(std::chrono::milliseconds delay, std::function<void()> f)> after;
  /// Runs `f` on the strand (the core answers on its own thread); never once the adapter stops.
  std::function<void(std::function<void()> f)> post;
  /// A log line: `level` is "error", "warn", "info" or "debug".
  adapter_log log;
};

/// How the lookup paces itself.
struct time_zone_lookup_options {
  std::chrono::milliseconds interval{1000};  ///< between two users.info calls: Tier 4 allows 100+ a minute
  std::chrono::milliseconds retry{30000};    ///< after a transient failure (network, 5xx, internal_error)
  int attempts = 3;                          ///< transient failures a person is tried for, a run
  std::chrono::seconds retry_after{30};      ///< a 429 without a Retry-After waits this long
};

/// Looks people up one at a time, at most one call per `interval` (all workspaces together), a
/// 429 pausing every lookup for its Retry-After. Someone is looked up once a run: the ones the
/// core wants at start, and anyone wanted who is noticed later (an event from them, a message to
/// them), ahead of the queue. A person's failure (user_not_found...) is logged once and their zone
/// stays the default; missing_scope or a refused token stops the lookups of that workspace for
/// the run, with one log line. Used on the adapter's strand only.
class time_zone_lookup {
 public:
  /// Looks up people of the workspaces `teams` for `core` (which must outlive this).
  time_zone_lookup(time_zone_learning& core, std::set<std::string, std::less<>> teams, time_zone_lookup_hooks hooks,
                   time_zone_lookup_options options);

  /// Asks the core whom it wants, and looks them up.
  void start();

  /// Someone of `team` showed up (an event, a message to them). Cheap when they were noticed
  /// before this run: two lookups in memory, nothing else. The first time, asks the core whether
  /// their zone is wanted.
  void noticed(std::string_view team, std::string_view user);

  /// Ends every lookup: nothing is called or logged afterwards.
  void stop();

 private:
  struct wanted_person {
    identity who;
    int failures = 0;  ///< transient ones, this run
    std::chrono::steady_clock::time_point not_before{};
  };

  void enqueue(identity who, bool first);
  void pump();
  void wake_at(std::chrono::steady_clock::time_point at);
  void on_answer(wanted_person wanted, const api_result& result);
  void on_outcome(const wanted_person& wanted, const std::string& zone, std::optional<learned_zone_outcome> outcome);
  void failed_transiently(wanted_person wanted, const std::string& why);
  void stop_workspace(const std::string& team);
  void log(std::string_view level, const std::string& message) const;

  time_zone_learning& core_;
  std::set<std::string, std::less<>> teams_;
  time_zone_lookup_hooks hooks_;
  time_zone_lookup_options options_;
  /// team -> users noticed or queued this run: each is considered once.
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> considered_;
  std::deque<wanted_person> queue_;
  std::set<std::string> stopped_teams_;  ///< missing_scope or a refused token: no more lookups there
  bool calling_ = false;                 ///< a users.info call is under way
  std::optional<std::chrono::steady_clock::time_point> wake_;  ///< when a timer set will pump
  bool stopped_ = false;
  std::chrono::steady_clock::time_point next_call_{};  ///< the pace: no call before
};

}  // namespace tandem::slack
