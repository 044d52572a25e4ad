#include "image/render.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "image/png.h"

namespace lantern::image {
namespace {

constexpr int kZscaleSamples = 1000;
constexpr double kZscaleContrast = 0.25;
constexpr double kZscaleMaxReject = 0.5;
constexpr int kZscaleMinPixels = 5;
constexpr double kZscaleKrej = 2.5;
constexpr int kZscaleIterations = 5;
constexpr double kAsinhA = 0.1;

std::vector<double> FinitePixels(const Image& img) {
  std::vector<double> v;
  v.reserve(img.pixels.size());
  for (float p : img.pixels)
    if (std::isfinite(p)) v.push_back(p);
  return v;
}

// Least-squares line y = a + b x through the samples whose `bad` flag is false.
void FitLine(const std::vector<double>& y, const std::vector<char>& bad, double* a, double* b) {
  double n = 0, sx = 0, sy = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    if (bad[i]) continue;
    n += 1;
    sx += static_cast<double>(i);
    sy += y[i];
  }
  const double mx = sx / n, my = sy / n;
  double sxx = 0, sxy = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    if (bad[i]) continue;
    const double dx = static_cast<double>(i) - mx;
    sxx += dx * dx;
    sxy += dx * (y[i] - my);
  }
  *b = sxx > 0 ? sxy / sxx : 0.0;
  *a = my - *b * mx;
}

}  // namespace

std::pair<double, double> ZscaleLimits(const Image& img) {
  const std::vector<double> values = FinitePixels(img);
  if (values.empty()) return {0.0, 0.0};
  // The same sample as astropy: every stride-th finite pixel in row-major order.
  const size_t stride =
      std::max<size_t>(1, static_cast<size_t>(static_cast<double>(values.size()) / kZscaleSamples));
  std::vector<double> s;
  for (size_t i = 0; i < values.size() && s.size() < kZscaleSamples; i += stride)
    s.push_back(values[i]);
  std::sort(s.begin(), s.end());
  const int npix = static_cast<int>(s.size());
  double vmin = s.front(), vmax = s.back();

  const int minpix = std::max(kZscaleMinPixels, static_cast<int>(npix * kZscaleMaxReject));
  const int ngrow = std::max(1, static_cast<int>(npix * 0.01));
  std::vector<char> bad(npix, 0), grown(npix);
  int ngood = npix, last_ngood = npix + 1;
  double intercept = 0, slope = 0;
  for (int iter = 0; iter < kZscaleIterations; ++iter) {
    if (ngood >= last_ngood || ngood < minpix) break;
    FitLine(s, bad, &intercept, &slope);
    double sum = 0, sum2 = 0;
    for (int i = 0; i < npix; ++i) {
      if (bad[i]) continue;
      const double r = s[i] - (intercept + slope * i);
      sum += r;
      sum2 += r * r;
    }
    const double mean = sum / ngood;
    const double threshold = kZscaleKrej * std::sqrt(std::max(0.0, sum2 / ngood - mean * mean));
    for (int i = 0; i < npix; ++i) {
      const double r = s[i] - (intercept + slope * i);
      if (r < -threshold || r > threshold) bad[i] = 1;
    }
    // Grow rejected pixels as numpy.convolve(bad, ones(ngrow), "same") does: pixel k becomes
    // bad if any of k - ngrow/2 … k + (ngrow-1)/2 was.
    for (int k = 0; k < npix; ++k) {
      const int lo = std::max(0, k - ngrow / 2), hi = std::min(npix - 1, k + (ngrow - 1) / 2);
      grown[k] = 0;
      for (int j = lo; j <= hi && !grown[k]; ++j) grown[k] = bad[j];
    }
    bad.swap(grown);
    last_ngood = ngood;
    ngood = static_cast<int>(std::count(bad.begin(), bad.end(), 0));
  }
  if (ngood >= minpix) {
    slope /= kZscaleContrast;
    const int center = (npix - 1) / 2;
    const double median = npix % 2 ? s[npix / 2] : 0.5 * (s[npix / 2 - 1] + s[npix / 2]);
    vmin = std::max(vmin, median - (center - 1) * slope);
    vmax = std::min(vmax, median + (npix - center) * slope);
  }
  return {vmin, vmax};
}

std::pair<double, double> PercentileLimits(const Image& img, double lo, double hi) {
  std::vector<double> v = FinitePixels(img);
  if (v.empty()) return {0.0, 0.0};
  std::sort(v.begin(), v.end());
  auto at = [&](double pct) {
    const double rank = std::clamp(pct, 0.0, 100.0) / 100.0 * (v.size() - 1);
    const size_t i = static_cast<size_t>(rank);
    if (i + 1 >= v.size()) return v.back();
    return v[i] + (rank - i) * (v[i + 1] - v[i]);
  };
  return {at(lo), at(hi)};
}

std::pair<double, double> StretchLimits(const Image& img, Stretch stretch) {
  return stretch == Stretch::kZscale ? ZscaleLimits(img) : PercentileLimits(img, 0.5, 99.5);
}

Result<std::string> RenderPng(const Image& img, Stretch stretch, int scale) {
  if (img.width <= 0 || img.height <= 0 ||
      img.pixels.size() != static_cast<size_t>(img.width) * img.height)
    return InvalidArgument(
        "render: image has no pixels or a pixel count that is not width x height");
  if (scale < 1 || scale > 32)
    return InvalidArgument("render: scale " + std::to_string(scale) + " is not in 1..32");
  const auto [lo, hi] = StretchLimits(img, stretch);
  const double norm_asinh = std::asinh(1.0 / kAsinhA);
  auto grey = [&](float p) -> uint8_t {
    if (!std::isfinite(p)) return 0;
    double x = hi > lo ? std::clamp((p - lo) / (hi - lo), 0.0, 1.0) : 0.5;
    if (stretch == Stretch::kAsinh) x = std::asinh(x / kAsinhA) / norm_asinh;
    return static_cast<uint8_t>(std::lround(x * 255.0));
  };
  const int out_w = img.width * scale, out_h = img.height * scale;
  std::vector<uint8_t> out(static_cast<size_t>(out_w) * out_h);
  for (int y = 0; y < img.height; ++y) {
    // FITS row 0 is the bottom of the picture.
    uint8_t* row = out.data() + static_cast<size_t>(img.height - 1 - y) * scale * out_w;
    for (int x = 0; x < img.width; ++x) std::fill_n(row + x * scale, scale, grey(img.at(x, y)));
    for (int r = 1; r < scale; ++r) std::copy_n(row, out_w, row + static_cast<size_t>(r) * out_w);
  }
  return EncodePng(out_w, out_h, 1, out);
}

}  // namespace lantern::image
