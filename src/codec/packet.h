// PacketDecoder turns raw packets into Datums whatever their framing: an Avro container file
// (schema in the header; one or many records), a Confluent wire message (magic byte 0, 4-byte
// big-endian schema id, one datum; schema from a SchemaResolver), or a bare datum with a
// given schema. One PacketDecoder per thread; the SchemaCache and resolver may be shared.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "codec/container.h"
#include "codec/decoder.h"
#include "codec/schema_source.h"
#include "core/status.h"

namespace lantern::codec {

enum class Framing : uint8_t { kContainer, kConfluent, kBare };
std::string_view FramingName(Framing framing);

struct DecodedRecord {
  std::shared_ptr<const Datum> datum;
  Framing framing = Framing::kContainer;
  uint32_t index = 0;        // record number within the packet/file, from 0
  size_t offset = 0;         // byte offset of the record's block (container) or datum
  int32_t schema_id = -1;    // Confluent schema id where framed that way
};

class PacketDecoder {
 public:
  // `cache` is required; `resolver` may be null (Confluent packets then fail with a clear error).
  PacketDecoder(SchemaCache* cache, SchemaResolver* resolver) : cache_(cache), resolver_(resolver) {}

  // Decodes every record in `bytes`, calling `on_record` for each in order. On a corrupt or
  // truncated packet the records before the damage are delivered, and the error names the
  // byte offset and what was wrong.
  Status DecodeAll(const std::shared_ptr<const std::string>& bytes,
                   const std::function<void(DecodedRecord&&)>& on_record);

  // The records of one container block (as ContainerReader::Next returns it) of `file`,
  // numbered from `first_index`; what a parallel reader hands each worker.
  Status DecodeBlock(const std::shared_ptr<const Schema>& schema, const ContainerBlock& block,
                     const std::shared_ptr<const std::string>& file, uint32_t first_index,
                     const std::function<void(DecodedRecord&&)>& on_record);

  // A single datum with a known writer schema (no framing).
  Result<DecodedRecord> DecodeBare(std::shared_ptr<const Schema> schema,
                                   const std::shared_ptr<const std::string>& bytes);

 private:
  Status DecodeContainer(const std::shared_ptr<const std::string>& bytes,
                         const std::function<void(DecodedRecord&&)>& on_record);
  Status DecodeConfluent(const std::shared_ptr<const std::string>& bytes,
                         const std::function<void(DecodedRecord&&)>& on_record);
  SchemaCache* cache_;
  SchemaResolver* resolver_;
  Decoder decoder_;
};

}  // namespace lantern::codec
