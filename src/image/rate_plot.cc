#include "image/rate_plot.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "image/canvas.h"
#include "image/png.h"

namespace lantern::image {
namespace {

constexpr Rgb kWhite{255, 255, 255}, kFrame{60, 60, 60}, kGrid{228, 228, 228};
constexpr Rgb kText{30, 30, 30}, kBar{30, 90, 200}, kReference{215, 25, 30};

// About `target` ticks at 1, 2 or 5 × 10^k in [0, hi].
std::vector<double> Ticks(double hi, int target) {
  const double raw = hi / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double m = raw / mag;
  const double step = (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * mag;
  std::vector<double> out;
  for (int i = 0; i <= 50 && i * step <= hi * (1 + 1e-9); ++i) out.push_back(i * step);
  return out;
}

std::string Label(double v) {
  return v == std::floor(v) && std::fabs(v) < 1e9 ? fmt::format("{:.0f}", v)
                                                  : fmt::format("{:.3g}", v);
}

}  // namespace

Result<std::string> RenderRatePlotPng(std::span<const std::pair<int64_t, uint64_t>> per_second,
                                      const RatePlotOptions& opt) {
  if (opt.width < 200 || opt.width > 4000 || opt.height < 150 || opt.height > 4000)
    return InvalidArgument(fmt::format("rate plot: size {} x {} is outside 200..4000 x 150..4000",
                                       opt.width, opt.height));
  const int fs = std::max(1, std::min(opt.width, opt.height) / 250);
  const int pad = 6 * fs, th = Canvas::TextHeight(fs), tick = 3 * fs;
  const int x0 = pad + Canvas::TextWidth("000000", fs) + pad + tick;
  const int x1 = opt.width - 2 * pad;
  const int y0 = pad + th + pad + th + pad;
  const int y1 = opt.height - (tick + pad + th + pad + th + pad);
  const int bins = x1 - x0 - 1;

  // Time axis in the unit that suits the span; one bar per pixel column holding the largest
  // per-second count in it.
  const int64_t first = per_second.empty() ? 0 : per_second.front().first;
  const int64_t last = per_second.empty() ? 1 : per_second.back().first;
  const double span = std::max<double>(1, static_cast<double>(last - first + 1));
  const auto [unit, unit_name] = span < 600     ? std::pair{1.0, "seconds"}
                                 : span < 36000 ? std::pair{60.0, "minutes"}
                                 : span < 4 * 86400.0 ? std::pair{3600.0, "hours"}
                                                      : std::pair{86400.0, "days"};
  std::vector<uint64_t> bar(static_cast<size_t>(bins), 0);
  uint64_t peak = 0;
  for (const auto& [s, n] : per_second) {
    const auto b = std::min<size_t>(bar.size() - 1,
                                    static_cast<size_t>((s - first) / span * bins));
    bar[b] = std::max(bar[b], n);
    peak = std::max(peak, n);
  }
  double y_hi = std::max<double>(1, peak) * 1.1;
  for (const auto& [rate, name] : opt.references)  // show a reference close above the data
    if (rate > y_hi && rate < 3 * y_hi) y_hi = rate * 1.05;

  Canvas c(opt.width, opt.height, kWhite);
  c.Text(pad, pad, opt.title, fs, kText);
  c.Text(pad, pad + th + pad, "alerts per second (busiest second per bar)", fs, kText);
  auto py = [&](double v) { return y1 - static_cast<int>(std::lround((y1 - y0) * v / y_hi)); };
  for (double v : Ticks(y_hi, std::max(2, (y1 - y0) / (th * 5)))) {
    c.Line(x0, py(v), x1, py(v), kGrid);
    c.Line(x0 - tick, py(v), x0, py(v), kFrame);
    c.Text(x0 - tick - pad / 2 - Canvas::TextWidth(Label(v), fs), py(v) - th / 2, Label(v), fs,
           kText);
  }
  const double x_hi = span / unit;
  for (double v : Ticks(x_hi, std::max(2, (x1 - x0) / Canvas::TextWidth("0000000", fs)))) {
    const int x = x0 + static_cast<int>(std::lround((x1 - x0) * v / x_hi));
    c.Line(x, y1, x, y1 + tick, kFrame);
    c.Text(x - Canvas::TextWidth(Label(v), fs) / 2, y1 + tick + pad, Label(v), fs, kText);
  }
  const std::string x_label = fmt::format("{} since the first alert", unit_name);
  c.Text((x0 + x1 - Canvas::TextWidth(x_label, fs)) / 2, y1 + tick + pad + th + pad, x_label, fs,
         kText);
  c.SetClip(x0 + 1, y0, x1 - 1, y1 - 1);
  for (size_t b = 0; b < bar.size(); ++b)
    if (bar[b]) c.Line(x0 + 1 + static_cast<int>(b), y1, x0 + 1 + static_cast<int>(b), py(bar[b]), kBar);
  for (const auto& [rate, name] : opt.references) {
    if (rate > y_hi) continue;
    c.Line(x0, py(rate), x1, py(rate), kReference, std::max(1, fs / 2), 4 * fs);
    c.Text(x1 - pad - Canvas::TextWidth(name, fs), py(rate) - th - fs, name, fs, kReference);
  }
  c.ResetClip();
  c.Line(x0, y0, x1, y0, kFrame);
  c.Line(x0, y1, x1, y1, kFrame);
  c.Line(x0, y0, x0, y1, kFrame);
  c.Line(x1, y0, x1, y1, kFrame);
  return EncodePng(c.width(), c.height(), 3, c.rgb());
}

}  // namespace lantern::image
