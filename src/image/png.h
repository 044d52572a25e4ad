// EncodePng: 8-bit grey or RGB pixels → PNG file bytes, through libpng's simplified API. The
// encoder under RenderPng and RenderLightCurvePng; callers outside this module use those.
// Pure function; safe from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/status.h"

namespace lantern::image {

// `pixels` holds height rows of width * channels bytes, top row first; channels is 1 (grey)
// or 3 (RGB).
Result<std::string> EncodePng(int width, int height, int channels,
                              std::span<const uint8_t> pixels);

}  // namespace lantern::image
