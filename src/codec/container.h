// Avro object container files: header (magic "Obj\x01", metadata map with avro.schema and
// avro.codec, 16-byte sync marker) followed by blocks of datums, each block compressed with
// the file's codec (null, deflate or snappy). ContainerReader walks the blocks of an in-memory
// file; ContainerWriter produces files. Both are single-threaded objects.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace lantern::codec {

enum class Codec : uint8_t { kNull, kDeflate, kSnappy };
Result<Codec> ParseCodec(std::string_view name);
std::string_view CodecName(Codec codec);

inline constexpr std::string_view kContainerMagic{"Obj\x01", 4};
bool LooksLikeContainer(std::string_view bytes);

// Views into the file bytes (kept alive by the ContainerReader).
struct ContainerHeader {
  std::map<std::string_view, std::string_view> metadata;
  std::string_view schema_json;
  Codec codec = Codec::kNull;
  std::array<char, 16> sync{};
  size_t data_offset = 0;  // where the first block starts
};

struct ContainerBlock {
  int64_t count = 0;          // datums in the block
  size_t file_offset = 0;     // where the block starts in the file
  size_t data_file_offset = 0;  // where its (compressed) data starts
  // The uncompressed datums: a view into the file for the null codec, otherwise into
  // `storage`, which owns the decompressed bytes.
  std::string_view data;
  std::shared_ptr<const std::string> storage;
};

class ContainerReader {
 public:
  // `file` must stay alive while blocks from the null codec are in use (they view into it).
  static Result<ContainerReader> Open(std::shared_ptr<const std::string> file);

  const ContainerHeader& header() const { return header_; }
  // Reads the next block into *block. Returns false at a clean end of file. A block that is
  // truncated, has a wrong sync marker or fails to decompress is an error naming the offset.
  Result<bool> Next(ContainerBlock* block);
  size_t position() const { return pos_; }

 private:
  ContainerReader(std::shared_ptr<const std::string> file, ContainerHeader header)
      : file_(std::move(file)), header_(std::move(header)), pos_(header_.data_offset) {}
  std::shared_ptr<const std::string> file_;
  ContainerHeader header_;
  size_t pos_;
};

// Decompresses one block's data. Limits the output to `max_bytes` (against zip bombs).
Result<std::string> Decompress(Codec codec, std::string_view data, size_t max_bytes);
Result<std::string> Compress(Codec codec, std::string_view data);

class ContainerWriter {
 public:
  // Datums are buffered into blocks of about `block_bytes` before compression.
  ContainerWriter(std::string schema_json, Codec codec, size_t block_bytes = 1 << 20);

  // Appends one encoded datum.
  void Append(std::string_view datum);
  // Flushes the open block and returns the whole file so far.
  Result<std::string> Finish();

 private:
  Status FlushBlock();
  std::string out_;
  std::string block_;
  int64_t block_count_ = 0;
  Codec codec_;
  size_t block_bytes_;
  std::array<char, 16> sync_{};
  Status status_;
};

}  // namespace lantern::codec
