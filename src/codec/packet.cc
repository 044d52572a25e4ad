#include "codec/packet.h"

#include <fmt/format.h>

#include "codec/container.h"

namespace lantern::codec {

std::string_view FramingName(Framing framing) {
  switch (framing) {
    case Framing::kContainer: return "container";
    case Framing::kConfluent: return "confluent";
    case Framing::kBare: return "bare";
  }
  return "unknown";
}

Status PacketDecoder::DecodeAll(const std::shared_ptr<const std::string>& bytes,
                                const std::function<void(DecodedRecord&&)>& on_record) {
  if (LooksLikeContainer(*bytes)) return DecodeContainer(bytes, on_record);
  if (bytes->size() >= 5 && (*bytes)[0] == 0) return DecodeConfluent(bytes, on_record);
  if (bytes->empty()) return InvalidArgument("byte 0: empty packet");
  return InvalidArgument(fmt::format(
      "byte 0: unknown framing (first byte 0x{:02x}: neither an Avro container nor Confluent "
      "wire format)", static_cast<uint8_t>((*bytes)[0])));
}

Status PacketDecoder::DecodeContainer(const std::shared_ptr<const std::string>& bytes,
                                      const std::function<void(DecodedRecord&&)>& on_record) {
  ASSIGN_OR_RETURN(ContainerReader reader, ContainerReader::Open(bytes));
  auto schema = cache_->FromText(reader.header().schema_json);
  if (!schema.ok()) {
    const size_t at = static_cast<size_t>(reader.header().schema_json.data() - bytes->data());
    return schema.status().WithContext(
        fmt::format("byte {}: writer schema in the container header", at));
  }
  uint32_t index = 0;
  ContainerBlock block;
  for (;;) {
    ASSIGN_OR_RETURN(const bool more, reader.Next(&block));
    if (!more) return Status::Ok();
    RETURN_IF_ERROR(DecodeBlock(*schema, block, bytes, index, on_record));
    index += static_cast<uint32_t>(block.count);
  }
}

Status PacketDecoder::DecodeBlock(const std::shared_ptr<const Schema>& schema,
                                  const ContainerBlock& block,
                                  const std::shared_ptr<const std::string>& file,
                                  uint32_t first_index,
                                  const std::function<void(DecodedRecord&&)>& on_record) {
  std::string_view rest = block.data;
  // For the null codec the block views the file, so offsets are file offsets.
  const bool in_file = block.storage == file;
  uint32_t index = first_index;
  for (int64_t i = 0; i < block.count; ++i, ++index) {
    const size_t datum_offset =
        in_file ? static_cast<size_t>(rest.data() - file->data()) : block.data_file_offset;
    size_t used = 0;
    auto datum = decoder_.Decode(schema, block.storage, rest, &used, in_file ? datum_offset : 0);
    if (!datum.ok()) {
      return datum.status().WithContext(
          in_file ? fmt::format("record {}", index)
                  : fmt::format("record {} (in the block at byte {}, offset within the "
                                "decompressed block)", index, block.file_offset));
    }
    rest.remove_prefix(used);
    on_record(DecodedRecord{std::move(datum).value(), Framing::kContainer, index,
                            block.file_offset, -1});
  }
  if (!rest.empty())
    return InvalidArgument(fmt::format("byte {}: {} bytes left over after the block's {} records",
                                       block.data_file_offset, rest.size(), block.count));
  return Status::Ok();
}

Status PacketDecoder::DecodeConfluent(const std::shared_ptr<const std::string>& bytes,
                                      const std::function<void(DecodedRecord&&)>& on_record) {
  const auto* b = reinterpret_cast<const uint8_t*>(bytes->data());
  const int32_t id = static_cast<int32_t>((uint32_t{b[1]} << 24) | (uint32_t{b[2]} << 16) |
                                          (uint32_t{b[3]} << 8) | uint32_t{b[4]});
  if (resolver_ == nullptr)
    return InvalidArgument(fmt::format(
        "byte 1: Confluent wire format with schema id {} but no schema directory or registry "
        "was given (--schema-dir)", id));
  auto schema = resolver_->ById(id);
  if (!schema.ok()) return schema.status().WithContext("byte 1");
  size_t used = 0;
  auto datum = decoder_.Decode(*schema, bytes, std::string_view(*bytes).substr(5), &used, 5);
  if (!datum.ok()) return datum.status();
  if (used + 5 != bytes->size())
    return InvalidArgument(fmt::format("byte {}: {} bytes left over after the datum", used + 5,
                                       bytes->size() - used - 5));
  on_record(DecodedRecord{std::move(datum).value(), Framing::kConfluent, 0, 0, id});
  return Status::Ok();
}

Result<DecodedRecord> PacketDecoder::DecodeBare(std::shared_ptr<const Schema> schema,
                                                const std::shared_ptr<const std::string>& bytes) {
  size_t used = 0;
  ASSIGN_OR_RETURN(auto datum, decoder_.Decode(std::move(schema), bytes, *bytes, &used));
  if (used != bytes->size())
    return InvalidArgument(fmt::format("byte {}: {} bytes left over after the datum", used,
                                       bytes->size() - used));
  return DecodedRecord{std::move(datum), Framing::kBare, 0, 0, -1};
}

}  // namespace lantern::codec
