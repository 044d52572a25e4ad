#include "stream/fits.h"

#include <bit>
#include <cstring>
#include <fmt/format.h>
#include <zlib.h>

namespace lantern::stream {
namespace {

constexpr size_t kRecord = 2880;

void Card(std::string* header, const std::string& text) {
  std::string card = text.substr(0, 80);
  card.resize(80, ' ');
  header->append(card);
}

}  // namespace

std::string WriteFitsImage(const std::vector<float>& pixels, int width, int height,
                           const std::vector<std::string>& cards) {
  std::string out;
  Card(&out, fmt::format("{:<8}= {:>20}", "SIMPLE", "T"));
  Card(&out, fmt::format("{:<8}= {:>20}", "BITPIX", -32));
  Card(&out, fmt::format("{:<8}= {:>20}", "NAXIS", 2));
  Card(&out, fmt::format("{:<8}= {:>20}", "NAXIS1", width));
  Card(&out, fmt::format("{:<8}= {:>20}", "NAXIS2", height));
  for (const std::string& c : cards) Card(&out, c);
  Card(&out, "END");
  out.resize((out.size() + kRecord - 1) / kRecord * kRecord, ' ');
  const size_t data_start = out.size();
  out.resize(data_start + pixels.size() * 4);
  for (size_t i = 0; i < pixels.size(); ++i) {
    uint32_t bits;
    std::memcpy(&bits, &pixels[i], 4);
    if constexpr (std::endian::native == std::endian::little) bits = __builtin_bswap32(bits);
    std::memcpy(out.data() + data_start + 4 * i, &bits, 4);
  }
  out.resize((out.size() + kRecord - 1) / kRecord * kRecord, '\0');
  return out;
}

std::string Gzip(const std::string& bytes) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, static_cast<uLong>(bytes.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  zs.avail_in = static_cast<uInt>(bytes.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace lantern::stream
