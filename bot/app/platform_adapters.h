#pragma once
// Builds the platform adapters the config asks for. Each platform adds its construction here.

#include "adapters/platform_adapter.h"
#include "app/config.h"

#include <memory>
#include <vector>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace tandem {

class metrics_registry;

/// What adapters may use while Tandem runs; everything outlives the adapters.
struct adapter_environment {
  boost::asio::io_context& io;
  inbound_sink sink;
  metrics_registry& metrics;
};

/// The configured platform adapters (the console is not one of them: the runtime owns it).
std::vector<std::unique_ptr<platform_adapter>> create_platform_adapters(const tandem_config& config,
                                                                        const adapter_environment& environment);

}  // namespace tandem
