#include "codec/container.h"

#include <cstring>
#include <fmt/format.h>
#include <random>
#include <snappy.h>
#include <zlib.h>

#include "codec/varint.h"

namespace lantern::codec {
namespace {

constexpr size_t kMaxBlockBytes = size_t{1} << 30;

bool ReadLongAt(std::string_view buf, size_t* pos, int64_t* out) {
  const auto* begin = reinterpret_cast<const uint8_t*>(buf.data());
  const uint8_t* p = begin + *pos;
  if (!ReadVarLong(&p, begin + buf.size(), out)) return false;
  *pos = static_cast<size_t>(p - begin);
  return true;
}

Status ReadBytesAt(std::string_view buf, size_t* pos, std::string_view* out, const char* what) {
  int64_t len;
  if (!ReadLongAt(buf, pos, &len))
    return OutOfRange(fmt::format("byte {}: file ends inside {} length", *pos, what));
  if (len < 0 || static_cast<uint64_t>(len) > buf.size() - *pos)
    return OutOfRange(fmt::format("byte {}: {} of {} bytes runs past the end of the file", *pos,
                                  what, len));
  *out = buf.substr(*pos, static_cast<size_t>(len));
  *pos += static_cast<size_t>(len);
  return Status::Ok();
}

uint32_t Crc32(std::string_view data) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

Result<std::string> Inflate(std::string_view data, size_t max_bytes) {
  z_stream zs{};
  if (inflateInit2(&zs, -15) != Z_OK) return Internal("inflateInit2 failed");
  std::string out;
  out.resize(std::min(max_bytes, std::max<size_t>(data.size() * 4, 4096)));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    if (zs.total_out == out.size()) {
      if (out.size() >= max_bytes) break;
      out.resize(std::min(max_bytes, out.size() * 2));
    }
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + zs.total_out);
    zs.avail_out = static_cast<uInt>(out.size() - zs.total_out);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;
    if (rc == Z_BUF_ERROR) rc = Z_OK;
  }
  const size_t produced = zs.total_out;
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    if (produced >= max_bytes) return InvalidArgument("deflate block expands beyond the limit");
    return InvalidArgument(fmt::format("deflate data is corrupt (zlib code {})", rc));
  }
  out.resize(produced);
  return out;
}

}  // namespace

Result<Codec> ParseCodec(std::string_view name) {
  if (name.empty() || name == "null") return Codec::kNull;
  if (name == "deflate") return Codec::kDeflate;
  if (name == "snappy") return Codec::kSnappy;
  return InvalidArgument(fmt::format("unsupported codec \"{}\"", name));
}

std::string_view CodecName(Codec codec) {
  switch (codec) {
    case Codec::kNull: return "null";
    case Codec::kDeflate: return "deflate";
    case Codec::kSnappy: return "snappy";
  }
  return "null";
}

bool LooksLikeContainer(std::string_view bytes) {
  return bytes.size() >= 4 && bytes.substr(0, 4) == kContainerMagic;
}

Result<std::string> Decompress(Codec codec, std::string_view data, size_t max_bytes) {
  switch (codec) {
    case Codec::kNull: return std::string(data);
    case Codec::kDeflate: return Inflate(data, max_bytes);
    case Codec::kSnappy: {
      // Avro's snappy blocks: raw snappy data followed by a big-endian CRC32 of the output.
      if (data.size() < 4) return InvalidArgument("snappy block shorter than its checksum");
      const std::string_view body = data.substr(0, data.size() - 4);
      size_t length = 0;
      if (!snappy::GetUncompressedLength(body.data(), body.size(), &length))
        return InvalidArgument("snappy block header is corrupt");
      if (length > max_bytes) return InvalidArgument("snappy block expands beyond the limit");
      std::string out;
      if (!snappy::Uncompress(body.data(), body.size(), &out))
        return InvalidArgument("snappy data is corrupt");
      const auto* c = reinterpret_cast<const uint8_t*>(data.data() + body.size());
      const uint32_t expected = (uint32_t{c[0]} << 24) | (uint32_t{c[1]} << 16) |
                                (uint32_t{c[2]} << 8) | uint32_t{c[3]};
      if (Crc32(out) != expected) return InvalidArgument("snappy block checksum mismatch");
      return out;
    }
  }
  return Internal("unknown codec");
}

Result<std::string> Compress(Codec codec, std::string_view data) {
  switch (codec) {
    case Codec::kNull: return std::string(data);
    case Codec::kDeflate: {
      z_stream zs{};
      if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return Internal("deflateInit2 failed");
      std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
      zs.avail_in = static_cast<uInt>(data.size());
      zs.next_out = reinterpret_cast<Bytef*>(out.data());
      zs.avail_out = static_cast<uInt>(out.size());
      const int rc = deflate(&zs, Z_FINISH);
      out.resize(zs.total_out);
      deflateEnd(&zs);
      if (rc != Z_STREAM_END) return Internal("deflate failed");
      return out;
    }
    case Codec::kSnappy: {
      std::string out;
      snappy::Compress(data.data(), data.size(), &out);
      const uint32_t crc = Crc32(data);
      const char be[4] = {static_cast<char>(crc >> 24), static_cast<char>(crc >> 16),
                          static_cast<char>(crc >> 8), static_cast<char>(crc)};
      out.append(be, 4);
      return out;
    }
  }
  return Internal("unknown codec");
}

Result<ContainerReader> ContainerReader::Open(std::shared_ptr<const std::string> file) {
  const std::string_view buf = *file;
  if (!LooksLikeContainer(buf)) return InvalidArgument("byte 0: not an Avro container (no Obj\\x01 magic)");
  ContainerHeader header;
  size_t pos = 4;
  for (;;) {  // metadata map: blocks of (key, bytes value) pairs, ending with count 0
    int64_t count;
    if (!ReadLongAt(buf, &pos, &count))
      return OutOfRange(fmt::format("byte {}: file ends inside the header", pos));
    if (count == 0) break;
    if (count < 0) {
      int64_t ignored;
      if (count == INT64_MIN || !ReadLongAt(buf, &pos, &ignored))
        return InvalidArgument(fmt::format("byte {}: bad metadata block", pos));
      count = -count;
    }
    if (count > 1 << 16) return InvalidArgument(fmt::format("byte {}: metadata too large", pos));
    for (int64_t i = 0; i < count; ++i) {
      std::string_view key, value;
      RETURN_IF_ERROR(ReadBytesAt(buf, &pos, &key, "metadata key"));
      RETURN_IF_ERROR(ReadBytesAt(buf, &pos, &value, "metadata value"));
      header.metadata[key] = value;
    }
  }
  if (buf.size() - pos < 16)
    return OutOfRange(fmt::format("byte {}: file ends inside the sync marker", pos));
  std::memcpy(header.sync.data(), buf.data() + pos, 16);
  pos += 16;
  header.data_offset = pos;
  auto schema = header.metadata.find("avro.schema");
  if (schema == header.metadata.end()) return InvalidArgument("header has no avro.schema");
  header.schema_json = schema->second;
  auto codec_it = header.metadata.find("avro.codec");
  ASSIGN_OR_RETURN(header.codec,
                   ParseCodec(codec_it == header.metadata.end() ? "null" : codec_it->second));
  return ContainerReader(std::move(file), std::move(header));
}

Result<bool> ContainerReader::Next(ContainerBlock* block) {
  const std::string_view buf = *file_;
  if (pos_ >= buf.size()) return false;
  const size_t start = pos_;
  int64_t count, size;
  if (!ReadLongAt(buf, &pos_, &count) || !ReadLongAt(buf, &pos_, &size))
    return OutOfRange(fmt::format("byte {}: file ends inside a block header (truncated file)", start));
  if (count < 0 || size < 0 || static_cast<uint64_t>(size) > kMaxBlockBytes)
    return InvalidArgument(fmt::format("byte {}: corrupt block header (count {}, size {})", start,
                                       count, size));
  if (static_cast<uint64_t>(size) + 16 > buf.size() - pos_)
    return OutOfRange(fmt::format("byte {}: block of {} bytes runs past the end of the file "
                                  "(truncated file)", start, size));
  const std::string_view data = buf.substr(pos_, static_cast<size_t>(size));
  const size_t data_offset = pos_;
  pos_ += static_cast<size_t>(size);
  if (std::memcmp(buf.data() + pos_, header_.sync.data(), 16) != 0)
    return InvalidArgument(fmt::format("byte {}: sync marker mismatch after block", pos_));
  pos_ += 16;
  block->count = count;
  block->file_offset = start;
  block->data_file_offset = data_offset;
  if (header_.codec == Codec::kNull) {
    block->data = data;
    block->storage = file_;
  } else {
    auto plain = Decompress(header_.codec, data, kMaxBlockBytes);
    if (!plain.ok()) return plain.status().WithContext(fmt::format("byte {}", data_offset));
    auto owned = std::make_shared<const std::string>(std::move(plain).value());
    block->data = *owned;
    block->storage = std::move(owned);
  }
  return true;
}

ContainerWriter::ContainerWriter(std::string schema_json, Codec codec, size_t block_bytes)
    : codec_(codec), block_bytes_(block_bytes) {
  std::random_device rd;
  for (char& c : sync_) c = static_cast<char>(rd());
  out_.append(kContainerMagic);
  WriteVarLong(&out_, 2);
  const std::string_view codec_name = CodecName(codec);
  for (const auto& [key, value] : {std::pair<std::string_view, std::string_view>{"avro.codec", codec_name},
                                   {"avro.schema", schema_json}}) {
    WriteVarLong(&out_, static_cast<int64_t>(key.size()));
    out_.append(key);
    WriteVarLong(&out_, static_cast<int64_t>(value.size()));
    out_.append(value);
  }
  WriteVarLong(&out_, 0);
  out_.append(sync_.data(), 16);
}

void ContainerWriter::Append(std::string_view datum) {
  block_.append(datum);
  ++block_count_;
  if (block_.size() >= block_bytes_ && status_.ok()) status_ = FlushBlock();
}

Status ContainerWriter::FlushBlock() {
  if (block_count_ == 0) return Status::Ok();
  ASSIGN_OR_RETURN(std::string data, Compress(codec_, block_));
  WriteVarLong(&out_, block_count_);
  WriteVarLong(&out_, static_cast<int64_t>(data.size()));
  out_.append(data);
  out_.append(sync_.data(), 16);
  block_.clear();
  block_count_ = 0;
  return Status::Ok();
}

Result<std::string> ContainerWriter::Finish() {
  RETURN_IF_ERROR(status_);
  RETURN_IF_ERROR(FlushBlock());
  return out_;
}

}  // namespace lantern::codec
