#include "adapters/slack/slack_time_zones.h"

#include "adapters/http/http_types.h"

#include <algorithm>
#include <utility>

namespace tandem::slack {
namespace {

using steady = std::chrono::steady_clock;

std::string who_text(const identity& who) { return who.user + " (workspace " + who.workspace + ")"; }

}  // namespace

std::optional<std::string> time_zone_of(const nlohmann::json& users_info_answer) {
  const auto user = users_info_answer.find("user");
  if (user == users_info_answer.end() || !user->is_object()) return std::nullopt;
  const auto tz = user->find("tz");
  if (tz == user->end() || !tz->is_string() || tz->get_ref<const std::string&>().empty()) return std::nullopt;
  return tz->get<std::string>();
}

time_zone_lookup::time_zone_lookup(time_zone_learning& core, std::set<std::string, std::less<>> teams,
                                   time_zone_lookup_hooks hooks, time_zone_lookup_options options)
    : core_(core), teams_(std::move(teams)), hooks_(std::move(hooks)), options_(options) {}

void time_zone_lookup::start() {
  core_.wanted("slack", [this, post = hooks_.post](std::vector<identity> wanted) {
    post([this, wanted = std::move(wanted)] {
      for (const identity& who : wanted) {
        if (!teams_.contains(who.workspace)) continue;
        if (considered_[who.workspace].insert(who.user).second) enqueue(who, false);
      }
    });
  });
}

void time_zone_lookup::noticed(std::string_view team, std::string_view user) {
  if (stopped_ || user.empty()) return;
  auto known = considered_.find(team);
  if (known == considered_.end()) {
    if (!teams_.contains(team)) return;
    known = considered_.emplace(std::string(team), std::set<std::string, std::less<>>{}).first;
  }
  if (known->second.contains(user)) return;
  known->second.emplace(user);
  identity who{"slack", std::string(team), std::string(user)};
  core_.is_wanted(who, [this, post = hooks_.post, who](bool wanted) {
    if (wanted) post([this, who] { enqueue(who, true); });
  });
}

void time_zone_lookup::stop() {
  stopped_ = true;
  queue_.clear();
}

void time_zone_lookup::enqueue(identity who, bool first) {
  if (stopped_ || stopped_teams_.contains(who.workspace)) return;
  wanted_person wanted{std::move(who), 0, {}};
  if (first) {
    queue_.push_front(std::move(wanted));
  } else {
    queue_.push_back(std::move(wanted));
  }
  pump();
}

void time_zone_lookup::pump() {
  if (stopped_ || calling_ || queue_.empty()) return;
  const auto now = steady::now();
  const auto ready = std::ranges::find_if(queue_, [now](const wanted_person& w) { return w.not_before <= now; });
  if (ready == queue_.end()) {
    const auto earliest = std::ranges::min_element(queue_, {}, &wanted_person::not_before);
    wake_at(std::max(earliest->not_before, next_call_));
    return;
  }
  if (next_call_ > now) {
    wake_at(next_call_);
    return;
  }
  wanted_person wanted = std::move(*ready);
  queue_.erase(ready);
  calling_ = true;
  next_call_ = now + options_.interval;
  const std::string team = wanted.who.workspace;
  const std::string form = "user=" + percent_encode(wanted.who.user);
  hooks_.call(team, form, [this, wanted = std::move(wanted)](const api_result& result) {
    calling_ = false;
    if (stopped_) return;
    on_answer(wanted, result);
    pump();
  });
}

void time_zone_lookup::wake_at(steady::time_point at) {
  if (wake_ && *wake_ <= at) return;  // a timer pumps by then, and pump sets the next one
  wake_ = at;
  const auto delay =
      std::chrono::ceil<std::chrono::milliseconds>(std::max(at - steady::now(), steady::duration::zero()));
  hooks_.after(delay, [this, at] {
    if (wake_ == at) wake_.reset();
    pump();
  });
}

void time_zone_lookup::on_answer(wanted_person wanted, const api_result& result) {
  if (const auto* answer = std::get_if<nlohmann::json>(&result)) {
    const auto zone = time_zone_of(*answer);
    if (!zone) {
      log("info",
          "slack: users.info gives no time zone for " + who_text(wanted.who) + "; their zone stays the default");
      return;
    }
    core_.learned(wanted.who, *zone,
                  [this, post = hooks_.post, wanted, zone = *zone](std::optional<learned_zone_outcome> outcome) {
                    post([this, wanted, zone, outcome] {
                      on_outcome(wanted, zone, outcome);
                      pump();
                    });
                  });
    return;
  }
  const auto& error = std::get<api_error>(result);
  const std::string& team = wanted.who.workspace;
  if (error.status == 429 || error.retry_after) {
    const std::chrono::seconds wait = error.retry_after.value_or(options_.retry_after);
    next_call_ = std::max(next_call_, steady::now() + wait);
    queue_.push_front(std::move(wanted));  // throttled, not failed: next in line once the wait is over
    log("warn", "slack: users.info is rate limited (HTTP 429): time zone lookups wait " + std::to_string(wait.count()) +
                    " s (Retry-After)");
    return;
  }
  if (is_auth_failure(error)) {
    stop_workspace(team);  // the adapter says why, once, for every Web API call
    return;
  }
  if (error.code == "missing_scope") {
    log("warn", "slack: workspace " + team +
                    " did not grant the scope users:read (missing_scope), so time zones are not learned from Slack "
                    "there: people keep the default until tz in the config or the tz command gives theirs. Add "
                    "users:read to the app (deploy/slack/manifest.yaml) and reinstall it");
    stop_workspace(team);
    return;
  }
  if (to_delivery_result(error).what == delivery_result::outcome::retry) {
    failed_transiently(std::move(wanted), error.describe());
    return;
  }
  log("warn", "slack: users.info cannot tell the time zone of " + who_text(wanted.who) + " (" + error.describe() +
                  "); their zone stays the default");
}

void time_zone_lookup::on_outcome(const wanted_person& wanted, const std::string& zone,
                                  std::optional<learned_zone_outcome> outcome) {
  if (stopped_) return;
  if (!outcome) {
    failed_transiently(wanted, "the store could not keep it");
    return;
  }
  switch (*outcome) {
    case learned_zone_outcome::kept:
      log("info", "slack: learned the time zone of " + who_text(wanted.who) + " from users.info: " + zone);
      return;
    case learned_zone_outcome::unknown_zone:
      log("warn", "slack: users.info gives " + who_text(wanted.who) + " the time zone \"" + zone +
                      "\", which the tz database does not know; their zone stays the default");
      return;
    case learned_zone_outcome::not_wanted:
      log("debug", "slack: the time zone of " + who_text(wanted.who) + " is no longer wanted (given meanwhile)");
      return;
  }
}

void time_zone_lookup::failed_transiently(wanted_person wanted, const std::string& why) {
  ++wanted.failures;
  if (wanted.failures >= options_.attempts) {
    log("warn", "slack: users.info for " + who_text(wanted.who) + " failed " + std::to_string(wanted.failures) +
                    " times (" + why + "); their zone stays the default until Tandem restarts");
    return;
  }
  log("debug", "slack: users.info for " + who_text(wanted.who) + " failed (" + why + "); trying again later");
  wanted.not_before = steady::now() + options_.retry;
  queue_.push_back(std::move(wanted));
}

void time_zone_lookup::stop_workspace(const std::string& team) {
  stopped_teams_.insert(team);
  std::erase_if(queue_, [&](const wanted_person& w) { return w.who.workspace == team; });
}

void time_zone_lookup::log(std::string_view level, const std::string& message) const {
  if (hooks_.log) hooks_.log(level, message);
}

}  // namespace tandem::slack
