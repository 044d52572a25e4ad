// Image: a 2-D array of float pixels decoded from a FITS cutout (ZTF gzipped FITS, Rubin plain
// FITS), and ReadFits, which decodes one. Our own type so that no cfitsio type leaks into
// callers. Value type; ReadFits is a pure function of its input, safe from any thread
// (cfitsio is built reentrant).
#pragma once

#include <string_view>
#include <vector>

#include "core/status.h"

namespace lantern::image {

struct Image {
  int width = 0;              // NAXIS1
  int height = 0;             // NAXIS2
  std::vector<float> pixels;  // row-major, width * height; row 0 = first FITS row; NaN = blank

  float at(int x, int y) const { return pixels[static_cast<size_t>(y) * width + x]; }
};

// Decodes the first HDU holding a non-empty image of 2 axes (further axes of length 1 are
// allowed): the primary array, or an IMAGE extension, or a tile-compressed image (BINTABLE
// with ZIMAGE = T) when the primary array is empty. BSCALE/BZERO are applied; BLANK pixels
// of integer images become NaN. `bytes` is FITS, or FITS compressed with gzip (first bytes
// 1f 8b). Errors (kInvalidArgument, kOutOfRange for truncation) name what was wrong.
Result<Image> ReadFits(std::string_view bytes);

}  // namespace lantern::image
