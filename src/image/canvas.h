// Canvas: an RGB raster with the few drawing primitives the light-curve plot needs (rectangles,
// lines, discs, triangles, 5 x 7 bitmap text), all clipped to a settable rectangle. Internal to
// this module. Not thread-safe; one per picture.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace lantern::image {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

class Canvas {
 public:
  Canvas(int width, int height, Rgb background);

  int width() const { return width_; }
  int height() const { return height_; }
  std::span<const uint8_t> rgb() const { return pixels_; }

  // Drawing outside [x0, x1] × [y0, y1] (inclusive) is dropped; initially the whole canvas.
  void SetClip(int x0, int y0, int x1, int y1);
  void ResetClip() { SetClip(0, 0, width_ - 1, height_ - 1); }

  void Set(int x, int y, Rgb c);
  void FillRect(int x0, int y0, int x1, int y1, Rgb c);  // inclusive corners, any order
  // A line `thickness` pixels wide; `dash` > 0 draws dash-long strokes with dash-long gaps.
  void Line(int x0, int y0, int x1, int y1, Rgb c, int thickness = 1, int dash = 0);
  void FillDisc(int cx, int cy, int radius, Rgb c);
  // A triangle with its apex down at (cx, cy + half) and its top edge at cy - half.
  void FillDownTriangle(int cx, int cy, int half, Rgb c);
  // Text with its top-left corner at (x, y), each font pixel drawn as scale × scale.
  void Text(int x, int y, std::string_view text, int scale, Rgb c);
  static int TextWidth(std::string_view text, int scale);
  static int TextHeight(int scale);

 private:
  int width_, height_;
  int clip_x0_ = 0, clip_y0_ = 0, clip_x1_ = 0, clip_y1_ = 0;
  std::vector<uint8_t> pixels_;
};

}  // namespace lantern::image
