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
// Appends `,"name":value` for each field of `record` that is not null and not refused by
// `keep` (called with the field's name; null: every field). Numbers, booleans and
// ["null", number] unions are read straight from their slots by the decoder's opcodes
// (schema.h FieldCode) rather than through a Value for each field: the insert streams print
// ~100 fields per ZTF row (bench/outputs_bench BM_RowJson).
void AppendJsonFieldsSkippingNulls(const Value& record, bool (*keep)(std::string_view name),
                                   std::string* out);
void AppendJsonString(std::string_view s, std::string* out);
void AppendJsonNumber(double d, std::string* out);
std::string Base64(std::string_view bytes);

}  // namespace lantern::codec
