#pragma once
// The inbound pipeline's parts as Tandem plays them: the engine host commits each burst and the
// outbox dispatcher sends what may leave before the sync. Shared by the runtime and the adapter
// tests, so that both take the same path.

#include "app/engine_host.h"
#include "app/inbound_pipeline.h"
#include "app/outbox_dispatcher.h"

#include <functional>

namespace tandem {

/// Parts for an `inbound_pipeline`: `post` runs work on the core strand; each burst is committed by
/// `host.submit_all` at `clock()` (a store error is logged and refuses the burst); `written` is
/// `dispatcher.dispatch_written`; `sync` as `inbound_pipeline::parts::sync`. `host` and
/// `dispatcher` must outlive the pipeline; used on the core strand.
inbound_pipeline::parts engine_inbound_parts(engine_host& host, outbox_dispatcher& dispatcher,
                                             std::function<void(std::function<void()>)> post,
                                             std::function<time_point()> clock,
                                             std::function<void(std::function<void(bool)>)> sync);

}  // namespace tandem
