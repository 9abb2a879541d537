#include "storage/postgresql/postgresql_connection.h"

#include "core/store.h"

#include <libpq-fe.h>

#include <array>
#include <charconv>
#include <memory>
#include <string>
#include <vector>

namespace tandem::postgresql_detail {
namespace {

/// libpq's message without its trailing newline.
std::string message_of(const char* text) {
  std::string message = text == nullptr ? "" : text;
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

/// Notices ("there is no transaction in progress"...) are not errors; libpq would print them.
void ignore_notice(void*, const char*) {}

}  // namespace

/// A result owned until the end of the scope.
class postgresql_connection::result final : public sql::row {
 public:
  explicit result(PGresult* r) : result_(r, &PQclear) {}
  result(result&&) noexcept = default;
  result& operator=(result&&) noexcept = default;
  result(const result&) = delete;
  result& operator=(const result&) = delete;
  ~result() override = default;

  [[nodiscard]] int rows() const { return PQntuples(result_.get()); }
  void at(int index) { row_ = index; }
  [[nodiscard]] std::int64_t changed() const {
    const char* count = PQcmdTuples(result_.get());
    std::int64_t n = 0;
    std::from_chars(count, count + std::char_traits<char>::length(count), n);
    return n;
  }

  [[nodiscard]] bool is_null(int column) const override { return PQgetisnull(result_.get(), row_, column) != 0; }
  [[nodiscard]] std::int64_t int64(int column) const override {
    const char* text = PQgetvalue(result_.get(), row_, column);
    const char* end = text + PQgetlength(result_.get(), row_, column);
    std::int64_t n = 0;
    if (std::from_chars(text, end, n).ptr != end) {
      throw store_error("column " + std::to_string(column) + " is not an integer: '" + std::string{text} + "'");
    }
    return n;
  }
  [[nodiscard]] std::string text(int column) const override {
    return {PQgetvalue(result_.get(), row_, column),
            static_cast<std::size_t>(PQgetlength(result_.get(), row_, column))};
  }

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> result_;
  int row_ = 0;
};

postgresql_connection::postgresql_connection(const std::string& url, const std::string& password) {
  // One pair of keyword arrays, so that the password never joins the URL's text. The limits come
  // before the URL, which libpq reads in their place (expand_dbname), so that the URL can change them:
  // every statement runs on the core strand, which a server that never answers must not hold for ever.
  const std::array<const char*, 9> keywords{"connect_timeout",  "tcp_user_timeout", "keepalives_idle",
                                            "keepalives_interval", "keepalives_count", "options",
                                            "dbname", password.empty() ? nullptr : "password", nullptr};
  const std::array<const char*, 9> values{
      connect_timeout_seconds, tcp_user_timeout_milliseconds, "30", "10", "3", statement_timeout_option,
      url.c_str(), password.empty() ? nullptr : password.c_str(), nullptr};
  connection_ = PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1);
  if (connection_ == nullptr) throw store_error("postgresql store: out of memory connecting");
  if (PQstatus(connection_) != CONNECTION_OK) {
    const std::string why = message_of(PQerrorMessage(connection_));
    PQfinish(connection_);
    throw store_error("postgresql store: cannot connect: " + why);
  }
  PQsetNoticeProcessor(connection_, &ignore_notice, nullptr);
}

postgresql_connection::~postgresql_connection() { PQfinish(connection_); }

void postgresql_connection::reconnect_when_broken() {
  if (PQstatus(connection_) == CONNECTION_OK) return;
  PQreset(connection_);
  prepared_.clear();  // a new session knows none of them
  if (PQstatus(connection_) != CONNECTION_OK) {
    throw store_error("the connection to the database is lost: " + message_of(PQerrorMessage(connection_)));
  }
  PQsetNoticeProcessor(connection_, &ignore_notice, nullptr);
}

postgresql_connection::result postgresql_connection::run(const char* sql, std::span<const sql::bound_value> values) {
  reconnect_when_broken();
  std::vector<std::string> texts;
  texts.reserve(values.size());
  std::vector<const char*> parameters;
  parameters.reserve(values.size());
  for (const sql::bound_value& v : values) {
    if (const auto* number = std::get_if<std::int64_t>(&v)) {
      parameters.push_back(texts.emplace_back(std::to_string(*number)).c_str());
    } else if (const auto* text = std::get_if<std::string_view>(&v)) {
      parameters.push_back(texts.emplace_back(*text).c_str());
    } else {
      parameters.push_back(nullptr);  // NULL
    }
  }
  // `texts` holds every string by now: their c_str() stay valid while it is not changed.
  const int count = static_cast<int>(values.size());
  PGresult* raw = nullptr;
  if (values.empty()) {  // unprepared: it may hold several statements (a migration's)
    raw = PQexec(connection_, sql);
  } else {
    auto known = prepared_.find(sql);
    if (known == prepared_.end()) {
      std::string name = "tandem_" + std::to_string(prepared_.size());
      PGresult* prepared = PQprepare(connection_, name.c_str(), sql, count, nullptr);
      const result owned{prepared};
      if (prepared == nullptr) throw store_error(message_of(PQerrorMessage(connection_)));
      if (PQresultStatus(prepared) != PGRES_COMMAND_OK) throw store_error(message_of(PQresultErrorMessage(prepared)));
      known = prepared_.emplace(sql, std::move(name)).first;
    }
    raw = PQexecPrepared(connection_, known->second.c_str(), count, parameters.data(), nullptr, nullptr, 0);
  }
  if (raw == nullptr) throw store_error(message_of(PQerrorMessage(connection_)));
  result r{raw};
  const ExecStatusType status = PQresultStatus(raw);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) throw store_error(message_of(PQresultErrorMessage(raw)));
  return r;
}

std::int64_t postgresql_connection::execute(const char* sql, std::span<const sql::bound_value> values) {
  return run(sql, values).changed();
}

void postgresql_connection::query(const char* sql, std::span<const sql::bound_value> values,
                                  const std::function<void(const sql::row&)>& each_row) {
  result r = run(sql, values);
  for (int i = 0, rows = r.rows(); i < rows; ++i) {
    r.at(i);
    each_row(r);
  }
}

void postgresql_connection::begin() { run("BEGIN", {}); }

void postgresql_connection::begin_snapshot() { run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", {}); }

int postgresql_connection::socket() const { return PQsocket(connection_); }

std::size_t postgresql_connection::take_notifications() {
  if (PQconsumeInput(connection_) == 0) {
    throw store_error("the connection to the database is lost: " + message_of(PQerrorMessage(connection_)));
  }
  std::size_t count = 0;
  while (PGnotify* notification = PQnotifies(connection_)) {
    PQfreemem(notification);
    ++count;
  }
  return count;
}

bool postgresql_connection::in_transaction() { return PQtransactionStatus(connection_) != PQTRANS_IDLE; }

}  // namespace tandem::postgresql_detail
