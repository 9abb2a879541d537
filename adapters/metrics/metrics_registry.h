#pragma once
// Counters and histograms kept in memory and rendered in the Prometheus text exposition format
// 0.0.4, for the `/metrics` endpoint.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem {

/// Label pairs of one series, e.g. {{"code", "2xx"}}. Order does not matter.
using metric_labels = std::vector<std::pair<std::string, std::string>>;

/// A count that only goes up. Thread-safe: any thread may increment or read it.
class metric_counter {
 public:
  /// Adds `by` to the count.
  void increment(std::uint64_t by = 1) noexcept;
  /// The current count.
  [[nodiscard]] std::uint64_t value() const noexcept;

 private:
  std::atomic<std::uint64_t> value_{0};
};

/// Observations (e.g. latencies in seconds) counted into buckets, with their sum and count.
/// Thread-safe: any thread may observe or read it.
class metric_histogram {
 public:
  /// What a histogram holds at one moment, read consistently.
  struct snapshot {
    std::vector<std::uint64_t> cumulative_counts;  ///< per upper bound: observations <= it
    double sum = 0;
    std::uint64_t count = 0;  ///< all observations (the implicit +Inf bucket)
  };

  /// `upper_bounds` are finite and strictly increasing (the registry checks this).
  explicit metric_histogram(std::vector<double> upper_bounds);

  /// Records one observation.
  void observe(double value);
  /// The bucket counts, sum and count, taken together.
  [[nodiscard]] snapshot read() const;
  /// The finite bucket upper bounds, ascending.
  [[nodiscard]] const std::vector<double>& upper_bounds() const noexcept;

 private:
  const std::vector<double> upper_bounds_;
  mutable std::mutex mutex_;
  std::vector<std::uint64_t> bucket_counts_;  // per upper bound, then one for +Inf; not cumulative
  double sum_ = 0;
};

/// Owns named metric families and renders them. Thread-safe: register, update and render from
/// any thread. Returned references stay valid for the registry's lifetime.
class metrics_registry {
 public:
  /// The Content-Type of `render()`'s output.
  static constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

  /// The counter of family `name` with `labels`, created on first use. Throws
  /// std::invalid_argument for an invalid metric or label name, or when `name` is already a
  /// histogram.
  metric_counter& counter(std::string_view name, std::string_view help, metric_labels labels = {});

  /// The histogram of family `name` with `labels`, created on first use, with finite strictly
  /// increasing `upper_bounds` (a trailing +Inf is implied and may be given). Throws
  /// std::invalid_argument for invalid names or bounds, a label named "le", when `name` is
  /// already a counter, or when its bounds differ from the family's.
  metric_histogram& histogram(std::string_view name, std::string_view help,
                              std::vector<double> upper_bounds, metric_labels labels = {});

  /// Every family in the text exposition format 0.0.4: families by name, series by labels,
  /// each family with its `# HELP` (from the first registration) and `# TYPE` lines.
  [[nodiscard]] std::string render() const;

 private:
  enum class metric_kind { counter, histogram };
  struct family {
    metric_kind kind;
    std::string help;
    std::vector<double> upper_bounds;
    std::map<metric_labels, std::unique_ptr<metric_counter>> counters;
    std::map<metric_labels, std::unique_ptr<metric_histogram>> histograms;
  };

  family& family_for(std::string_view name, std::string_view help, metric_kind kind);

  mutable std::mutex mutex_;
  std::map<std::string, family, std::less<>> families_;
};

}  // namespace tandem
