#include "app/engine_inbound.h"

#include "core/store.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace tandem {

inbound_pipeline::parts engine_inbound_parts(engine_host& host, outbox_dispatcher& dispatcher,
                                             std::function<void(std::function<void()>)> post,
                                             std::function<time_point()> clock,
                                             std::function<void(std::function<void(bool)>)> sync) {
  return {std::move(post),
          [&host, clock = std::move(clock)](const std::vector<inbound>& burst) {
            try {
              return host.submit_all(burst, clock());
            } catch (const store_error& e) {
              spdlog::error("store: {}", e.what());
              return false;
            }
          },
          [&dispatcher] { dispatcher.dispatch_written(); }, std::move(sync)};
}

}  // namespace tandem
