#include "image/light_curve_plot.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <vector>

#include "image/canvas.h"
#include "image/png.h"

namespace lantern::image {
namespace {

constexpr Rgb kWhite{255, 255, 255};
constexpr Rgb kFrame{60, 60, 60};
constexpr Rgb kGrid{228, 228, 228};
constexpr Rgb kText{30, 30, 30};
constexpr Rgb kZeroLine{150, 150, 150};

struct Band {
  const char* name;
  Rgb colour;
};
// Legend order and colours: u violet, g green, r red, i orange, z brown, y black.
constexpr Band kBands[] = {{"u", {130, 40, 200}}, {"g", {0, 150, 60}},  {"r", {215, 25, 30}},
                           {"i", {245, 140, 0}},  {"z", {140, 80, 30}}, {"y", {0, 0, 0}}};
constexpr Rgb kOtherBand{128, 128, 128};

Rgb BandColour(const std::string& band) {
  for (const Band& b : kBands)
    if (band == b.name) return b.colour;
  return kOtherBand;
}

bool IsStandardBand(const std::string& band) {
  for (const Band& b : kBands)
    if (band == b.name) return true;
  return false;
}

Rgb Lighter(Rgb c) {
  auto mix = [](uint8_t v) { return static_cast<uint8_t>((v + 2 * 255) / 3); };
  return {mix(c.r), mix(c.g), mix(c.b)};
}

// Tick positions at a "nice" step (1, 2 or 5 × 10^k) giving about `target` ticks in [lo, hi],
// with labels printed to the step's precision.
struct Ticks {
  std::vector<double> values;
  std::vector<std::string> labels;
};

Ticks NiceTicks(double lo, double hi, int target) {
  Ticks t;
  const double raw = (hi - lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double m = raw / mag;
  const double step = (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * mag;
  const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
  const double first = std::ceil(lo / step - 1e-9) * step;
  for (int i = 0; i < 50; ++i) {  // bounded even where step is below the values' precision
    const double v = first + i * step;
    if (v > hi + step * 1e-9) break;
    const double shown = std::abs(v) < step * 1e-6 ? 0.0 : v;  // no "-0"
    t.values.push_back(shown);
    t.labels.push_back(std::max(std::abs(lo), std::abs(hi)) < 1e7
                           ? fmt::format("{:.{}f}", shown, decimals)
                           : fmt::format("{:.3g}", shown));
  }
  return t;
}

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void Add(double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  // Empty → [0, 1]; a single value → ± half_width; then `pad` of the span on each side.
  void Finish(double half_width, double pad) {
    if (lo > hi) lo = 0, hi = 1;
    if (hi - lo < 1e-9 * std::max(1.0, std::max(std::abs(lo), std::abs(hi))))
      lo -= half_width, hi += half_width;
    const double p = (hi - lo) * pad;
    lo -= p;
    hi += p;
  }
};

// Larger values are garbage for MJDs, magnitudes and nJy alike; keeping them out keeps every
// span finite.
constexpr double kMaxAbs = 1e15;

bool HasError(const LightCurvePoint& p) { return p.error > 0 && p.error < kMaxAbs; }

// Pixel coordinate for a fraction of the axis, clamped so that lines to far-off values stay short.
int ToPixel(int from, int to, double fraction) {
  const double v = from + fraction * (to - from);
  return static_cast<int>(std::lround(std::clamp(v, -8000.0, 8000.0)));
}

}  // namespace

Result<std::string> RenderLightCurvePng(std::span<const LightCurvePoint> points,
                                        const LightCurvePlotOptions& opt) {
  if (opt.width < 160 || opt.width > 4000 || opt.height < 120 || opt.height > 4000)
    return InvalidArgument(fmt::format("light curve: size {} x {} is outside 160..4000 x 120..4000",
                                       opt.width, opt.height));
  const bool mag = opt.y_axis == LightCurveAxis::kMagnitude;
  std::vector<const LightCurvePoint*> shown;
  Range xr, yr;
  for (const LightCurvePoint& p : points) {
    if (!(std::abs(p.mjd) < kMaxAbs) || !(std::abs(p.value) < kMaxAbs)) continue;
    shown.push_back(&p);
    xr.Add(p.mjd);
    yr.Add(p.value);
    if (HasError(p) && !p.is_limit) {
      yr.Add(p.value - p.error);
      yr.Add(p.value + p.error);
    }
  }
  xr.Finish(1.0, 0.05);
  yr.Finish(mag ? 0.5 : std::max(1.0, std::abs(yr.lo) * 0.1), 0.08);

  // Layout: font scale from the picture size, margins from the labels they hold.
  const int fs = std::max(1, std::min(opt.width, opt.height) / 250);
  const int pad = 6 * fs, th = Canvas::TextHeight(fs), tick_len = 3 * fs;
  const int title_fs = fs > 1 ? fs + 1 : fs;
  const std::string y_label = mag ? "magnitude" : "flux (nJy)";

  // Legend: the standard bands present in their order, then others, then "limit".
  std::vector<std::string> legend;
  for (const Band& b : kBands)
    if (std::any_of(shown.begin(), shown.end(), [&](auto* p) { return p->band == b.name; }))
      legend.push_back(b.name);
  for (auto* p : shown)
    if (!IsStandardBand(p->band) &&
        std::find(legend.begin(), legend.end(), p->band) == legend.end())
      legend.push_back(p->band);
  const bool any_limit =
      std::any_of(shown.begin(), shown.end(), [](auto* p) { return p->is_limit; });
  size_t legend_chars = 5;  // "limit"
  for (const auto& b : legend) legend_chars = std::max(legend_chars, b.size());
  const int marker = 4 * fs;
  const int legend_w = 2 * marker + pad + Canvas::TextWidth(std::string(legend_chars, 'x'), fs);

  const int top = pad + Canvas::TextHeight(title_fs) + pad + th + pad;
  const int bottom_margin = tick_len + pad + th + pad + th + pad;
  const int right_margin = pad + legend_w + 2 * pad;
  const int plot_h = opt.height - top - bottom_margin;
  const int y_target = std::max(2, plot_h / (th * 5));
  // Magnitude ticks on the same numbers whichever way the axis runs.
  const Ticks yt = NiceTicks(yr.lo, yr.hi, y_target);
  int y_label_w = 0;
  for (const auto& l : yt.labels) y_label_w = std::max(y_label_w, Canvas::TextWidth(l, fs));
  const int left = pad + y_label_w + pad + tick_len;
  const int x0 = left, x1 = opt.width - right_margin;  // plot area, inclusive
  const int y0 = top, y1 = opt.height - bottom_margin;
  if (x1 - x0 < 40 || y1 - y0 < 40)
    return InvalidArgument(fmt::format("light curve: {} x {} leaves no room for the plot",
                                       opt.width, opt.height));
  auto px = [&](double mjd) { return ToPixel(x0, x1, (mjd - xr.lo) / (xr.hi - xr.lo)); };
  auto py = [&](double v) {
    const double f = (v - yr.lo) / (yr.hi - yr.lo);
    return mag ? ToPixel(y0, y1, f) : ToPixel(y1, y0, f);
  };

  Canvas c(opt.width, opt.height, kWhite);
  c.Text(pad, pad, opt.title, title_fs, kText);
  c.Text(pad, pad + Canvas::TextHeight(title_fs) + pad, y_label, fs, kText);

  // Grid, ticks and tick labels.
  const int x_target = (x1 - x0) * 5 / (Canvas::TextWidth("00000.00", fs) * 6);
  const Ticks xt = NiceTicks(xr.lo, xr.hi, std::max(2, x_target));
  for (size_t i = 0; i < xt.values.size(); ++i) {
    const int x = px(xt.values[i]);
    c.Line(x, y0, x, y1, kGrid);
    c.Line(x, y1, x, y1 + tick_len, kFrame, std::max(1, fs / 2));
    c.Text(x - Canvas::TextWidth(xt.labels[i], fs) / 2, y1 + tick_len + pad, xt.labels[i], fs,
           kText);
  }
  for (size_t i = 0; i < yt.values.size(); ++i) {
    const int y = py(yt.values[i]);
    c.Line(x0, y, x1, y, kGrid);
    c.Line(x0 - tick_len, y, x0, y, kFrame, std::max(1, fs / 2));
    c.Text(x0 - tick_len - pad / 2 - Canvas::TextWidth(yt.labels[i], fs), y - th / 2, yt.labels[i],
           fs, kText);
  }
  const std::string x_label = "MJD";
  c.Text((x0 + x1 - Canvas::TextWidth(x_label, fs)) / 2, y1 + tick_len + pad + th + pad, x_label,
         fs, kText);

  // Data, clipped to the plot area.
  c.SetClip(x0 + 1, y0 + 1, x1 - 1, y1 - 1);
  if (!mag && yr.lo < 0 && yr.hi > 0) c.Line(x0, py(0), x1, py(0), kZeroLine, 1, 4 * fs);
  const int bar = std::max(1, fs / 2), cap = 2 * fs, radius = 2 * fs + 1;
  for (auto* p : shown) {  // limits first, so detections stay on top
    if (!p->is_limit) continue;
    const Rgb col = BandColour(p->band);
    c.FillDownTriangle(px(p->mjd), py(p->value), marker, col);
    c.FillDownTriangle(px(p->mjd), py(p->value) - fs / 2, marker - 2 * fs / 2 - 1, Lighter(col));
  }
  for (auto* p : shown) {
    if (p->is_limit) continue;
    const Rgb col = BandColour(p->band);
    const int x = px(p->mjd);
    if (HasError(*p)) {
      const int ya = py(p->value - p->error), yb = py(p->value + p->error);
      c.Line(x, ya, x, yb, col, bar);
      c.Line(x - cap, ya, x + cap, ya, col, bar);
      c.Line(x - cap, yb, x + cap, yb, col, bar);
    }
    c.FillDisc(x, py(p->value), radius, col);
  }
  c.ResetClip();

  // Frame over the data's edges, then the legend to the right of the plot.
  c.Line(x0, y0, x1, y0, kFrame, std::max(1, fs / 2));
  c.Line(x0, y1, x1, y1, kFrame, std::max(1, fs / 2));
  c.Line(x0, y0, x0, y1, kFrame, std::max(1, fs / 2));
  c.Line(x1, y0, x1, y1, kFrame, std::max(1, fs / 2));
  const int lx = x1 + 2 * pad;
  int ly = y0 + pad;
  const int row_h = std::max(th, 2 * marker) + pad;
  for (const auto& b : legend) {
    c.FillDisc(lx + marker, ly + row_h / 2 - pad / 2, radius, BandColour(b));
    c.Text(lx + 2 * marker + pad, ly + (row_h - pad - th) / 2, b, fs, kText);
    ly += row_h;
  }
  if (any_limit) {
    const Rgb grey{110, 110, 110};
    c.FillDownTriangle(lx + marker, ly + row_h / 2 - pad / 2, marker, grey);
    c.FillDownTriangle(lx + marker, ly + row_h / 2 - pad / 2 - fs / 2, marker - 2 * fs / 2 - 1,
                       Lighter(grey));
    c.Text(lx + 2 * marker + pad, ly + (row_h - pad - th) / 2, "limit", fs, kText);
  }
  return EncodePng(c.width(), c.height(), 3, c.rgb());
}

}  // namespace lantern::image
