#include "codec/container.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "codec/decoder.h"
#include "codec/json_encoder.h"
#include "codec/packet.h"
#include "codec/schema.h"
#include "codec/varint.h"

namespace lantern::codec {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;
using namespace std::string_literals;

const char kSchema[] = R"({"type": "record", "name": "rec", "namespace": "test", "fields": [
  {"name": "id", "type": "long"},
  {"name": "name", "type": "string"},
  {"name": "mag", "type": ["null", "float"]}]})";

std::shared_ptr<const Schema> TestSchema() {
  auto parsed = Schema::Parse(kSchema);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? *parsed : nullptr;
}

std::string EncodeRecord(const Schema& schema, int64_t id) {
  Json v = {{"id", id}, {"name", "object-" + std::to_string(id)}};
  if (id % 3) v["mag"] = 15.0 + static_cast<double>(id % 7);
  auto bytes = EncodeJsonDatum(schema, v);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : "";
}

// Writes `n` records with ids 0..n-1.
std::string WriteFile(Codec codec, int n, size_t block_bytes) {
  auto schema = TestSchema();
  ContainerWriter writer(kSchema, codec, block_bytes);
  for (int i = 0; i < n; ++i) writer.Append(EncodeRecord(*schema, i));
  auto file = writer.Finish();
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  return file.ok() ? *file : "";
}

struct ReadBack {
  std::vector<int64_t> ids;
  int blocks = 0;
  Status status;
};

// Reads every block and decodes every datum in it.
ReadBack ReadAll(const std::string& bytes) {
  ReadBack out;
  auto file = std::make_shared<const std::string>(bytes);
  auto reader = ContainerReader::Open(file);
  if (!reader.ok()) {
    out.status = reader.status();
    return out;
  }
  auto schema = Schema::Parse(reader->header().schema_json);
  if (!schema.ok()) {
    out.status = schema.status();
    return out;
  }
  Decoder decoder;
  ContainerBlock block;
  for (;;) {
    auto more = reader->Next(&block);
    if (!more.ok()) {
      out.status = more.status();
      return out;
    }
    if (!*more) return out;
    ++out.blocks;
    std::string_view rest = block.data;
    for (int64_t i = 0; i < block.count; ++i) {
      size_t used = 0;
      auto datum = decoder.Decode(*schema, block.storage, rest, &used);
      if (!datum.ok()) {
        out.status = datum.status();
        return out;
      }
      out.ids.push_back((*datum)->root().Field("id").AsLong());
      EXPECT_EQ((*datum)->root().Field("name").AsString(),
                "object-" + std::to_string(out.ids.back()));
      rest.remove_prefix(used);
    }
    EXPECT_TRUE(rest.empty());
  }
}

std::vector<int64_t> Iota(int n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = i;
  return v;
}

class ContainerCodecTest : public ::testing::TestWithParam<Codec> {};

TEST_P(ContainerCodecTest, WriteThenReadManyBlocks) {
  const std::string file = WriteFile(GetParam(), 500, /*block_bytes=*/1000);
  const ReadBack back = ReadAll(file);
  ASSERT_TRUE(back.status.ok()) << back.status.ToString();
  EXPECT_EQ(back.ids, Iota(500));
  EXPECT_GT(back.blocks, 5);
}

TEST_P(ContainerCodecTest, HeaderCarriesSchemaCodecAndMetadata) {
  auto file = std::make_shared<const std::string>(WriteFile(GetParam(), 3, 1 << 20));
  EXPECT_TRUE(LooksLikeContainer(*file));
  auto reader = ContainerReader::Open(file);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  const ContainerHeader& h = reader->header();
  EXPECT_EQ(h.schema_json, kSchema);
  EXPECT_EQ(h.codec, GetParam());
  ASSERT_EQ(h.metadata.count("avro.codec"), 1u);
  EXPECT_EQ(h.metadata.at("avro.codec"), CodecName(GetParam()));
  EXPECT_EQ(h.metadata.at("avro.schema"), kSchema);
  // The sync marker follows the header and ends every block.
  EXPECT_EQ(file->substr(h.data_offset - 16, 16), std::string(h.sync.data(), 16));
  EXPECT_EQ(file->substr(file->size() - 16), std::string(h.sync.data(), 16));
  ContainerBlock block;
  auto more = reader->Next(&block);
  ASSERT_TRUE(more.ok() && *more);
  EXPECT_EQ(block.count, 3);
  EXPECT_EQ(block.file_offset, h.data_offset);
  more = reader->Next(&block);
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);
}

TEST_P(ContainerCodecTest, FileWithoutRecordsHasNoBlocks) {
  const ReadBack back = ReadAll(WriteFile(GetParam(), 0, 1000));
  ASSERT_TRUE(back.status.ok()) << back.status.ToString();
  EXPECT_EQ(back.blocks, 0);
}

TEST_P(ContainerCodecTest, TruncatedFileNamesTheBlockOffset) {
  const std::string file = WriteFile(GetParam(), 200, 1000);
  auto reader = ContainerReader::Open(std::make_shared<const std::string>(file));
  ASSERT_TRUE(reader.ok());
  ContainerBlock first;
  ASSERT_TRUE(*reader->Next(&first));
  const size_t second_block = reader->position();
  // Cut in the middle of the second block's data, and inside its trailing sync marker.
  for (size_t cut : {second_block + 10, second_block + 500, file.size() - 8}) {
    SCOPED_TRACE(cut);
    ReadBack back = ReadAll(file.substr(0, cut));
    ASSERT_FALSE(back.status.ok());
    EXPECT_EQ(back.status.code(), StatusCode::kOutOfRange);
    EXPECT_THAT(back.status.message(), HasSubstr("truncated"));
    EXPECT_THAT(back.status.message(), HasSubstr("byte "));
  }
  const ReadBack cut = ReadAll(file.substr(0, second_block + 10));
  EXPECT_THAT(cut.status.message(), HasSubstr("byte " + std::to_string(second_block) + ":"));
  // The first block is still delivered.
  EXPECT_EQ(cut.ids.size(), static_cast<size_t>(first.count));
}

TEST_P(ContainerCodecTest, SyncMarkerMismatchIsAnError) {
  std::string file = WriteFile(GetParam(), 200, 1000);
  auto reader = ContainerReader::Open(std::make_shared<const std::string>(file));
  ASSERT_TRUE(reader.ok());
  ContainerBlock block;
  ASSERT_TRUE(*reader->Next(&block));
  const size_t marker = reader->position() - 16;
  file[marker + 5] = static_cast<char>(file[marker + 5] ^ 0x40);
  const ReadBack back = ReadAll(file);
  ASSERT_FALSE(back.status.ok());
  EXPECT_EQ(back.status.message(),
            "byte " + std::to_string(marker) + ": sync marker mismatch after block");
  EXPECT_TRUE(back.ids.empty());
}

INSTANTIATE_TEST_SUITE_P(Codecs, ContainerCodecTest,
                         ::testing::Values(Codec::kNull, Codec::kDeflate, Codec::kSnappy),
                         [](const auto& info) { return std::string(CodecName(info.param)); });

TEST(ContainerTest, CompressionShrinksRepetitiveData) {
  const size_t plain = WriteFile(Codec::kNull, 300, 1 << 20).size();
  EXPECT_LT(WriteFile(Codec::kDeflate, 300, 1 << 20).size(), plain / 2);
  EXPECT_LT(WriteFile(Codec::kSnappy, 300, 1 << 20).size(), plain / 2);
}

// A file built by hand: header from the writer, then one block whose data is given.
std::string HandBlock(Codec codec, std::string_view data, int64_t count = 1) {
  std::string file = WriteFile(codec, 0, 1000);  // header only
  auto reader = ContainerReader::Open(std::make_shared<const std::string>(file));
  EXPECT_TRUE(reader.ok());
  const std::array<char, 16> sync = reader->header().sync;
  WriteVarLong(&file, count);
  WriteVarLong(&file, static_cast<int64_t>(data.size()));
  file.append(data);
  file.append(sync.data(), 16);
  return file;
}

TEST(ContainerTest, HandBuiltBlockDecodes) {
  auto schema = TestSchema();
  const std::string datum = EncodeRecord(*schema, 42);
  auto packed = Compress(Codec::kDeflate, datum);
  ASSERT_TRUE(packed.ok());
  const ReadBack back = ReadAll(HandBlock(Codec::kDeflate, *packed));
  ASSERT_TRUE(back.status.ok()) << back.status.ToString();
  EXPECT_EQ(back.ids, std::vector<int64_t>{42});
}

TEST(ContainerTest, CorruptDeflateNamesTheBlockData) {
  auto schema = TestSchema();
  auto packed = Compress(Codec::kDeflate, EncodeRecord(*schema, 42));
  ASSERT_TRUE(packed.ok());
  std::string bad = *packed;
  bad[0] = '\x07';  // final block of the reserved type 3
  const std::string file = HandBlock(Codec::kDeflate, bad);
  const size_t data_offset = file.size() - 16 - bad.size();
  ReadBack back = ReadAll(file);
  ASSERT_FALSE(back.status.ok());
  EXPECT_THAT(back.status.message(), HasSubstr("byte " + std::to_string(data_offset) + ": "));
  EXPECT_THAT(back.status.message(), HasSubstr("deflate data is corrupt"));

  // A deflate stream cut short.
  back = ReadAll(HandBlock(Codec::kDeflate, packed->substr(0, packed->size() / 2)));
  ASSERT_FALSE(back.status.ok());
  EXPECT_THAT(back.status.message(), HasSubstr("deflate data is corrupt"));
}

TEST(ContainerTest, CorruptSnappyIsAnError) {
  auto schema = TestSchema();
  const std::string datum = EncodeRecord(*schema, 42) + EncodeRecord(*schema, 43);
  auto packed = Compress(Codec::kSnappy, datum);
  ASSERT_TRUE(packed.ok());
  const std::string body = packed->substr(0, packed->size() - 4);
  const std::string crc = packed->substr(packed->size() - 4);

  ReadBack back = ReadAll(HandBlock(Codec::kSnappy, "\xff\xff\xff\xff\xff\xff\xff" + crc));
  ASSERT_FALSE(back.status.ok());
  EXPECT_THAT(back.status.message(), HasSubstr("snappy"));
  EXPECT_THAT(back.status.message(), HasSubstr("corrupt"));

  // Valid length header, body cut short.
  back = ReadAll(HandBlock(Codec::kSnappy, body.substr(0, body.size() / 2) + crc));
  ASSERT_FALSE(back.status.ok());
  EXPECT_THAT(back.status.message(), HasSubstr("snappy data is corrupt"));

  back = ReadAll(HandBlock(Codec::kSnappy, "\x01\x02"s));
  ASSERT_FALSE(back.status.ok());
  EXPECT_THAT(back.status.message(), HasSubstr("shorter than its checksum"));
}

TEST(ContainerTest, SnappyChecksumMismatch) {
  auto schema = TestSchema();
  auto packed = Compress(Codec::kSnappy, EncodeRecord(*schema, 42));
  ASSERT_TRUE(packed.ok());
  std::string bad = *packed;
  bad.back() = static_cast<char>(bad.back() ^ 1);
  const std::string file = HandBlock(Codec::kSnappy, bad);
  const size_t data_offset = file.size() - 16 - bad.size();
  const ReadBack back = ReadAll(file);
  ASSERT_FALSE(back.status.ok());
  EXPECT_EQ(back.status.message(),
            "byte " + std::to_string(data_offset) + ": snappy block checksum mismatch");
}

TEST(ContainerTest, SnappyChecksumIsBigEndianCrc32OfTheOutput) {
  // The CRC of "123456789" is the standard check value 0xCBF43926.
  auto packed = Compress(Codec::kSnappy, "123456789");
  ASSERT_TRUE(packed.ok());
  EXPECT_EQ(packed->substr(packed->size() - 4), "\xcb\xf4\x39\x26"s);
}

TEST(ContainerTest, DecompressRoundTripsAndEnforcesTheLimit) {
  const std::string zeros(1 << 20, '\0');
  for (Codec codec : {Codec::kNull, Codec::kDeflate, Codec::kSnappy}) {
    SCOPED_TRACE(CodecName(codec));
    auto packed = Compress(codec, zeros);
    ASSERT_TRUE(packed.ok());
    auto plain = Decompress(codec, *packed, zeros.size());
    ASSERT_TRUE(plain.ok()) << plain.status().ToString();
    EXPECT_EQ(*plain, zeros);
  }
  for (Codec codec : {Codec::kDeflate, Codec::kSnappy}) {
    SCOPED_TRACE(CodecName(codec));
    auto packed = Compress(codec, zeros);
    ASSERT_TRUE(packed.ok());
    auto bomb = Decompress(codec, *packed, 4096);
    ASSERT_FALSE(bomb.ok());
    EXPECT_THAT(bomb.status().message(), HasSubstr("beyond the limit"));
  }
}

TEST(ContainerTest, CodecNames) {
  EXPECT_EQ(*ParseCodec("null"), Codec::kNull);
  EXPECT_EQ(*ParseCodec(""), Codec::kNull);  // absent avro.codec means null
  EXPECT_EQ(*ParseCodec("deflate"), Codec::kDeflate);
  EXPECT_EQ(*ParseCodec("snappy"), Codec::kSnappy);
  auto zstd = ParseCodec("zstandard");
  ASSERT_FALSE(zstd.ok());
  EXPECT_THAT(zstd.status().message(), HasSubstr("unsupported codec \"zstandard\""));
  EXPECT_EQ(CodecName(Codec::kDeflate), "deflate");
}

// A header written by hand with the given metadata entries.
std::string HandHeader(const std::vector<std::pair<std::string, std::string>>& metadata) {
  std::string out(kContainerMagic);
  WriteVarLong(&out, static_cast<int64_t>(metadata.size()));
  for (const auto& [key, value] : metadata) {
    WriteVarLong(&out, static_cast<int64_t>(key.size()));
    out += key;
    WriteVarLong(&out, static_cast<int64_t>(value.size()));
    out += value;
  }
  out += '\0';
  out += std::string(16, 'S');
  return out;
}

TEST(ContainerTest, HeaderErrors) {
  auto open = [](const std::string& bytes) {
    return ContainerReader::Open(std::make_shared<const std::string>(bytes)).status();
  };
  EXPECT_THAT(open("PAR1....").message(), HasSubstr("not an Avro container"));
  EXPECT_THAT(
      open(HandHeader({{"avro.schema", "\"long\""}, {"avro.codec", "zstandard"}})).message(),
      HasSubstr("unsupported codec"));
  EXPECT_THAT(open(HandHeader({{"avro.codec", "null"}})).message(), HasSubstr("no avro.schema"));
  // No avro.codec at all means null.
  EXPECT_TRUE(open(HandHeader({{"avro.schema", "\"long\""}})).ok());

  const std::string good = HandHeader({{"avro.schema", "\"long\""}, {"user.note", "hi"}});
  for (size_t cut = 4; cut < good.size(); ++cut) {
    const Status st = open(good.substr(0, cut));
    ASSERT_FALSE(st.ok()) << cut;
    EXPECT_EQ(st.code(), StatusCode::kOutOfRange) << cut << ": " << st.message();
  }
  auto file = std::make_shared<const std::string>(good);
  auto reader = ContainerReader::Open(file);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(reader->header().metadata.at("user.note"), "hi");
}

TEST(ContainerTest, CorruptBlockHeader) {
  std::string file = WriteFile(Codec::kNull, 0, 1000);
  WriteVarLong(&file, -1);  // negative record count
  WriteVarLong(&file, 4);
  file += "abcd" + std::string(16, 'S');
  const ReadBack back = ReadAll(file);
  ASSERT_FALSE(back.status.ok());
  EXPECT_THAT(back.status.message(), HasSubstr("corrupt block header"));
}

// PacketDecoder over container files: records in order, with their position.
TEST(PacketDecoderContainerTest, DeliversEveryRecordInOrder) {
  auto bytes = std::make_shared<const std::string>(WriteFile(Codec::kDeflate, 100, 500));
  SchemaCache cache;
  PacketDecoder decoder(&cache, nullptr);
  std::vector<int64_t> ids;
  std::vector<uint32_t> indexes;
  const Status st = decoder.DecodeAll(bytes, [&](DecodedRecord&& r) {
    EXPECT_EQ(r.framing, Framing::kContainer);
    EXPECT_EQ(r.schema_id, -1);
    ids.push_back(r.datum->root().Field("id").AsLong());
    indexes.push_back(r.index);
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(ids, Iota(100));
  EXPECT_EQ(indexes.back(), 99u);
}

TEST(PacketDecoderContainerTest, CorruptRecordNamesRecordAndByte) {
  auto schema = TestSchema();
  // Two records, the second cut short inside its name; the block still claims two.
  const std::string first = EncodeRecord(*schema, 1);
  const std::string second = EncodeRecord(*schema, 2).substr(0, 3);
  const std::string file = HandBlock(Codec::kNull, first + second, 2);
  const size_t data_offset = file.size() - 16 - first.size() - second.size();
  SchemaCache cache;
  PacketDecoder decoder(&cache, nullptr);
  int delivered = 0;
  const Status st = decoder.DecodeAll(std::make_shared<const std::string>(file),
                                      [&](DecodedRecord&&) { ++delivered; });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(delivered, 1);
  EXPECT_THAT(st.message(), HasSubstr("record 1: byte "));
  EXPECT_THAT(st.message(), HasSubstr("in field name"));
  // The byte offset is a file offset (null codec): past the first record.
  const size_t at = std::stoul(st.message().substr(st.message().find("byte ") + 5));
  EXPECT_GT(at, data_offset + first.size());
  EXPECT_LE(at, data_offset + first.size() + second.size());
}

TEST(PacketDecoderContainerTest, LeftoverBytesInABlockAreAnError) {
  auto schema = TestSchema();
  const std::string file = HandBlock(Codec::kNull, EncodeRecord(*schema, 1) + "junk", 1);
  SchemaCache cache;
  PacketDecoder decoder(&cache, nullptr);
  const Status st =
      decoder.DecodeAll(std::make_shared<const std::string>(file), [](DecodedRecord&&) {});
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("4 bytes left over"));
}

TEST(PacketDecoderContainerTest, UnknownFraming) {
  SchemaCache cache;
  PacketDecoder decoder(&cache, nullptr);
  auto noop = [](DecodedRecord&&) {};
  const Status json = decoder.DecodeAll(std::make_shared<const std::string>("{\"json\": 1}"), noop);
  EXPECT_THAT(json.message(), HasSubstr("unknown framing (first byte 0x7b"));
  EXPECT_THAT(decoder.DecodeAll(std::make_shared<const std::string>(""), noop).message(),
              HasSubstr("empty packet"));
}

}  // namespace
}  // namespace lantern::codec
