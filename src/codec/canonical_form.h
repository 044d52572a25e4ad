// Schema identity as the Avro specification defines it: the Parsing Canonical Form (PCF) of a
// schema and its CRC-64-AVRO (Rabin) fingerprint — what the single-object encoding header and
// schema registries use to name a schema. Computed from the parsed Node tree, so docs,
// aliases, defaults, logical types and other attributes are already gone and names are full.
// Pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "codec/schema.h"

namespace lantern::codec {

// The PCF of the schema rooted at `node`: primitives as bare names, named types by full name
// (defined at first use, referenced by full name after), attributes in the order name, type,
// fields, symbols, items, values, size, no whitespace.
std::string CanonicalForm(const Node& node);
inline std::string CanonicalForm(const Schema& schema) { return CanonicalForm(schema.root()); }

// CRC-64-AVRO of `canonical` (the Avro specification's Rabin fingerprint, empty value
// 0xc15d213aa4d7a795). The single-object encoding writes it little-endian.
uint64_t AvroFingerprint64(std::string_view canonical);

// The fingerprint's 8 little-endian bytes as hex, as fastavro and the Avro tools print it.
std::string FingerprintHex(uint64_t fingerprint);

}  // namespace lantern::codec
