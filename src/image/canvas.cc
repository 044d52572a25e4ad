#include "image/canvas.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "image/font.h"

namespace lantern::image {

Canvas::Canvas(int width, int height, Rgb background)
    : width_(width), height_(height), pixels_(static_cast<size_t>(width) * height * 3) {
  for (size_t i = 0; i < pixels_.size(); i += 3) {
    pixels_[i] = background.r;
    pixels_[i + 1] = background.g;
    pixels_[i + 2] = background.b;
  }
  ResetClip();
}

void Canvas::SetClip(int x0, int y0, int x1, int y1) {
  clip_x0_ = std::max(0, x0);
  clip_y0_ = std::max(0, y0);
  clip_x1_ = std::min(width_ - 1, x1);
  clip_y1_ = std::min(height_ - 1, y1);
}

void Canvas::Set(int x, int y, Rgb c) {
  if (x < clip_x0_ || x > clip_x1_ || y < clip_y0_ || y > clip_y1_) return;
  uint8_t* p = &pixels_[(static_cast<size_t>(y) * width_ + x) * 3];
  p[0] = c.r;
  p[1] = c.g;
  p[2] = c.b;
}

void Canvas::FillRect(int x0, int y0, int x1, int y1, Rgb c) {
  if (x0 > x1) std::swap(x0, x1);
  if (y0 > y1) std::swap(y0, y1);
  x0 = std::max(x0, clip_x0_);
  y0 = std::max(y0, clip_y0_);
  x1 = std::min(x1, clip_x1_);
  y1 = std::min(y1, clip_y1_);
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) Set(x, y, c);
}

void Canvas::Line(int x0, int y0, int x1, int y1, Rgb c, int thickness, int dash) {
  // Bresenham, stamping a thickness × thickness square at each step.
  const int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
  const int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
  const int lo = -(thickness - 1) / 2, hi = thickness / 2;
  int err = dx + dy;
  for (int step = 0;; ++step) {
    if (dash <= 0 || (step / dash) % 2 == 0) FillRect(x0 + lo, y0 + lo, x0 + hi, y0 + hi, c);
    if (x0 == x1 && y0 == y1) break;
    const int e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}

void Canvas::FillDisc(int cx, int cy, int radius, Rgb c) {
  const double r2 = (radius + 0.5) * (radius + 0.5);
  for (int y = -radius; y <= radius; ++y)
    for (int x = -radius; x <= radius; ++x)
      if (x * x + y * y <= r2) Set(cx + x, cy + y, c);
}

void Canvas::FillDownTriangle(int cx, int cy, int half, Rgb c) {
  for (int y = -half; y <= half; ++y) {
    // Full width at the top row, one pixel at the apex.
    const int w = static_cast<int>(std::lround(half * (half - y) / (2.0 * half)));
    for (int x = -w; x <= w; ++x) Set(cx + x, cy + y, c);
  }
}

void Canvas::Text(int x, int y, std::string_view text, int scale, Rgb c) {
  for (char ch : text) {
    const Glyph& g = GlyphFor(ch);
    for (int row = 0; row < kGlyphHeight; ++row)
      for (int col = 0; col < kGlyphWidth; ++col)
        if (g[row] & (1 << (kGlyphWidth - 1 - col)))
          FillRect(x + col * scale, y + row * scale, x + (col + 1) * scale - 1,
                   y + (row + 1) * scale - 1, c);
    x += kGlyphAdvance * scale;
  }
}

int Canvas::TextWidth(std::string_view text, int scale) {
  return text.empty() ? 0 : (static_cast<int>(text.size()) * kGlyphAdvance - 1) * scale;
}

// Cap height: descenders (g j p q y) reach one font pixel lower, into the padding around text.
int Canvas::TextHeight(int scale) { return (kGlyphHeight - 1) * scale; }

}  // namespace lantern::image
