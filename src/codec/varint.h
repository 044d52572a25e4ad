// Avro's zig-zag variable-length integers. Header-only helpers used by the decoder, encoder
// and container reader; pure functions.
#pragma once

#include <cstdint>
#include <string>

namespace lantern::codec {

// Reads a zig-zag varint long from [*p, end). Returns false (leaving *p unspecified) when the
// input ends early or the varint is longer than 10 bytes.
inline bool ReadVarLong(const uint8_t** p, const uint8_t* end, int64_t* out) {
  const uint8_t* q = *p;
  if (q < end && !(*q & 0x80)) {  // one byte: most lengths, flags and small ints
    *p = q + 1;
    *out = static_cast<int64_t>(*q >> 1) ^ -static_cast<int64_t>(*q & 1);
    return true;
  }
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (q == end) return false;
    const uint8_t b = *q++;
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *p = q;
      *out = static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
      return true;
    }
  }
  return false;
}

inline void WriteVarLong(std::string* out, int64_t value) {
  uint64_t v = (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, static_cast<size_t>(n));
}

}  // namespace lantern::codec
