// ReadFits: gunzip (zlib) if needed, then cfitsio over the bytes in memory.
#include <fitsio.h>
#include <zlib.h>

#include <cmath>
#include <limits>
#include <string>

#include "image/image.h"

namespace lantern::image {
namespace {

// Cutouts are tens of kilobytes; these bounds stop a corrupt header or a gzip bomb from
// asking for gigabytes.
constexpr size_t kMaxInflatedBytes = size_t{256} << 20;
constexpr long kMaxPixels = long{1} << 26;

bool IsGzip(std::string_view b) {
  return b.size() >= 2 && static_cast<unsigned char>(b[0]) == 0x1f &&
         static_cast<unsigned char>(b[1]) == 0x8b;
}

Result<std::string> Gunzip(std::string_view in) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return Internal("gzip: inflateInit2 failed");
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (out.size() >= kMaxInflatedBytes) {
      inflateEnd(&z);
      return InvalidArgument("gzip: inflates to more than 256 MiB");
    }
    const size_t have = out.size();
    out.resize(have + std::max<size_t>(in.size() * 4, 64 * 1024));
    z.next_out = reinterpret_cast<Bytef*>(out.data() + have);
    z.avail_out = static_cast<uInt>(out.size() - have);
    rc = inflate(&z, Z_NO_FLUSH);
    out.resize(out.size() - z.avail_out);
    if (rc == Z_BUF_ERROR && z.avail_in == 0) {
      inflateEnd(&z);
      return OutOfRange("gzip: input ends after " + std::to_string(in.size()) +
                        " bytes, inside the compressed stream");
    }
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      std::string msg = z.msg ? z.msg : "error " + std::to_string(rc);
      inflateEnd(&z);
      return InvalidArgument("gzip: corrupt stream at input byte " +
                             std::to_string(in.size() - z.avail_in) + ": " + msg);
    }
  }
  inflateEnd(&z);
  return out;
}

// "cfitsio <what>: <status text> (<first message on cfitsio's error stack>)".
Status FitsError(std::string_view what, int status) {
  char text[FLEN_STATUS] = {};
  fits_get_errstatus(status, text);
  std::string msg = "FITS " + std::string(what) + ": " + text;
  char detail[FLEN_ERRMSG] = {};
  if (fits_read_errmsg(detail)) msg += std::string(" (") + detail + ")";
  fits_clear_errmsg();
  const bool truncated = status == END_OF_FILE || status == READ_ERROR;
  return truncated ? OutOfRange(std::move(msg)) : InvalidArgument(std::move(msg));
}

// Closes the file on every path out.
struct FitsFile {
  fitsfile* f = nullptr;
  ~FitsFile() {
    int status = 0;
    if (f) fits_close_file(f, &status);
  }
};

Result<Image> ReadFitsBytes(std::string_view bytes) {
  if (bytes.size() < 80 || bytes.substr(0, 9) != "SIMPLE  =")
    return InvalidArgument("not FITS: does not start with the SIMPLE keyword");
  if (bytes.size() % 2880 != 0) {
    // cfitsio would read past a short last block as zeros; a FITS file is whole blocks.
    return OutOfRange("FITS: " + std::to_string(bytes.size()) +
                      " bytes is not a whole number of 2880-byte blocks (truncated?)");
  }
  FitsFile file;
  int status = 0;
  // READONLY: cfitsio does not write through the pointer or reallocate the buffer.
  void* buffer = const_cast<char*>(bytes.data());
  size_t size = bytes.size();
  if (fits_open_memfile(&file.f, "cutout.fits", READONLY, &buffer, &size, 0, nullptr, &status))
    return FitsError("open", status);
  int hdus = 0;
  if (fits_get_num_hdus(file.f, &hdus, &status)) return FitsError("counting HDUs", status);
  for (int hdu = 1; hdu <= hdus; ++hdu) {
    int type = 0;
    if (fits_movabs_hdu(file.f, hdu, &type, &status))
      return FitsError("HDU " + std::to_string(hdu), status);
    // Tile-compressed images are BINTABLEs that cfitsio presents as images.
    if (type != IMAGE_HDU && !fits_is_compressed_image(file.f, &status)) continue;
    int naxis = 0;
    long axes[9] = {};
    if (fits_get_img_dim(file.f, &naxis, &status) ||
        fits_get_img_size(file.f, 9, axes, &status))
      return FitsError("image size in HDU " + std::to_string(hdu), status);
    if (naxis < 2 || axes[0] <= 0 || axes[1] <= 0) continue;
    for (int i = 2; i < std::min(naxis, 9); ++i) {
      if (axes[i] != 1)
        return InvalidArgument("FITS HDU " + std::to_string(hdu) + " has " +
                               std::to_string(naxis) + " axes with NAXIS" +
                               std::to_string(i + 1) + " = " + std::to_string(axes[i]) +
                               "; only 2-D images are supported");
    }
    if (axes[0] > kMaxPixels / axes[1])
      return InvalidArgument("FITS HDU " + std::to_string(hdu) + ": image of " +
                             std::to_string(axes[0]) + " x " + std::to_string(axes[1]) +
                             " pixels is too large");
    // cfitsio reads missing data blocks of a short file as zeros; a cut-off file is an error.
    LONGLONG head = 0, data = 0, end = 0;
    if (fits_get_hduaddrll(file.f, &head, &data, &end, &status))
      return FitsError("HDU " + std::to_string(hdu) + " address", status);
    if (end > static_cast<LONGLONG>(bytes.size()))
      return OutOfRange("FITS: HDU " + std::to_string(hdu) + " needs " + std::to_string(end) +
                        " bytes but the file has " + std::to_string(bytes.size()) +
                        " (truncated)");
    Image img;
    img.width = static_cast<int>(axes[0]);
    img.height = static_cast<int>(axes[1]);
    const long n = axes[0] * axes[1];
    img.pixels.resize(n);
    std::string nulls(n, '\0');
    long first[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    int any_null = 0;
    if (fits_read_pixnull(file.f, TFLOAT, first, n, img.pixels.data(), nulls.data(), &any_null,
                          &status))
      return FitsError("pixels of HDU " + std::to_string(hdu), status);
    if (any_null) {
      for (long i = 0; i < n; ++i)
        if (nulls[i]) img.pixels[i] = std::numeric_limits<float>::quiet_NaN();
    }
    return img;
  }
  return InvalidArgument("FITS: none of the " + std::to_string(hdus) +
                         " HDUs holds a 2-D image");
}

}  // namespace

Result<Image> ReadFits(std::string_view bytes) {
  if (!IsGzip(bytes)) return ReadFitsBytes(bytes);
  ASSIGN_OR_RETURN(std::string fits, Gunzip(bytes));
  auto img = ReadFitsBytes(fits);
  if (!img.ok()) return img.status().WithContext("gunzipped");
  return img;
}

}  // namespace lantern::image
