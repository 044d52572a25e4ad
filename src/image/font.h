// A 5 x 7 bitmap font (plus a descender row) for plot labels: digits, ASCII letters and the
// punctuation that tick labels, band names and titles need. Characters it lacks are drawn as
// '?'. Constant data; safe from any thread.
#pragma once

#include <array>
#include <cstdint>

namespace lantern::image {

inline constexpr int kGlyphWidth = 5;
inline constexpr int kGlyphHeight = 8;  // 7 above the baseline, 1 for descenders
inline constexpr int kGlyphAdvance = 6;  // one column of space between characters

// Eight rows, top first; bit 4 of each row is the leftmost column.
using Glyph = std::array<uint8_t, kGlyphHeight>;

const Glyph& GlyphFor(char c);

}  // namespace lantern::image
