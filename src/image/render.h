// Cutout display: intensity limits (IRAF zscale, percentiles) and RenderPng, which turns an
// Image into an 8-bit grey PNG the way astronomers expect to see it (FITS row 0 at the
// bottom). Pure functions; safe from any thread.
#pragma once

#include <string>
#include <utility>

#include "core/status.h"
#include "image/image.h"

namespace lantern::image {

enum class Stretch {
  kZscale,  // linear between ZscaleLimits
  kAsinh,   // asinh(x / 0.1) / asinh(1 / 0.1), x linear between the 0.5 and 99.5 percentiles
};

// IRAF's zscale as astropy.visualization.ZScaleInterval computes it: up to 1000 finite pixels
// sampled at a fixed stride, sorted, a line fitted with 2.5-sigma rejection (5 iterations,
// rejected pixels grown by 1% of the sample), slope / contrast 0.25 around the median, clipped
// to the sample's min and max. Returns (0, 0) when no pixel is finite.
std::pair<double, double> ZscaleLimits(const Image& img);

// The lo and hi percentiles (0–100) of the finite pixels, interpolated linearly between order
// statistics as numpy.percentile does by default. (0, 0) when no pixel is finite.
std::pair<double, double> PercentileLimits(const Image& img, double lo, double hi);

// The limits `stretch` maps to black and white.
std::pair<double, double> StretchLimits(const Image& img, Stretch stretch);

// 8-bit grey PNG of `img`, each pixel drawn as a scale × scale block (1 ≤ scale ≤ 32), the
// last FITS row at the top (north up for the usual orientation), NaN pixels black.
Result<std::string> RenderPng(const Image& img, Stretch stretch, int scale = 4);

}  // namespace lantern::image
