// Rate plots: alerts per second against time, as bars (one per time bin, the bin's busiest
// second) with axes, a title and dashed lines for reference rates that fall inside the axis.
// What `lantern rates --png` draws. Pure function of its input; safe from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "core/status.h"

namespace lantern::image {

struct RatePlotOptions {
  std::string title;
  // Reference rates (alerts/s) with their labels, e.g. {1000, "LSST minimum"}.
  std::span<const std::pair<double, std::string>> references;
  int width = 900;   // pixels, 200..4000
  int height = 450;  // pixels, 150..4000
};

// `per_second` holds (Unix second, alerts in it) in increasing time order.
Result<std::string> RenderRatePlotPng(std::span<const std::pair<int64_t, uint64_t>> per_second,
                                      const RatePlotOptions& options);

}  // namespace lantern::image
