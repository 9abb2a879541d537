#include "adapters/metrics/metrics_registry.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <functional>
#include <iterator>
#include <stdexcept>
#include <system_error>

namespace tandem {
namespace {

bool is_name_start(char c, bool colon_allowed) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_allowed && c == ':');
}

bool is_valid_name(std::string_view name, bool colon_allowed) {
  if (name.empty() || !is_name_start(name.front(), colon_allowed)) return false;
  return std::all_of(name.begin(), name.end(), [colon_allowed](char c) {
    return is_name_start(c, colon_allowed) || (c >= '0' && c <= '9');
  });
}

void check_metric_name(std::string_view name) {
  if (!is_valid_name(name, true)) {
    throw std::invalid_argument("invalid metric name: " + std::string(name));
  }
}

// Sorted by label name, so that one series has one key whatever order the caller used.
metric_labels canonical_labels(metric_labels labels) {
  std::sort(labels.begin(), labels.end());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto& name = labels[i].first;
    if (!is_valid_name(name, false) || name.starts_with("__")) {
      throw std::invalid_argument("invalid label name: " + name);
    }
    if (i > 0 && labels[i - 1].first == name) {
      throw std::invalid_argument("repeated label name: " + name);
    }
  }
  return labels;
}

std::string format_number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  std::array<char, 32> digits{};
  const auto result = std::to_chars(digits.data(), digits.data() + digits.size(), value);
  return std::string(digits.data(), result.ptr);
}

// Backslash and newline are escaped in HELP text; label values also escape the double quote.
std::string escape(std::string_view text, bool in_label_value) {
  std::string out;
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && in_label_value) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

// `{a="1",le="0.5"}` (`le` only when given), or nothing when there is no label at all.
std::string format_labels(const metric_labels& labels, std::string_view le = {}) {
  if (labels.empty() && le.empty()) return {};
  std::string out = "{";
  for (const auto& [name, value] : labels) {
    if (out.size() > 1) out += ',';
    out += name + "=\"" + escape(value, true) + '"';
  }
  if (!le.empty()) {
    if (out.size() > 1) out += ',';
    out += "le=\"" + std::string(le) + '"';
  }
  return out + '}';
}

}  // namespace

void metric_counter::increment(std::uint64_t by) noexcept {
  value_.fetch_add(by, std::memory_order_relaxed);
}

std::uint64_t metric_counter::value() const noexcept {
  return value_.load(std::memory_order_relaxed);
}

metric_histogram::metric_histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)), bucket_counts_(upper_bounds_.size() + 1, 0) {}

void metric_histogram::observe(double value) {
  // The first bound not below `value`; a NaN is below no bound, so it lands in +Inf.
  const auto bucket = std::partition_point(upper_bounds_.begin(), upper_bounds_.end(),
                                           [value](double bound) { return !(value <= bound); });
  const auto index = static_cast<std::size_t>(std::distance(upper_bounds_.begin(), bucket));
  const std::lock_guard lock(mutex_);
  ++bucket_counts_[index];
  sum_ += value;
}

metric_histogram::snapshot metric_histogram::read() const {
  snapshot out;
  const std::lock_guard lock(mutex_);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < upper_bounds_.size(); ++i) {
    running += bucket_counts_[i];
    out.cumulative_counts.push_back(running);
  }
  out.count = running + bucket_counts_.back();
  out.sum = sum_;
  return out;
}

const std::vector<double>& metric_histogram::upper_bounds() const noexcept {
  return upper_bounds_;
}

metrics_registry::family& metrics_registry::family_for(std::string_view name, std::string_view help,
                                                       metric_kind kind) {
  check_metric_name(name);
  auto found = families_.find(name);
  if (found == families_.end()) {
    found = families_.emplace(std::string(name), family{kind, std::string(help), {}, {}, {}}).first;
  }
  if (found->second.kind != kind) {
    throw std::invalid_argument("metric registered with another type: " + std::string(name));
  }
  return found->second;
}

metric_counter& metrics_registry::counter(std::string_view name, std::string_view help,
                                          metric_labels labels) {
  auto key = canonical_labels(std::move(labels));
  const std::lock_guard lock(mutex_);
  auto& counters = family_for(name, help, metric_kind::counter).counters;
  auto& slot = counters[std::move(key)];
  if (!slot) slot = std::make_unique<metric_counter>();
  return *slot;
}

metric_histogram& metrics_registry::histogram(std::string_view name, std::string_view help,
                                              std::vector<double> upper_bounds,
                                              metric_labels labels) {
  if (!upper_bounds.empty() && std::isinf(upper_bounds.back()) && upper_bounds.back() > 0) {
    upper_bounds.pop_back();
  }
  const bool finite = std::all_of(upper_bounds.begin(), upper_bounds.end(),
                                  [](double bound) { return std::isfinite(bound); });
  const bool increasing =
      std::adjacent_find(upper_bounds.begin(), upper_bounds.end(), std::greater_equal<>()) ==
      upper_bounds.end();
  if (!finite || !increasing) {
    throw std::invalid_argument("histogram bounds must be finite and increasing: " +
                                std::string(name));
  }
  auto key = canonical_labels(std::move(labels));
  if (std::any_of(key.begin(), key.end(), [](const auto& label) { return label.first == "le"; })) {
    throw std::invalid_argument("a histogram may not have a label named le: " + std::string(name));
  }

  const std::lock_guard lock(mutex_);
  auto& fam = family_for(name, help, metric_kind::histogram);
  if (fam.histograms.empty()) {
    fam.upper_bounds = upper_bounds;
  } else if (fam.upper_bounds != upper_bounds) {
    throw std::invalid_argument("histogram registered with other bounds: " + std::string(name));
  }
  auto& slot = fam.histograms[std::move(key)];
  if (!slot) slot = std::make_unique<metric_histogram>(std::move(upper_bounds));
  return *slot;
}

std::string metrics_registry::render() const {
  std::string out;
  const std::lock_guard lock(mutex_);
  for (const auto& [name, fam] : families_) {
    out += "# HELP " + name + ' ' + escape(fam.help, false) + '\n';
    if (fam.kind == metric_kind::counter) {
      out += "# TYPE " + name + " counter\n";
      for (const auto& [labels, counter] : fam.counters) {
        out += name + format_labels(labels) + ' ' + std::to_string(counter->value()) + '\n';
      }
      continue;
    }
    out += "# TYPE " + name + " histogram\n";
    for (const auto& [labels, histogram] : fam.histograms) {
      const auto taken = histogram->read();
      for (std::size_t i = 0; i < fam.upper_bounds.size(); ++i) {
        const auto le = format_number(fam.upper_bounds[i]);
        out += name + "_bucket" + format_labels(labels, le) + ' ' +
               std::to_string(taken.cumulative_counts[i]) + '\n';
      }
      out += name + "_bucket" + format_labels(labels, "+Inf") + ' ' +
             std::to_string(taken.count) + '\n';
      out += name + "_sum" + format_labels(labels) + ' ' + format_number(taken.sum) + '\n';
      out += name + "_count" + format_labels(labels) + ' ' + std::to_string(taken.count) + '\n';
    }
  }
  return out;
}

}  // namespace tandem
