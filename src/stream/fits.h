// Minimal FITS image writer for simulated cutouts: a primary HDU with a 2-D float32 image
// (BITPIX = -32, big-endian, 2880-byte records), optionally gzipped as ZTF ships its stamps.
// Pure functions.
#pragma once

#include <string>
#include <vector>

namespace lantern::stream {

// `pixels` is row-major, `width` x `height`. `cards` are extra header cards (80 chars max).
std::string WriteFitsImage(const std::vector<float>& pixels, int width, int height,
                           const std::vector<std::string>& cards = {});
std::string Gzip(const std::string& bytes);

}  // namespace lantern::stream
