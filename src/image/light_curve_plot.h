// Light-curve plots: photometry points (detections with error bars, upper limits as downward
// triangles) drawn per band against MJD into an RGB PNG with axes, tick labels, a title and a
// legend of the bands present. Pure function of its input; safe from any thread.
#pragma once

#include <span>
#include <string>

#include "core/status.h"

namespace lantern::image {

struct LightCurvePoint {
  double mjd = 0;
  double value = 0;   // magnitude, or flux in nJy (see LightCurvePlotOptions::y_axis)
  double error = 0;   // 1-sigma, same unit; NaN or <= 0 draws no error bar
  std::string band;   // u g r i z y get their colours; any other band is grey
  bool is_limit = false;  // an upper limit (fainter than `value`): a downward triangle
};

enum class LightCurveAxis {
  kMagnitude,  // y inverted: bright (small magnitudes) up
  kFlux,       // nJy, increasing up, with a dashed line at zero
};

struct LightCurvePlotOptions {
  std::string title;  // drawn above the plot; characters outside the font show as '?'
  LightCurveAxis y_axis = LightCurveAxis::kMagnitude;
  int width = 800;    // pixels, 160..4000 (an error if the labels leave no room for the plot)
  int height = 500;   // pixels, 120..4000
};

// Points whose mjd or value is not finite or exceeds 1e15 in size are skipped. No points gives
// empty axes.
Result<std::string> RenderLightCurvePng(std::span<const LightCurvePoint> points,
                                        const LightCurvePlotOptions& options);

}  // namespace lantern::image
