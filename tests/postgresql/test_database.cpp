#include "postgresql/test_database.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <stdexcept>

namespace tandem::testing {
namespace {

std::string cluster_url_from_environment() {
  const char* file = std::getenv("TANDEM_TEST_POSTGRESQL_URL_FILE");
  if (file == nullptr) {
    throw std::runtime_error(
        "TANDEM_TEST_POSTGRESQL_URL_FILE is not set: run these tests through ctest, which "
        "starts a PostgreSQL cluster for them (tests/postgresql/cluster.sh)");
  }
  std::ifstream in(file);
  std::string url;
  if (!std::getline(in, url) || url.empty()) {
    throw std::runtime_error(std::string{"no PostgreSQL cluster URL in "} + file + " (did cluster.sh start fail?)");
  }
  return url;
}

using connection_ptr = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using result_ptr = std::unique_ptr<PGresult, decltype(&PQclear)>;

connection_ptr connected(const std::string& url) {
  connection_ptr c{PQconnectdb(url.c_str()), &PQfinish};
  if (PQstatus(c.get()) != CONNECTION_OK)
    throw std::runtime_error("cannot connect to " + url + ": " + PQerrorMessage(c.get()));
  return c;
}

result_ptr ran(PGconn* c, const std::string& sql) {
  result_ptr r{PQexec(c, sql.c_str()), &PQclear};
  const ExecStatusType status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error(sql + ": " + PQresultErrorMessage(r.get()));
  }
  return r;
}

}  // namespace

test_database::test_database() : cluster_url_(cluster_url_from_environment()) {
  std::random_device random;
  name_ = "tandem_test_" + std::to_string(random()) + "_" + std::to_string(random());
  ran(connected(cluster_url_ + "/postgres").get(), "CREATE DATABASE " + name_);
  address_.url = cluster_url_ + "/" + name_;
}

test_database::~test_database() {
  try {
    ran(connected(cluster_url_ + "/postgres").get(), "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception&) {  // the cluster is removed at the end of the run anyway
  }
}

void test_database::run(const std::string& sql) const { (void)ran(connected(address_.url).get(), sql); }

std::string test_database::value_of(const std::string& sql) const {
  const connection_ptr c = connected(address_.url);
  const result_ptr r = ran(c.get(), sql);
  if (PQntuples(r.get()) == 0) throw std::runtime_error(sql + ": no rows");
  return PQgetvalue(r.get(), 0, 0);
}

}  // namespace tandem::testing
