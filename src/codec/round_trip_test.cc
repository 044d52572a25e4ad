// Byte-exact round trips over every real alert file in ../shared/data: each decoded record
// re-encodes to exactly the bytes it was decoded from, the records of a container block (or a
// Confluent message) cover its bytes with nothing skipped, and ContainerWriter output decodes
// back to the same records for every codec.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "codec/container.h"
#include "codec/decoder.h"
#include "codec/encoder.h"
#include "codec/packet.h"
#include "codec/schema_source.h"
#include "codec/test_data.h"
#include "core/file.h"

namespace lantern::codec {
namespace {

using test_data::CsvRow;

std::string DataDir() {
  const std::string dir = test_data::SharedDataDir();
  EXPECT_FALSE(dir.empty()) << "LANTERN_SHARED_DATA is not set (ctest sets it)";
  return dir;
}

// "at byte N: a=0x.. b=0x.." for the first difference, or "" when equal.
std::string FirstDifference(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  const auto mismatch = std::mismatch(a.begin(), a.begin() + n, b.begin());
  const size_t at = static_cast<size_t>(mismatch.first - a.begin());
  if (at == n && a.size() == b.size()) return "";
  std::string out = "sizes " + std::to_string(a.size()) + " vs " + std::to_string(b.size()) +
                    ", first difference at byte " + std::to_string(at);
  return out;
}

struct Counts {
  size_t files = 0;
  size_t records = 0;
  size_t nested_records = 0;  // every record value in the trees, root included
};

// Checks that every record value under `v` has RecordBytes() equal to its fields re-encoded
// (what the store keeps as a row) and counts them.
void CheckRecordBytes(const Value& v, size_t* checked) {
  switch (v.type()) {
    case Type::kRecord: {
      std::string fields;
      for (uint32_t i = 0; i < v.FieldCount(); ++i) EncodeValue(v.FieldAt(i), &fields);
      EXPECT_TRUE(v.RecordBytes() == fields)
          << v.node().full_name << ": " << FirstDifference(v.RecordBytes(), fields);
      ++*checked;
      for (uint32_t i = 0; i < v.FieldCount(); ++i) CheckRecordBytes(v.FieldAt(i), checked);
      return;
    }
    case Type::kArray:
      for (uint32_t i = 0; i < v.Size(); ++i) CheckRecordBytes(v.At(i), checked);
      return;
    case Type::kMap:
      for (uint32_t i = 0; i < v.Size(); ++i) CheckRecordBytes(v.ValueAt(i), checked);
      return;
    default:
      return;
  }
}

// Decodes every record of the file at `path` and checks (with EXPECTs naming the file) that
// each re-encodes byte for byte and that the records tile their block / Confluent payload.
void RoundTripFile(const std::string& path, PacketDecoder* decoder, Counts* counts) {
  SCOPED_TRACE(path);
  auto bytes = test_data::ReadShared(path);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  std::vector<DecodedRecord> records;
  const Status st =
      decoder->DecodeAll(*bytes, [&](DecodedRecord&& r) { records.push_back(std::move(r)); });
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_FALSE(records.empty());
  ++counts->files;
  counts->records += records.size();

  for (const DecodedRecord& r : records) {
    std::string out;
    EncodeValue(r.datum->root(), &out);
    EXPECT_TRUE(out == r.datum->bytes())
        << "record " << r.index
        << " does not re-encode: " << FirstDifference(out, r.datum->bytes());
    EXPECT_TRUE(r.datum->root().RecordBytes() == r.datum->bytes()) << "record " << r.index;
    CheckRecordBytes(r.datum->root(), &counts->nested_records);
  }

  // The standalone schema NodeToJson writes (what the store keeps with each stored packet)
  // decodes the same bytes to the same values.
  auto standalone = Schema::Parse(NodeToJson(records[0].datum->schema().root()));
  ASSERT_TRUE(standalone.ok()) << standalone.status().ToString();
  EXPECT_EQ(NodeToJson((*standalone)->root()), NodeToJson(records[0].datum->schema().root()));
  Decoder again;
  for (const DecodedRecord& r : records) {
    auto copy = std::make_shared<const std::string>(r.datum->bytes());
    auto datum = again.Decode(*standalone, copy, *copy);
    ASSERT_TRUE(datum.ok()) << "record " << r.index << ": " << datum.status().ToString();
    std::string out;
    EncodeValue((*datum)->root(), &out);
    EXPECT_TRUE(out == r.datum->bytes()) << "record " << r.index << " via NodeToJson";
  }

  const std::string& file = **bytes;
  if (records[0].framing == Framing::kConfluent) {
    ASSERT_EQ(records.size(), 1u);
    EXPECT_TRUE(records[0].datum->bytes() == std::string_view(file).substr(5))
        << "the datum does not cover the Confluent payload";
    return;
  }
  ASSERT_EQ(records[0].framing, Framing::kContainer);
  // Concatenate the records of each block (records carry their block's file offset).
  std::map<size_t, std::pair<std::string, int64_t>> by_block;
  for (const DecodedRecord& r : records) {
    auto& [concat, n] = by_block[r.offset];
    concat.append(r.datum->bytes());
    ++n;
  }
  auto reader = ContainerReader::Open(*bytes);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  ContainerBlock block;
  size_t blocks = 0;
  for (;;) {
    auto more = reader->Next(&block);
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    if (!*more) break;
    ++blocks;
    auto it = by_block.find(block.file_offset);
    ASSERT_NE(it, by_block.end()) << "no record from the block at byte " << block.file_offset;
    EXPECT_EQ(it->second.second, block.count) << "block at byte " << block.file_offset;
    EXPECT_TRUE(it->second.first == block.data)
        << "records do not tile the block at byte " << block.file_offset << ": "
        << FirstDifference(it->second.first, block.data);
  }
  EXPECT_EQ(blocks, by_block.size());
  EXPECT_EQ(reader->position(), file.size()) << "bytes after the last block";
}

// Rows of `manifest` (relative to the data dir) whose file starts with one of `prefixes`
// (all rows when empty), and the sum of their nrec.
Counts ManifestCounts(const std::string& manifest, const std::vector<std::string>& prefixes) {
  auto rows = test_data::ReadCsv(DataDir() + "/" + manifest);
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  Counts c;
  if (!rows.ok()) return c;
  for (const CsvRow& row : *rows) {
    const std::string& file = row.at("file");
    if (!prefixes.empty() && std::none_of(prefixes.begin(), prefixes.end(),
                                          [&](const auto& p) { return file.starts_with(p); }))
      continue;
    ++c.files;
    c.records += std::stoul(row.at("nrec"));
  }
  return c;
}

// Round-trips every .avro file under the given folders (relative to the data dir).
Counts RoundTripFolders(const std::vector<std::string>& folders) {
  const std::string dir = DataDir();
  std::vector<std::string> paths;
  for (const std::string& f : folders) paths.push_back(dir + "/" + f);
  auto files = ExpandPaths(paths, {".avro"});
  EXPECT_TRUE(files.ok()) << files.status().ToString();
  SchemaCache cache;
  SchemaDirectory schemas(dir + "/lsst/schema");
  PacketDecoder decoder(&cache, &schemas);
  Counts counts;
  if (!files.ok()) return counts;
  for (const std::string& path : *files) RoundTripFile(path, &decoder, &counts);
  return counts;
}

void ExpectCounts(const Counts& got, const Counts& manifest) {
  EXPECT_GT(manifest.files, 0u);
  EXPECT_EQ(got.files, manifest.files) << "files round-tripped vs MANIFEST rows";
  EXPECT_EQ(got.records, manifest.records) << "records round-tripped vs MANIFEST nrec";
  // Every packet has nested records (candidate, history rows) besides its root.
  EXPECT_GT(got.nested_records, got.records);
}

TEST(RoundTripTest, ZtfNativeFilesReencodeByteForByte) {
  const Counts got = RoundTripFolders({"ztf/alerts/native"});
  const Counts manifest = ManifestCounts("ztf/alerts/native/MANIFEST.csv", {});
  ExpectCounts(got, manifest);
  EXPECT_EQ(manifest.files, 318u);
  EXPECT_EQ(manifest.records, 320u);
}

TEST(RoundTripTest, RubinOwnFramingReencodesByteForByte) {
  const std::vector<std::string> folders = {"alert_packet_sample_data/",
                                            "pittgoogle_confluent_wire/", "ampel_lsst/"};
  std::vector<std::string> paths;
  for (const std::string& f : folders) paths.push_back("lsst/alerts/" + f);
  ExpectCounts(RoundTripFolders(paths), ManifestCounts("lsst/alerts/MANIFEST.csv", folders));
}

TEST(RoundTripTest, RubinFinkFilesReencodeByteForByte) {
  const std::vector<std::string> folders = {"fink_client/", "fink_broker_rubin_test_data_9_0_avro/",
                                            "fink_broker_rubin_test_data_7_4_avro/"};
  std::vector<std::string> paths;
  for (const std::string& f : folders) paths.push_back("lsst/alerts/" + f);
  ExpectCounts(RoundTripFolders(paths), ManifestCounts("lsst/alerts/MANIFEST.csv", folders));
}

TEST(RoundTripTest, ZtfFinkFilesReencodeByteForByte) {
  ExpectCounts(RoundTripFolders({"ztf/alerts/fink_spark"}),
               ManifestCounts("ztf/alerts/fink_spark/MANIFEST.csv", {}));
  ExpectCounts(RoundTripFolders({"ztf/alerts/fink_multi"}),
               ManifestCounts("ztf/alerts/fink_multi/MANIFEST.csv", {}));
}

// Rewrites the records of a real file with ContainerWriter and decodes the result.
class ContainerWriterRoundTripTest : public ::testing::TestWithParam<Codec> {};

TEST_P(ContainerWriterRoundTripTest, RewrittenRecordsDecodeToTheSameBytes) {
  const Codec codec = GetParam();
  // Ten Rubin records and three ZTF records with cutouts.
  for (const char* name : {"lsst/alerts/ampel_lsst/schema_701.avro",
                           "ztf/alerts/native/fink-client/datatest/avro_multi_alerts_other.avro"}) {
    const std::string path = DataDir() + "/" + name;
    SCOPED_TRACE(path);
    auto original = test_data::ReadShared(path);
    ASSERT_TRUE(original.ok()) << original.status().ToString();
    SchemaCache cache;
    PacketDecoder decoder(&cache, nullptr);
    std::vector<DecodedRecord> records;
    ASSERT_TRUE(
        decoder.DecodeAll(*original, [&](DecodedRecord&& r) { records.push_back(std::move(r)); })
            .ok());
    ASSERT_GE(records.size(), 3u);
    auto header = ContainerReader::Open(*original);
    ASSERT_TRUE(header.ok());
    const std::string schema_json(header->header().schema_json);

    // One block for everything, and one block per record.
    for (const size_t block_bytes : {size_t{1} << 20, size_t{1}}) {
      SCOPED_TRACE("block_bytes " + std::to_string(block_bytes));
      ContainerWriter writer(schema_json, codec, block_bytes);
      for (const DecodedRecord& r : records) writer.Append(r.datum->bytes());
      auto written = writer.Finish();
      ASSERT_TRUE(written.ok()) << written.status().ToString();
      auto file = std::make_shared<const std::string>(std::move(written).value());

      auto reader = ContainerReader::Open(file);
      ASSERT_TRUE(reader.ok()) << reader.status().ToString();
      EXPECT_EQ(reader->header().codec, codec);
      EXPECT_EQ(reader->header().schema_json, schema_json);
      size_t blocks = 0;
      ContainerBlock block;
      for (auto more = reader->Next(&block); more.ok() && *more; more = reader->Next(&block))
        ++blocks;
      EXPECT_EQ(blocks, block_bytes == 1 ? records.size() : 1u);

      std::vector<DecodedRecord> again;
      const Status st =
          decoder.DecodeAll(file, [&](DecodedRecord&& r) { again.push_back(std::move(r)); });
      ASSERT_TRUE(st.ok()) << st.ToString();
      ASSERT_EQ(again.size(), records.size());
      for (size_t i = 0; i < records.size(); ++i) {
        EXPECT_TRUE(again[i].datum->bytes() == records[i].datum->bytes())
            << "record " << i << ": "
            << FirstDifference(again[i].datum->bytes(), records[i].datum->bytes());
        EXPECT_EQ(&again[i].datum->schema(), &records[i].datum->schema()) << "schema cache miss";
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, ContainerWriterRoundTripTest,
                         ::testing::Values(Codec::kNull, Codec::kDeflate, Codec::kSnappy),
                         [](const auto& info) { return std::string(CodecName(info.param)); });

}  // namespace
}  // namespace lantern::codec
