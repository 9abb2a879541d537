#include "app/platform_adapters.h"

#include "adapters/matrix/matrix_adapter.h"

namespace tandem {
namespace {

matrix_options matrix_options_from(const matrix_config& config) {
  matrix_options o;
  o.how = config.appservice ? matrix_options::mode::appservice : matrix_options::mode::client;
  o.homeserver = config.homeserver;
  o.user_id = config.user_id;
  if (config.access_token) o.access_token = config.access_token->reveal();
  if (config.password) o.password = config.password->reveal();
  if (config.as_token) o.as_token = config.as_token->reveal();
  if (config.hs_token) o.hs_token = config.hs_token->reveal();
  o.extra_ca_file = config.ca_file.string();
  return o;
}

}  // namespace

std::vector<std::unique_ptr<platform_adapter>> create_platform_adapters(const tandem_config& config,
                                                                        const adapter_environment& environment) {
  std::vector<std::unique_ptr<platform_adapter>> adapters;
  if (config.matrix) {
    adapters.push_back(std::make_unique<matrix_adapter>(environment.io, matrix_options_from(*config.matrix),
                                                        environment.sink, environment.state, environment.directory));
  }
  return adapters;
}

}  // namespace tandem
