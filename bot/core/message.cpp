#include "core/message.h"

#include "core/command.h"

#include <algorithm>

namespace tandem {
namespace {

using names = std::vector<std::string>;

names with(names base, const names& more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

/// Each command's summary in help is chosen by a flag named after the command (`event_add`).
names command_flags() {
  names flags;
  for (const command_spec& s : command_specs()) {
    std::string flag{s.name};
    std::ranges::replace(flag, ' ', '_');
    flags.push_back(flag);
  }
  return flags;
}

std::vector<message_kind_spec> build_kinds() {
  const names usage{"command", "syntax", "example"};
  const names task{"number", "title", "due", "status", "note", "assignee", "overdue"};
  const names status_flags{"open", "in_progress", "blocked", "done"};
  const names event_view{"number", "date", "title", "org", "topics", "audience"};
  const names approval_states{"asked", "acknowledged", "checking", "approved", "abstained", "objected"};
  const names approval_round{"number", "title", "link", "deadline", "rule_all", "rule_majority", "rule_no_objection",
                             "closed", "approved"};
  const names approval_result = with(with(approval_round, approval_states),
                                     {"organizations", "org", "who", "former", "when", "note", "expected", "approvals",
                                      "abstentions", "objections", "pending", "by_deadline"});
  const names pending_approval = with(approval_states, {"number", "title", "deadline", "expected"});
  const names silence{"who", "person", "organization", "lull", "days", "since", "told_person", "in_digest",
                      "told_alternate"};
  // An argument as templates name it (see command.cpp name_argument) and the descriptions of
  // allowed values they word themselves.
  const names argument = with(usage, {"what", "what_named", "arg_note", "arg_reason", "arg_time_zone", "arg_language",
                                      "arg_title", "arg_text", "arg_name", "arg_full_name", "arg_date",
                                      "arg_quiet_hours", "arg_score", "arg_tier", "arg_rule", "arg_role",
                                      "arg_month_or_date"});
  const names allowed_values{"allowed", "allowed_task_number", "allowed_approval", "allowed_event", "allowed_person",
                             "allowed_organization", "allowed_quiet_hours", "allowed_score", "allowed_organizations",
                             "allowed_broadcast", "allowed_task_filter"};
  const names roles{"facilitator", "representative", "alternate", "participant"};
  return {
      {"error_missing_argument", argument},
      {"error_bad_value", with(with(argument, allowed_values), {"text"})},
      {"error_missing_quotes", argument},
      {"error_unexpected", with(usage, {"text"})},
      {"error_bad_date", with(usage, {"text", "since"})},
      {"error_unclosed_quote", usage},
      {"error_unknown_subcommand", with(usage, {"text"})},
      {"error_unknown_command", {"word", "suggestion"}},
      {"error_unknown_sender", {"platform", "user"}},
      {"encryption_unsupported", {}},
      {"error_not_member", {"name"}},
      {"error_which_collaboration", {"known", "example"}},
      {"error_not_in_collaboration", {"collaboration", "known"}},
      {"error_not_allowed", {"command", "facilitators", "representatives", "both"}},
      {"dashboard_link", {"link", "minutes", "collaboration"}},
      {"dashboard_only_in_dm", {}},
      {"token_rotated", {"collaboration", "feed", "feed_url", "csv_url", "json_url"}},
      {"token_only_in_dm", {"feed"}},
      {"dashboard_signed_out", {"n"}},
      {"help", with(command_flags(), {"commands", "name", "syntax"})},
      {"help_command", with(command_flags(), {"name", "syntax", "example", "allowed"})},
      {"task_list", with(task, {"tasks", "count", "any"})},
      {"task_assigned", task},
      {"task_assigned_notice", with(task, {"by"})},
      {"error_unknown_organization", {"org", "known"}},
      {"error_unknown_person", {"who"}},
      {"error_date_in_past", {"date"}},
      {"error_unknown_task", {"number"}},
      {"error_not_your_task", {"number", "assignee"}},
      {"task_already_done", {"number", "title"}},
      {"error_blank_title", usage},
      {"error_title_too_long", with(usage, {"limit", "length"})},
      {"error_task_in_other_collaboration", {"number", "collaboration", "here"}},
      {"error_task_closed", {"number", "title", "done", "cancelled"}},
      {"error_task_not_closed", {"number", "title"}},
      {"error_reopen_cancelled", {"number", "title"}},
      {"error_already_assigned", {"number", "assignee"}},
      {"task_board", with(with(task, status_flags), {"tasks", "count", "any", "by_all", "by_overdue", "by_blocked",
                                                     "by_person", "by_org", "who"})},
      {"task_reopened", task},
      {"task_reopened_notice", with(task, {"who"})},
      {"task_cancelled", task},
      {"task_cancelled_notice", with(task, {"by"})},
      {"task_reassigned", with(task, {"from"})},
      {"task_reassigned_notice", with(task, {"from", "by", "answers"})},
      {"task_unassigned_notice", with(task, {"from", "by"})},
      {"task_due_set", with(task, {"was"})},
      {"task_due_notice", with(task, {"was", "by", "answers"})},
      {"task_updated", with(task, status_flags)},
      {"task_update_notice", with(with(task, status_flags), {"who"})},
      {"tier_set", {"tier"}},
      {"paused", {"until"}},
      {"resumed", {"was_paused"}},
      {"quiet_set", {"from", "to", "tz"}},
      {"quiet_off", {"tz"}},
      {"error_unknown_time_zone", {"zone"}},
      {"tz_set", {"zone", "local_time"}},
      {"error_unknown_language", {"lang", "known"}},
      {"lang_set", {"lang"}},
      {"status_report", {"collaboration", "organizations", "name", "people", "open", "overdue", "blocked", "done",
                         "undelivered", "any_undelivered", "when", "detail"}},
      {"audit_log", {"entries", "at", "actor", "action", "detail", "count", "any", "truncated", "since",
                     "older_on_dashboard", "window_days"}},
      {"error_bad_id", {"id"}},
      {"error_organization_exists", {"org"}},
      {"org_added", {"id", "name"}},
      {"member_added", with(roles, {"who", "org", "tier", "updated"})},
      {"welcome", with(roles, {"name", "collaboration", "organizations", "org", "by", "tier", "schedule", "zone"})},
      {"facilitator_welcome", {"name", "collaboration", "by", "digest_schedule"}},
      {"member_list", with(roles, {"members", "name", "org", "tier", "zone", "last_response", "count", "any"})},
      {"broadcast", {"text", "by", "collaboration"}},
      {"broadcast_sent", {"count", "rooms"}},
      {"error_no_rooms", {"collaboration"}},
      {"member_removed", {"who"}},
      {"error_last_facilitator", {"who"}},
      {"facilitator_added", {"who"}},
      {"answer_label", {"done", "blocked", "ack", "checking", "approve", "abstain", "object"}},
      {"nudge", with(with(task, pending_approval), {"name", "collaboration", "tasks", "first_number", "first_title", "answers",
                                                   "approvals", "any_approvals"})},
      {"checkin", {"name", "collaboration"}},
      {"reminder_before", with(task, {"name", "answers"})},
      {"reminder_due", with(task, {"name", "answers"})},
      {"task_overdue", task},
      {"silence_dm", {"name", "collaboration", "days"}},
      {"silence_alternate", {"name", "who", "org", "days"}},
      {"organization_silent", {"org", "collaboration", "days"}},
      {"collaboration_lull", {"collaboration", "days"}},
      {"digest", with(with(task, silence), {"name", "collaboration", "since", "silences", "any_silences", "new", "overdue",
                                           "any_overdue", "done", "any_done", "organizations", "people", "active",
                                           "responses", "any_organizations", "handovers", "any_handovers", "ref", "org", "org_name",
                                           "rounds", "any_rounds", "deadline", "waiting", "events", "any_events",
                                           "date", "topics", "undelivered", "any_undelivered", "when", "detail"})},
      {"event_added", with(event_view, {"clashes", "any_clashes", "same_day", "same_topic", "same_audience", "shared"})},
      {"event_moved", with(event_view, {"from", "clashes", "any_clashes", "same_day", "same_topic", "same_audience", "shared"})},
      {"event_removed", event_view},
      {"error_unknown_event", {"number"}},
      {"error_not_your_event", {"number", "by"}},
      {"event_clash", with(event_view, {"who", "from", "clashes", "any_clashes", "same_day", "same_topic", "same_audience", "shared"})},
      {"event_list", with(event_view, {"events", "count", "any", "topic", "feed_url", "feed_in_dm"})},
      {"events_digest", with(event_view, {"name", "collaboration", "events", "weeks"})},
      {"pulse_question", {"name", "collaboration", "org", "month"}},
      {"pulse_recorded", {"score", "comment", "month", "org", "updated"}},
      {"report", {"collaboration", "since", "rows", "any", "csv_url", "json_url", "links_in_dm", "org", "month",
                  "nudges", "answered", "response_rate", "median_response_hours", "median_response_minutes", "tasks_done", "tasks_on_time",
                  "approval_turnaround_days", "people", "people_active", "responses", "pulse", "pulse_answers",
                  "comments"}},
      {"silent_list", with(silence, {"collaboration", "silences", "any"})},
      {"nudge_sent", {"count"}},
      {"approval_request", with(approval_round, {"name", "org", "by", "answers"})},
      {"approval_opened", with(approval_round, {"organizations", "count"})},
      {"approval_status", with(approval_result, {"opened_by", "opened"})},
      {"approval_result", approval_result},
      {"error_unknown_approval", {"number"}},
      {"approval_close_confirm", with(approval_round, {"waiting", "count"})},
      {"approval_list", with(with(approval_round, approval_states), {"org", "rounds", "who", "note", "expected", "count", "any"})},
      {"error_approval_closed", approval_round},
      {"error_not_asked", {"number", "org", "asked"}},
      {"error_nobody_to_ask", {"collaboration"}},
      {"error_no_representative", {"org", "id"}},
      {"approval_already", with(with(approval_round, approval_states), {"org", "who"})},
      {"approval_answered", with(with(approval_round, approval_states), {"org", "note", "expected", "after_deadline", "changed"})},
      {"approval_answer_notice", with(with(approval_round, approval_states), {"org", "who", "note", "changed"})},
      {"approval_reminder", with(with(approval_round, approval_states), {"name", "org", "expected", "before_expected",
                                                                         "before_deadline", "answers"})},
      {"approval_escalation", with(with(approval_round, approval_states), {"name", "org", "alternate", "expected",
                                                                           "representatives", "answers"})},
      {"approval_nudge", with(pending_approval, {"name", "collaboration", "approvals", "first_number", "first_title",
                                                 "answers"})},
      {"handover_done", {"org", "old", "new", "tasks", "approvals"}},
      {"handover_onboarding", with(with(task, pending_approval), {"name", "collaboration", "org_name", "predecessor", "by", "alternate",
                                                                  "organizations", "decisions", "any_decisions", "approved",
                                                                  "closed", "tasks", "any_tasks", "approvals",
                                                                  "any_approvals", "events", "any_events", "date",
                                                                  "org", "topics", "audience"})},
      {"error_not_representative", {"who", "org"}},
      {"error_handover_to_self", {"who"}},
      {"error_member_elsewhere", {"who", "org"}},
  };
}

}  // namespace

void offer_answers(message& m, const std::vector<answer>& answers) {
  nlohmann::json list = nlohmann::json::array();
  for (const answer& a : answers) {
    list.push_back({{"kind", a.kind}, {"command", a.command}, {"emoji", a.emoji}, {"needs_reason", a.needs_reason}});
  }
  m.values["answers"] = std::move(list);
}

std::vector<answer> answers_of(const message& m) {
  std::vector<answer> out;
  if (!m.values.contains("answers") || !m.values["answers"].is_array()) return out;
  for (const auto& a : m.values["answers"]) {
    out.push_back(answer{a.value("kind", ""), a.value("command", ""), a.value("emoji", ""), a.value("needs_reason", false)});
  }
  return out;
}

const std::vector<message_kind_spec>& message_kinds() {
  static const std::vector<message_kind_spec> kinds = build_kinds();
  return kinds;
}

}  // namespace tandem
