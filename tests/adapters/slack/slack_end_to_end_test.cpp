// Tandem on Slack end to end, in one process: the real store, engine, templates and outbox
// dispatcher wired as the runtime wires them, the Slack adapter on a real HTTP server, signed
// requests as Slack sends them, and a fake slack.com over TLS that records what Tandem posts.

#include "adapters/slack/slack_fixture.h"

#include "adapters/metrics/metrics_registry.h"
#include "app/config.h"
#include "app/engine_host.h"
#include "app/engine_inbound.h"
#include "app/inbound_pipeline.h"
#include "app/learned_time_zones.h"
#include "app/outbox_dispatcher.h"
#include "app/sync_thread.h"
#include "app/template_catalog.h"
#include "storage/sqlite/sqlite_store.h"
#include "support/source_tree.h"

#include <boost/asio/post.hpp>

#include <future>

namespace {

using namespace slack_testing;
using tandem::testing::recorded_request;
using tandem::testing::scripted_response;

const char* const config_text = R"(
# The hours messages arrive at are the core's rules (tests/core/delivery_test.cpp); these tests are
# about the wire, at whatever time they run: nobody has quiet hours here.
engine: {quiet_hours: "off"}
collaborations:
  - id: river
    name: River Restoration Alliance
    rooms: [{platform: slack, workspace: T0001, id: C0RIVER}]
    organizations:
      - {id: backbone, name: Riverside Backbone Trust}
      - {id: city, name: City of Millbrook}
    people:
      - {id: ana, name: Ana Lima, org: backbone, roles: [facilitator], tz: Europe/Lisbon,
         identities: [{platform: slack, workspace: T0001, user: U0ANA}]}
      - {id: emma, name: Emma Schulz, org: city, roles: [representative], tz: Europe/Berlin,
         identities: [{platform: slack, workspace: T0001, user: U0EMMA}]}
)";

/// The same collaboration with a participant whose time zone the config does not give.
const std::string config_with_farid = std::string(config_text) + R"(
      - {id: farid, name: Farid Haddad, org: city,
         identities: [{platform: slack, workspace: T0001, user: U0FARID}]}
)";

/// The runtime's time zones, counting the reports the core has decided about.
struct observed_time_zones final : tandem::time_zone_learning {
  explicit observed_time_zones(tandem::time_zone_learning& inner_) : inner(inner_) {}
  void wanted(std::string platform, std::function<void(std::vector<tandem::identity>)> then) override {
    inner.wanted(std::move(platform), std::move(then));
  }
  void is_wanted(tandem::identity who, std::function<void(bool)> then) override {
    inner.is_wanted(std::move(who), std::move(then));
  }
  void learned(tandem::identity who, std::string zone,
               std::function<void(std::optional<tandem::learned_zone_outcome>)> then) override {
    inner.learned(std::move(who), std::move(zone), [this, then](std::optional<tandem::learned_zone_outcome> outcome) {
      then(outcome);
      decided.notify([&] { ++reports; });
    });
  }
  tandem::time_zone_learning& inner;
  tandem::testing::waiter decided;
  std::size_t reports = 0;  ///< behind decided's mutex
};

/// The runtime's pieces around the Slack adapter, on one io_context run by a thread of its own.
class tandem_on_slack {
 public:
  explicit tandem_on_slack(const std::string& config = config_text)
      : config_(std::move(*tandem::parse_config(config, std::filesystem::temp_directory_path()).config)),
        store_(":memory:"),
        templates_(tandem::template_catalog::load(tandem::testing::source_tree() / "prompts")),
        host_(store_, metrics_, templates_.languages()),
        dispatcher_(
            store_, host_, templates_, metrics_,
            [this](std::function<void()> f) { boost::asio::post(io_, std::move(f)); }, fixed_now,
            [this](std::function<void(bool)> then) { after_sync(std::move(then)); }),
        server_(io_, server_options()) {
    tandem::slack_adapter_options o;
    o.workspaces = {workspace("T0001", std::string(secret), "UBOT")};
    o.api_base_url = slack_.url("/api/");
    o.extra_ca_file = tandem::testing::test_certificates::shared().ca_file();
    o.channel_interval = std::chrono::milliseconds{0};
    o.clock = fixed_now;
    o.time_zones = &observed_time_zones_;
    adapter_ = std::make_unique<tandem::slack_adapter>(io_, std::move(o),
                                                       [this](tandem::inbound event, std::function<void(bool)> stored) {
                                                         inbound_.ingest(std::move(event), std::move(stored));
                                                       });
    (void)host_.start(config_.seed, fixed_now());
    host_.on_queued([this](tandem::time_point due) { dispatcher_.expect(due); });
    dispatcher_.add(*adapter_);
    adapter_->add_routes(server_);
    port_ = server_.start();
    slack_.answer_with([](const recorded_request& r) { return play_slack(r); });
    thread_ = std::thread([this] { io_.run(); });
  }

  ~tandem_on_slack() {
    adapter_->stop();
    server_.stop();
    work_.reset();
    thread_.join();
  }
  tandem_on_slack(const tandem_on_slack&) = delete;
  tandem_on_slack& operator=(const tandem_on_slack&) = delete;

  tandem::testing::local_https_server& slack() { return slack_; }

  /// POSTs a signed body to Tandem and returns the answer.
  answer post(const std::string& path, const std::string& body, const std::string& content_type) {
    tandem::client_request request;
    request.method = "POST";
    request.url = "http://127.0.0.1:" + std::to_string(port_) + path;
    const std::string ts = std::to_string(now_seconds);
    request.headers = {{"Content-Type", content_type},
                       {"X-Slack-Request-Timestamp", ts},
                       {"X-Slack-Signature", tandem::slack::compute_signature(secret, ts, body)}};
    request.body = body;
    std::optional<tandem::client_result> result;
    client_.send(std::move(request), [&result](tandem::client_result r) { result = std::move(r); });
    REQUIRE(tandem::testing::run_until(client_io_, [&result] { return result.has_value(); }));
    REQUIRE(std::holds_alternative<tandem::client_response>(*result));
    const auto& response = std::get<tandem::client_response>(*result);
    return {response.status, response.body, std::string(response.header("content-type").value_or("")),
            std::string(response.header("retry-after").value_or(""))};
  }

  /// `/tandem text` typed by `user` in the collaboration's channel.
  answer slash_command(const std::string& user, const std::string& text, const std::string& trigger) {
    return slash_command_in("C0RIVER", user, text, trigger);
  }

  /// `/tandem text` typed by `user` in `channel` (a D… id is their DM with Tandem).
  answer slash_command_in(const std::string& channel, const std::string& user, const std::string& text,
                          const std::string& trigger) {
    return post("/slack/commands",
                "token=x&team_id=T0001&team_domain=river&channel_id=" + channel + "&channel_name=river&user_id=" + user +
                    "&user_name=x&command=%2Ftandem&text=" + form_encode(text) + "&api_app_id=A0001&response_url=" +
                    form_encode(slack_.url("/commands/" + trigger)) + "&trigger_id=" + trigger,
                "application/x-www-form-urlencoded");
  }

  /// Runs `f` on the core strand and waits for it.
  template <typename F>
  auto on_core(F f) {
    std::promise<decltype(f())> done;
    boost::asio::post(io_, [&] { done.set_value(f()); });
    return done.get_future().get();
  }

  const tandem::world& world() const { return host_.current(); }

  /// What the store holds now (read on the core strand).
  tandem::world stored() {
    return on_core([this] { return store_.load(); });
  }

  /// Starts the adapter as the runtime does once the server listens.
  void start_adapter() { adapter_->start(); }

  /// Waits until the adapter reported `count` time zones and the core decided about them.
  bool wait_for_time_zone_reports(std::size_t count) {
    return observed_time_zones_.decided.wait([&] { return observed_time_zones_.reports >= count; });
  }

 private:
  /// What slack.com answers: a DM D<user> per user, every post accepted.
  static scripted_response play_slack(const recorded_request& r) {
    if (r.path == "/api/conversations.open") {
      const std::string user = json::parse(r.body)["users"];
      return scripted_response::json(200, json{{"ok", true}, {"channel", {{"id", "D" + user.substr(1)}}}}.dump());
    }
    if (r.path == "/api/users.info") {
      // Like Slack, users.info reads form fields only.
      const bool form = r.header("content-type").value_or("").starts_with("application/x-www-form-urlencoded");
      if (!form || r.body != "user=U0FARID") return scripted_response::json(200, R"({"ok":false,"error":"user_not_found"})");
      return scripted_response::json(
          200, R"({"ok":true,"user":{"id":"U0FARID","tz":"Europe/London","tz_label":"Greenwich Mean Time","tz_offset":0}})");
    }
    if (r.path == "/api/chat.postMessage") {
      return scripted_response::json(
          200, json{{"ok", true}, {"channel", json::parse(r.body)["channel"]}, {"ts", "1700000100.000100"}}.dump());
    }
    return scripted_response::json(200, R"({"ok":true})");
  }

  static tandem::http_server_options server_options() {
    tandem::http_server_options o;
    o.address = "127.0.0.1";
    o.port = 0;
    return o;
  }

  /// Runs `f` on the core strand, later.
  void post(std::function<void()> f) { boost::asio::post(io_, std::move(f)); }

  /// Once durable (the sync thread): the pipeline's acknowledgements, then what is due leaves.
  void after_sync(std::function<void(bool)> then) {
    syncer_.after_sync([this, then = std::move(then)](bool durable) {
      then(durable);
      dispatcher_.dispatch_due();
    });
  }

  tandem::testing::local_https_server slack_;
  tandem::tandem_config config_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ = boost::asio::make_work_guard(io_);
  tandem::metrics_registry metrics_;
  tandem::sqlite_store store_;
  tandem::template_catalog templates_;
  tandem::engine_host host_;
  tandem::engine_time_zones time_zones_{
      host_, [this](std::function<void()> f) { boost::asio::post(io_, std::move(f)); }, fixed_now};
  observed_time_zones observed_time_zones_{time_zones_};
  tandem::outbox_dispatcher dispatcher_;
  tandem::sync_thread syncer_{store_, metrics_, [this](std::function<void()> f) { post(std::move(f)); }, nullptr};
  /// What the runtime does with inbound events: bursts committed, acknowledged once durable, handled.
  tandem::inbound_pipeline inbound_{
      tandem::engine_inbound_parts(host_, dispatcher_, [this](std::function<void()> f) { post(std::move(f)); },
                                   fixed_now, [this](std::function<void(bool)> then) { after_sync(std::move(then)); }),
      metrics_};
  tandem::http_server server_;
  std::unique_ptr<tandem::slack_adapter> adapter_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  boost::asio::io_context client_io_;
  tandem::http_client client_{client_io_, tandem::http_client_options{}};
};

/// The requests to `path` so far, as JSON bodies.
std::vector<json> posted_to(tandem::testing::local_https_server& slack, const std::string& path) {
  std::vector<json> bodies;
  for (const auto& r : slack.requests()) {
    if (r.path == path) bodies.push_back(json::parse(r.body));
  }
  return bodies;
}

/// Waits until `count` requests went to `path`.
bool wait_for_posts(tandem::testing::local_https_server& slack, const std::string& path, std::size_t count) {
  for (std::size_t seen = slack.requests().size();; ++seen) {
    if (posted_to(slack, path).size() >= count) return true;
    if (!slack.wait_for_requests(seen + 1)) return false;
  }
}

}  // namespace

TEST_CASE(
    "end to end: a task assigned with /tandem reaches the assignee's DM with buttons, a nudge follows, Done closes "
    "it") {
  tandem_on_slack t;

  // Ana assigns a task: her answer comes back in the command's own response, ephemeral.
  const auto assigned = t.slash_command("U0ANA", "assign @emma \"Print the flyers\" due 2030-01-10", "1.1.a");
  REQUIRE(assigned.status == 200);
  const json answer_to_ana = json::parse(assigned.body);
  CHECK(answer_to_ana["response_type"] == "ephemeral");
  CHECK(answer_to_ana["text"].get<std::string>().find("#1") != std::string::npos);

  // Emma's DM is opened and the notice posted there, with Done and Blocked buttons.
  REQUIRE(wait_for_posts(t.slack(), "/api/chat.postMessage", 1));
  CHECK(posted_to(t.slack(), "/api/conversations.open") == std::vector<json>{json{{"users", "U0EMMA"}}});
  const json notice = posted_to(t.slack(), "/api/chat.postMessage")[0];
  CHECK(notice["channel"] == "D0EMMA");
  CHECK(notice["text"].get<std::string>().find("Print the flyers") != std::string::npos);
  json done_button;
  std::string done_block;
  for (const json& block : notice["blocks"]) {
    if (block["type"] != "actions") continue;
    for (const json& button : block["elements"]) {
      if (button["value"] == "done 1") {
        done_button = button;
        done_block = block["block_id"];
      }
    }
  }
  REQUIRE(done_button.is_object());

  // Ana nudges Emma: the nudge goes to the DM already open.
  const auto nudged = t.slash_command("U0ANA", "nudge @emma", "1.2.b");
  REQUIRE(nudged.status == 200);
  REQUIRE(wait_for_posts(t.slack(), "/api/chat.postMessage", 2));
  const json nudge = posted_to(t.slack(), "/api/chat.postMessage")[1];
  CHECK(nudge["channel"] == "D0EMMA");
  CHECK(nudge["text"].get<std::string>().find("Print the flyers") != std::string::npos);
  CHECK(posted_to(t.slack(), "/api/conversations.open").size() == 1);

  // Emma presses Done on the notice, as Slack sends it.
  json press{{"type", "block_actions"},
             {"user", {{"id", "U0EMMA"}, {"team_id", "T0001"}}},
             {"team", {{"id", "T0001"}}},
             {"container", {{"type", "message"}, {"message_ts", "1700000100.000100"}, {"channel_id", "D0EMMA"}}},
             {"channel", {{"id", "D0EMMA"}}},
             {"trigger_id", "2.2.c"},
             {"response_url", t.slack().url("/actions/done")},
             {"message", {{"ts", "1700000100.000100"}, {"text", notice["text"]}, {"blocks", notice["blocks"]}}},
             {"actions", json::array({{{"action_id", done_button["action_id"]},
                                       {"block_id", done_block},
                                       {"text", done_button["text"]},
                                       {"value", "done 1"},
                                       {"type", "button"},
                                       {"action_ts", "1700000200.000200"}}})}};
  CHECK(t.post("/slack/interactivity", "payload=" + form_encode(press.dump()), "application/x-www-form-urlencoded")
            .status == 200);

  // The notice now shows the answer; Emma gets her confirmation in the DM; Ana hears of it in hers.
  REQUIRE(wait_for_posts(t.slack(), "/actions/done", 1));
  CHECK(posted_to(t.slack(), "/actions/done")[0]["replace_original"] == true);
  REQUIRE(wait_for_posts(t.slack(), "/api/chat.postMessage", 4));
  std::map<std::string, std::vector<std::string>> texts_by_channel;
  for (const json& post : posted_to(t.slack(), "/api/chat.postMessage")) {
    texts_by_channel[post["channel"]].push_back(post["text"]);
  }
  CHECK(texts_by_channel["D0EMMA"].size() == 3);
  REQUIRE(texts_by_channel["D0ANA"].size() == 1);
  CHECK(texts_by_channel["D0ANA"][0].find("Emma Schulz") != std::string::npos);
  CHECK(t.on_core([&t] { return t.world().tasks.at(1).status; }) == tandem::task_status::done);
}

TEST_CASE(
    "end to end: an approval round opened with /tandem reaches the representative with buttons, and Approve answers "
    "it") {
  tandem_on_slack t;

  const auto opened =
      t.slash_command("U0ANA", "approval open \"2027 budget\" to org:city deadline 2030-01-10", "3.1.a");
  REQUIRE(opened.status == 200);
  CHECK(json::parse(opened.body)["text"].get<std::string>().find("A1") != std::string::npos);

  // Emma's request arrives in her DM with the five answers; Object asks for a reason first.
  REQUIRE(wait_for_posts(t.slack(), "/api/chat.postMessage", 1));
  const json request = posted_to(t.slack(), "/api/chat.postMessage")[0];
  CHECK(request["channel"] == "D0EMMA");
  CHECK(request["text"].get<std::string>().find("2027 budget") != std::string::npos);
  std::map<std::string, json> buttons;
  std::string block_id;
  for (const json& block : request["blocks"]) {
    if (block["type"] != "actions") continue;
    block_id = block["block_id"];
    for (const json& button : block["elements"]) buttons[button["value"]] = button;
  }
  REQUIRE(buttons.size() == 5);
  CHECK(buttons.contains("ack A1"));
  CHECK(buttons.contains("checking A1"));
  CHECK(buttons.at("approve A1")["text"]["text"] == "Approve");
  CHECK(buttons.at("object A1")["action_id"].get<std::string>().starts_with("tandem_reason_"));
  CHECK(buttons.at("approve A1")["action_id"].get<std::string>().starts_with("tandem_answer_"));

  // Emma presses Approve, as Slack sends it.
  const json approve = buttons.at("approve A1");
  json press{{"type", "block_actions"},
             {"user", {{"id", "U0EMMA"}, {"team_id", "T0001"}}},
             {"team", {{"id", "T0001"}}},
             {"container", {{"type", "message"}, {"message_ts", "1700000100.000100"}, {"channel_id", "D0EMMA"}}},
             {"channel", {{"id", "D0EMMA"}}},
             {"trigger_id", "3.2.b"},
             {"response_url", t.slack().url("/actions/approve")},
             {"message", {{"ts", "1700000100.000100"}, {"text", request["text"]}, {"blocks", request["blocks"]}}},
             {"actions", json::array({{{"action_id", approve["action_id"]},
                                       {"block_id", block_id},
                                       {"text", approve["text"]},
                                       {"value", "approve A1"},
                                       {"type", "button"},
                                       {"action_ts", "1700000200.000200"}}})}};
  CHECK(t.post("/slack/interactivity", "payload=" + form_encode(press.dump()), "application/x-www-form-urlencoded")
            .status == 200);
  REQUIRE(wait_for_posts(t.slack(), "/actions/approve", 1));
  CHECK(t.on_core([&t] { return t.world().approvals.at(1).answers.at(0).state; }) == tandem::approval_state::approved);
  CHECK(t.on_core([&t] { return t.world().approvals.at(1).answers.at(0).by; }) == "emma");

  // Ana hears of the answer in her DM, and the grid shows it.
  REQUIRE(wait_for_posts(t.slack(), "/api/chat.postMessage", 3));
  bool ana_told = false;
  for (const json& post : posted_to(t.slack(), "/api/chat.postMessage")) {
    ana_told = ana_told ||
               (post["channel"] == "D0ANA" && post["text"].get<std::string>().find("Emma Schulz") != std::string::npos);
  }
  CHECK(ana_told);
  const auto status = t.slash_command("U0ANA", "approval status A1", "3.3.c");
  REQUIRE(status.status == 200);
  const std::string grid = json::parse(status.body)["text"];
  CHECK(grid.find("City of Millbrook") != std::string::npos);
  CHECK(grid.find("approves (Emma Schulz") != std::string::npos);
}

TEST_CASE(
    "end to end: a calendar clash added with /tandem is told to both, and the pulse shows in the facilitator's "
    "report") {
  tandem_on_slack t;

  const auto first = t.slash_command("U0ANA", "event add 2030-01-10 \"Spring newsletter\" #newsletter", "4.1.a");
  REQUIRE(first.status == 200);
  CHECK(json::parse(first.body)["text"].get<std::string>().find("E1") != std::string::npos);

  // Emma's event is two days later on the same topic: she is told at once, in the command's answer.
  const auto second = t.slash_command("U0EMMA", "event add 2030-01-12 \"River clean-up day\" #newsletter", "4.2.b");
  REQUIRE(second.status == 200);
  const std::string answer = json::parse(second.body)["text"];
  CHECK(answer.find("E2") != std::string::npos);
  CHECK(answer.find("Spring newsletter") != std::string::npos);

  // Ana hears of it in her DM, naming both events.
  REQUIRE(wait_for_posts(t.slack(), "/api/chat.postMessage", 1));
  const json clash = posted_to(t.slack(), "/api/chat.postMessage")[0];
  CHECK(clash["channel"] == "D0ANA");
  CHECK(clash["text"].get<std::string>().find("River clean-up day") != std::string::npos);
  CHECK(clash["text"].get<std::string>().find("Spring newsletter") != std::string::npos);

  // Emma answers the outcome question; Ana's report in her DM shows it, with the export links (in
  // the channel, without them).
  const auto pulse = t.slash_command("U0EMMA", "pulse 4 the joint grant helped", "4.3.c");
  REQUIRE(pulse.status == 200);
  CHECK(json::parse(pulse.body)["text"].get<std::string>().find("4") != std::string::npos);
  const auto report = t.slash_command_in("D0ANA", "U0ANA", "report", "4.4.d");
  REQUIRE(report.status == 200);
  const std::string text = json::parse(report.body)["text"];
  CHECK(text.find("the joint grant helped") != std::string::npos);
  CHECK(text.find("/export/river.csv?token=") != std::string::npos);
  const auto in_channel = t.slash_command("U0ANA", "report", "4.5.e");
  REQUIRE(in_channel.status == 200);
  const std::string channel_text = json::parse(in_channel.body)["text"];
  CHECK(channel_text.find("the joint grant helped") != std::string::npos);
  CHECK(channel_text.find("token=") == std::string::npos);
  CHECK(t.on_core([&t] { return t.world().pulses.size(); }) == 1);
}

TEST_CASE("end to end: a participant without tz in the config gets Slack's zone at start; configured people are never "
          "looked up") {
  tandem_on_slack t(config_with_farid);
  t.start_adapter();
  REQUIRE(t.wait_for_time_zone_reports(1));
  const tandem::world stored = t.stored();
  REQUIRE(stored.people.at("farid").time_zone == "Europe/London");
  CHECK(stored.people.at("farid").time_zone_origin == tandem::zone_origin::learned);
  CHECK(stored.people.at("emma").time_zone == "Europe/Berlin");
  CHECK(std::ranges::count_if(stored.audit, [](const tandem::audit_entry& e) {
          return e.action == "person.tz_learned" && e.collaboration == "river" &&
                 e.detail == "farid Europe/London (was UTC; from slack)";
        }) == 1);
  std::vector<std::string> asked;
  for (const auto& r : t.slack().requests()) {
    if (r.path == "/api/users.info") asked.push_back(r.body);
  }
  CHECK(asked == std::vector<std::string>{"user=U0FARID"});
}
