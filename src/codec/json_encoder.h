// Encodes JSON values (nlohmann::json) as Avro binary for a given schema: how Lantern writes
// new data (simulated alerts, its own output records). Bytes fields take json::binary values;
// a union takes the first branch whose type fits the JSON value (null → the null branch).
// Missing record fields take the schema's null branch where there is one. Stateless.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "codec/schema.h"
#include "core/status.h"

namespace lantern::codec {

Status EncodeJson(const Node& node, const nlohmann::json& value, std::string* out);

// Convenience: the encoded datum for the schema's root type.
Result<std::string> EncodeJsonDatum(const Schema& schema, const nlohmann::json& value);

}  // namespace lantern::codec
