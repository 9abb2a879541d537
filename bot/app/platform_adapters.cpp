#include "app/platform_adapters.h"

namespace tandem {

std::vector<std::unique_ptr<platform_adapter>> create_platform_adapters(const tandem_config& config,
                                                                        const adapter_environment& environment) {
  std::vector<std::unique_ptr<platform_adapter>> adapters;
  (void)config;
  (void)environment;
  return adapters;
}

}  // namespace tandem
