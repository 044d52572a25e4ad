#include "image/png.h"

#include <png.h>

#include <csetjmp>
#include <cstdio>

namespace lantern::image {
namespace {

void Append(png_structp png, png_bytep data, png_size_t n) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<char*>(data), n);
}

void Flush(png_structp) {}

// libpng reports errors by longjmp to the setjmp below; nothing with a destructor is created
// in this frame after setjmp, so the jump skips no cleanup. Returns libpng's message or null.
const char* Encode(int width, int height, int channels, const uint8_t* pixels, std::string* out) {
  static thread_local char message[200];
  png_structp png = png_create_write_struct(
      PNG_LIBPNG_VER_STRING, message,
      [](png_structp p, png_const_charp msg) {
        std::snprintf(static_cast<char*>(png_get_error_ptr(p)), sizeof(message), "%s", msg);
        std::longjmp(png_jmpbuf(p), 1);
      },
      nullptr);
  if (png == nullptr) return "cannot create the libpng writer";
  png_infop info = png_create_info_struct(png);
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return info == nullptr ? "cannot create the libpng info" : message;
  }
  png_set_write_fn(png, out, Append, Flush);
  png_set_IHDR(png, info, width, height, 8,
               channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  // One filter instead of libpng's per-row trial of all five: several times faster, and the
  // flat plot backgrounds and noisy cutouts compress about as well either way.
  png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
  png_write_info(png, info);
  for (int y = 0; y < height; ++y)
    png_write_row(png, pixels + static_cast<size_t>(y) * width * channels);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return nullptr;
}

}  // namespace

Result<std::string> EncodePng(int width, int height, int channels,
                              std::span<const uint8_t> pixels) {
  if (width <= 0 || height <= 0 || (channels != 1 && channels != 3))
    return InvalidArgument("PNG: bad shape " + std::to_string(width) + " x " +
                           std::to_string(height) + " x " + std::to_string(channels));
  if (pixels.size() != static_cast<size_t>(width) * height * channels)
    return Internal("PNG: pixel buffer does not match the image shape");
  std::string out;
  out.reserve(pixels.size() / 4 + 1024);
  if (const char* error = Encode(width, height, channels, pixels.data(), &out))
    return Internal(std::string("PNG: ") + error);
  return out;
}

}  // namespace lantern::image
