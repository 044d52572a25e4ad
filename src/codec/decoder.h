// Avro binary decoding of one datum into a Datum (see datum.h), with every read checked
// against the end of the input: a truncated or corrupt datum yields an error naming the byte
// offset and the field path, never a crash or an unbounded allocation. A Decoder is cheap to
// construct; one per thread (it keeps a scratch slot array that decoding reuses).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "codec/datum.h"
#include "core/status.h"

namespace lantern::codec {

struct DecodeLimits {
  uint32_t max_depth = 64;             // nesting of records/arrays/maps
  uint32_t max_slots = 1u << 22;       // values in one datum (16 bytes each: 64 MiB)
};

class Decoder {
 public:
  explicit Decoder(DecodeLimits limits = {}) : limits_(limits) {}

  // Decodes one datum of `schema` from the start of `bytes`, which must lie inside `storage`
  // (kept alive by the returned Datum). On success `*consumed` (if given) receives the number
  // of bytes the datum took. `base_offset` is added to byte offsets in error messages.
  Result<std::shared_ptr<const Datum>> Decode(std::shared_ptr<const Schema> schema,
                                              std::shared_ptr<const std::string> storage,
                                              std::string_view bytes, size_t* consumed = nullptr,
                                              size_t base_offset = 0);

 private:
  static constexpr size_t kMaxKeptScratch = size_t{1} << 20;  // slots (16 MiB)
  DecodeLimits limits_;
  std::unique_ptr<Slot[]> scratch_;
  size_t scratch_capacity_ = 0;
};

}  // namespace lantern::codec
