// Avro binary encoding. EncodeValue writes a decoded Value back with its writer schema; for
// data produced by standard writers (one block per array, minimal varints) the output equals
// the original bytes exactly. DatumBuilder (builder.h) covers encoding new data. Stateless.
#pragma once

#include <string>

#include "codec/datum.h"

namespace lantern::codec {

// Appends the Avro binary encoding of `value` to `out`.
void EncodeValue(const Value& value, std::string* out);

}  // namespace lantern::codec
