// Datum → JSON text, in the plain shape users expect from fastavro-style readers: records
// are objects, unions are their branch's value (no wrapper), bytes and fixed are base64,
// enums their symbol, NaN and infinities the strings "NaN", "Infinity", "-Infinity"; floats
// print the shortest text that reads back to the same float. Stateless helpers.
#pragma once

#include <string>
#include <string_view>

#include "codec/datum.h"

namespace lantern::codec {

void AppendJson(const Value& value, std::string* out);
void AppendJsonString(std::string_view s, std::string* out);
void AppendJsonNumber(double d, std::string* out);
std::string Base64(std::string_view bytes);

}  // namespace lantern::codec
