// Hostile input: truncated and mutated real packets, and handcrafted datums that claim huge
// counts, negative lengths, bad union branches or unbounded nesting. Every one must come back
// as a Status (an error naming the byte offset, or a clean success) within DecodeLimits, never
// as a crash, a hang or an unbounded allocation. Run under the sanitizer build as well.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "codec/container.h"
#include "codec/decoder.h"
#include "codec/encoder.h"
#include "codec/packet.h"
#include "codec/schema.h"
#include "codec/schema_source.h"
#include "codec/test_data.h"
#include "codec/varint.h"

namespace lantern::codec {
namespace {

// Real packets covering each framing and codec: (path under the data dir, what it is).
struct Sample {
  const char* path;
  const char* what;
};
constexpr Sample kSamples[] = {
    {"ztf/alerts/native/ampel-ztf-archive/tests_test-data/schema_4.02.avro",
     "ZTF 4.02, cutouts and fp_hists"},
    {"ztf/alerts/native/ampel-ztf/tar.tst/404105691415015000.avro", "ZTF 1.5, JPEG cutouts"},
    {"lsst/alerts/pittgoogle_confluent_wire/lsst.v11_1.avro", "Rubin 11.1, Confluent wire"},
    {"ztf/alerts/fink_spark/3213262934615015018_snappy.avro", "Fink ZTF, snappy container"},
    {"lsst/alerts/ampel_lsst/schema_701.avro", "Rubin 7.1, 10 records"},
    {"ztf/alerts/native/fink-client/datatest/avro_multi_alerts_other.avro", "ZTF 3.3, 3 records"},
};

// Prefix lengths are all tried below this size; above it a stride keeps the test fast.
constexpr size_t kEveryPrefixBelow = 100 * 1024;
constexpr size_t kMaxPrefixesPerFile = 20000;

std::string DataDir() {
  const std::string dir = test_data::SharedDataDir();
  EXPECT_FALSE(dir.empty()) << "LANTERN_SHARED_DATA is not set (ctest sets it)";
  return dir;
}

// The first "byte N" offset named by an error message, or -1 when it names none.
int64_t NamedOffset(std::string_view message) {
  for (size_t at = message.find("byte "); at != std::string_view::npos;
       at = message.find("byte ", at + 1)) {
    size_t end = at + 5;
    int64_t offset = 0;
    while (end < message.size() && message[end] >= '0' && message[end] <= '9')
      offset = offset * 10 + (message[end++] - '0');
    if (end > at + 5) return offset;
  }
  return -1;
}

// Re-encodes a datum and checks the canonical form: never longer than the input (the encoder
// only drops redundancy: extra blocks, overlong varints) and a fixed point of decode+encode.
void ExpectCanonicalFormStable(const Datum& datum, PacketDecoder* decoder) {
  std::string canonical;
  EncodeValue(datum.root(), &canonical);
  EXPECT_LE(canonical.size(), datum.bytes().size());
  auto again =
      decoder->DecodeBare(datum.schema_ptr(), std::make_shared<const std::string>(canonical));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  std::string twice;
  EncodeValue(again->datum->root(), &twice);
  EXPECT_TRUE(twice == canonical);
}

class RealPacketTest : public ::testing::TestWithParam<Sample> {
 protected:
  void SetUp() override {
    path_ = DataDir() + "/" + GetParam().path;
    auto bytes = test_data::ReadShared(path_);
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    file_ = *bytes;
    // The full file must decode; remember its records.
    PacketDecoder decoder(&cache_, &schemas_);
    const Status st =
        decoder.DecodeAll(file_, [&](DecodedRecord&& r) { records_.push_back(std::move(r)); });
    ASSERT_TRUE(st.ok()) << st.ToString();
    ASSERT_FALSE(records_.empty());
    // Records completed by each prefix length that ends on a block boundary (containers):
    // the end of the header (none yet) and the end of every block's sync marker.
    if (LooksLikeContainer(*file_)) {
      auto reader = ContainerReader::Open(file_);
      ASSERT_TRUE(reader.ok());
      data_offset_ = reader->header().data_offset;
      codec_ = reader->header().codec;
      schema_json_ = reader->header().schema_json;
      size_t done = 0;
      boundaries_[reader->position()] = 0;
      ContainerBlock block;
      for (auto more = reader->Next(&block); more.ok() && *more; more = reader->Next(&block)) {
        done += static_cast<size_t>(block.count);
        boundaries_[reader->position()] = done;
      }
      ASSERT_EQ(done, records_.size());
    }
  }

  // Records in the complete blocks of a prefix of `length` bytes.
  size_t RecordsBefore(size_t length) const {
    auto it = boundaries_.upper_bound(length);
    return it == boundaries_.begin() ? 0 : std::prev(it)->second;
  }

  std::string path_;
  std::shared_ptr<const std::string> file_;
  std::vector<DecodedRecord> records_;
  std::map<size_t, size_t> boundaries_;  // prefix length → records complete
  size_t data_offset_ = 0;               // containers: where the first block starts
  Codec codec_ = Codec::kNull;
  std::string schema_json_;
  SchemaCache cache_;
  SchemaDirectory schemas_{DataDir() + "/lsst/schema"};
};

// Every truncation of the packet is an error naming a byte offset inside the prefix, or, at a
// block boundary, a success with exactly the records of the complete blocks.
TEST_P(RealPacketTest, EveryTruncationFailsCleanlyOrEndsOnABlockBoundary) {
  SCOPED_TRACE(path_);
  const size_t size = file_->size();
  const size_t stride = size < kEveryPrefixBelow ? 1 : size / kMaxPrefixesPerFile + 1;
  std::vector<size_t> lengths;
  for (size_t n = 0; n < size; n += stride) lengths.push_back(n);
  for (const auto& [boundary, records] : boundaries_) {  // always probe around the boundaries
    for (size_t n : {boundary - 1, boundary, boundary + 1})
      if (n < size) lengths.push_back(n);
  }
  std::sort(lengths.begin(), lengths.end());
  lengths.erase(std::unique(lengths.begin(), lengths.end()), lengths.end());
  PacketDecoder decoder(&cache_, &schemas_);
  size_t failures = 0, successes = 0;
  for (const size_t n : lengths) {
    auto prefix = std::make_shared<const std::string>(*file_, 0, n);
    size_t delivered = 0;
    const Status st = decoder.DecodeAll(prefix, [&](DecodedRecord&&) { ++delivered; });
    ASSERT_EQ(delivered, RecordsBefore(n)) << "prefix of " << n << " bytes: " << st.ToString();
    if (st.ok()) {
      ++successes;
      EXPECT_TRUE(boundaries_.contains(n)) << "prefix of " << n << " bytes decoded without error";
      continue;
    }
    ++failures;
    const int64_t at = NamedOffset(st.message());
    ASSERT_GE(at, 0) << "prefix of " << n
                     << " bytes: error names no byte offset: " << st.ToString();
    // The first offset named is a file offset (for a compressed block, the block's), so it
    // lies inside the prefix.
    EXPECT_LE(static_cast<size_t>(at), n) << st.ToString();
  }
  EXPECT_GT(failures, 0u);
  EXPECT_EQ(successes, boundaries_.size() - (boundaries_.contains(size) ? 1 : 0));
}

// Every truncation of a datum (no framing) is an error inside the prefix: the decoder never
// reads past the bytes it is given and never accepts a shortened datum.
TEST_P(RealPacketTest, EveryTruncatedDatumIsAnError) {
  SCOPED_TRACE(path_);
  Decoder decoder;
  for (const DecodedRecord& record : records_) {
    const std::string_view datum = record.datum->bytes();
    const size_t stride =
        datum.size() < kEveryPrefixBelow ? 1 : datum.size() / kMaxPrefixesPerFile + 1;
    for (size_t n = 0; n < datum.size(); n += stride) {
      // An exact-size copy, so that ASan reports any read past the prefix. It outlives the
      // result, so the storage handed to the decoder (what keeps views alive) can be any.
      std::unique_ptr<char[]> prefix(new char[n]);
      std::memcpy(prefix.get(), datum.data(), n);
      auto result =
          decoder.Decode(record.datum->schema_ptr(), file_, std::string_view(prefix.get(), n));
      ASSERT_FALSE(result.ok()) << "datum " << record.index << " cut to " << n << " bytes decoded";
      const int64_t at = NamedOffset(result.status().message());
      ASSERT_GE(at, 0) << result.status().ToString();
      EXPECT_LE(static_cast<size_t>(at), n) << result.status().ToString();
    }
    if (records_.size() > 3 && record.index >= 2) break;  // three records are plenty
  }
}

// Applies mutation `kind` (0: flip, 1: insert, 2: delete 1-8 bytes) to `bytes` and returns the
// first position changed. Three in four edits land in [lo, hot_end), the rest anywhere.
size_t Mutate(int kind, size_t lo, size_t hot_end, std::mt19937* rng, std::string* bytes) {
  const size_t edits = 1 + (*rng)() % 8;
  auto position = [&](size_t end) -> size_t {
    const size_t hot = std::min(hot_end, end);
    if ((*rng)() % 4 == 0 || hot <= lo) return (*rng)() % end;
    return lo + (*rng)() % (hot - lo);
  };
  if (kind == 2 && bytes->size() > edits) {
    const size_t at = position(bytes->size() - edits);
    bytes->erase(at, edits);
    return at;
  }
  if (kind == 1 || bytes->empty()) {
    const size_t at = bytes->empty() ? 0 : position(bytes->size());
    std::string junk(edits, '\0');
    for (char& c : junk) c = static_cast<char>((*rng)());
    bytes->insert(at, junk);
    return at;
  }
  size_t first = bytes->size();
  for (size_t e = 0; e < edits; ++e) {
    const size_t at = position(bytes->size());
    (*bytes)[at] = static_cast<char>((*bytes)[at] ^ (1 + (*rng)() % 255));
    first = std::min(first, at);
  }
  return first;
}

// Random damage: flipped, inserted and deleted bytes. Each mutant must decode or fail cleanly;
// what decodes must re-encode to a stable canonical form. Compressed containers are also
// damaged before compression (otherwise nearly every mutant dies on the block checksum).
TEST_P(RealPacketTest, MutantsDecodeOrFailCleanly) {
  SCOPED_TRACE(path_);
  constexpr int kMutants = 2000;
  std::mt19937 rng(20240607u);
  const bool compressed = LooksLikeContainer(*file_) && codec_ != Codec::kNull;
  PacketDecoder decoder(&cache_, &schemas_);
  int ok = 0, failed = 0;
  for (int m = 0; m < kMutants; ++m) {
    std::string mutant;
    size_t first_edit = 0;
    if (compressed && m % 2 == 1) {
      ContainerWriter writer(schema_json_, codec_);
      const size_t victim = rng() % records_.size();
      for (size_t i = 0; i < records_.size(); ++i) {
        std::string datum(records_[i].datum->bytes());
        if (i == victim) Mutate(m / 2 % 3, 0, 16 * 1024, &rng, &datum);
        writer.Append(datum);
      }
      auto written = writer.Finish();
      ASSERT_TRUE(written.ok());
      mutant = std::move(written).value();
      first_edit = data_offset_;  // the header is the writer's, with the same schema text
    } else {
      // Most damage goes to the first 16 KB of records (block headers and measurements);
      // cutouts, which are opaque bytes to the codec, dominate the files otherwise.
      mutant = *file_;
      first_edit = Mutate(m % 3, data_offset_, data_offset_ + 16 * 1024, &rng, &mutant);
    }
    // A damaged header gives a new schema text: parse it in a throwaway cache so thousands of
    // distinct schemas do not pile up in the shared one.
    SchemaCache scratch;
    PacketDecoder scratch_decoder(&scratch, &schemas_);
    PacketDecoder& d = first_edit < data_offset_ ? scratch_decoder : decoder;
    auto bytes = std::make_shared<const std::string>(std::move(mutant));
    std::vector<std::shared_ptr<const Datum>> datums;
    const Status st = d.DecodeAll(bytes, [&](DecodedRecord&& r) { datums.push_back(r.datum); });
    if (st.ok()) {
      ++ok;
    } else {
      ++failed;
      EXPECT_FALSE(st.message().empty());
    }
    for (const auto& datum : datums) ExpectCanonicalFormStable(*datum, &d);
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "mutant " << m << " (" << GetParam().what << ")";
      return;
    }
  }
  // Both outcomes occur: the mutations reach the parts of the packet that matter.
  EXPECT_GT(failed, kMutants / 20);
  EXPECT_GT(ok, 0);
}

INSTANTIATE_TEST_SUITE_P(Samples, RealPacketTest, ::testing::ValuesIn(kSamples),
                         [](const auto& info) { return "Sample" + std::to_string(info.index); });

// --- Handcrafted hostile datums ----------------------------------------------------------

std::shared_ptr<const Schema> MustParse(std::string_view json) {
  auto schema = Schema::Parse(json);
  EXPECT_TRUE(schema.ok()) << schema.status().ToString();
  return schema.ok() ? *schema : nullptr;
}

std::string Varint(int64_t v) {
  std::string out;
  WriteVarLong(&out, v);
  return out;
}

// Decodes `bytes` as one datum of `schema` and returns the error (or OK).
Status DecodeDatum(std::string_view schema_json, std::string bytes, DecodeLimits limits = {}) {
  auto schema = MustParse(schema_json);
  if (!schema) return Internal("schema did not parse");
  auto storage = std::make_shared<const std::string>(std::move(bytes));
  Decoder decoder(limits);
  auto result = decoder.Decode(schema, storage, *storage);
  return result.ok() ? Status::Ok() : result.status();
}

// Expects an error whose message names a byte offset and contains `what`.
void ExpectError(const Status& st, std::string_view what) {
  ASSERT_FALSE(st.ok()) << "decoded, expected: " << what;
  EXPECT_GE(NamedOffset(st.message()), 0) << st.ToString();
  EXPECT_NE(st.message().find(what), std::string::npos) << st.ToString();
}

TEST(HostileDatumTest, ArrayCountOfTwoToThe62IsRejectedBeforeAllocating) {
  const std::string count = Varint(int64_t{1} << 62);
  ExpectError(DecodeDatum(R"({"type":"array","items":"long"})", count),
              "count larger than the remaining input");
  // Items that take no bytes cannot be bounded by the input; the slot limit stops them.
  ExpectError(DecodeDatum(R"({"type":"array","items":"null"})", count), "count too large");
  // As a negative block count with a byte size (the other block form).
  ExpectError(
      DecodeDatum(R"({"type":"array","items":"long"})", Varint(-(int64_t{1} << 62)) + Varint(8)),
      "count larger than the remaining input");
}

TEST(HostileDatumTest, NegativeLengthsAreRejected) {
  ExpectError(DecodeDatum(R"("string")", Varint(-5) + "abc"), "negative length");
  ExpectError(DecodeDatum(R"("bytes")", Varint(-1)), "negative length");
  ExpectError(DecodeDatum(R"({"type":"map","values":"int"})", Varint(1) + Varint(-3) + "k"),
              "negative length");
  ExpectError(DecodeDatum(R"({"type":"array","items":"int"})", Varint(-1) + Varint(-1) + Varint(7)),
              "negative block size");
  ExpectError(DecodeDatum(R"({"type":"array","items":"int"})", Varint(INT64_MIN)),
              "bad block count");
  // The same inside a record, where the decoder's fast path reads the field.
  ExpectError(DecodeDatum(R"({"type":"record","name":"r","fields":[{"name":"a","type":"long"},
                                {"name":"s","type":["null","string"]}]})",
                          Varint(7) + Varint(1) + Varint(-2)),
              "in field s: negative length");
}

TEST(HostileDatumTest, StringLengthPastTheEndIsRejected) {
  ExpectError(DecodeDatum(R"("string")", Varint(1000) + "abc"), "run past the end");
  ExpectError(DecodeDatum(R"("bytes")", Varint(int64_t{1} << 40)), "run past the end");
  const Status st =
      DecodeDatum(R"({"type":"record","name":"r","fields":[{"name":"id","type":"long"},
                                    {"name":"stamp","type":"bytes"}]})",
                  Varint(42) + Varint(100) + "short");
  ExpectError(st, "in field stamp");
  // The offset points into the field (bytes 1-2 hold the length), not past the input.
  EXPECT_GE(NamedOffset(st.message()), 1) << st.ToString();
  EXPECT_LE(NamedOffset(st.message()), 3) << st.ToString();
}

TEST(HostileDatumTest, UnionBranchOutOfRangeIsRejected) {
  ExpectError(DecodeDatum(R"(["null","string"])", Varint(2)), "union branch index out of range");
  ExpectError(DecodeDatum(R"(["null","string"])", Varint(-1)), "union branch index out of range");
  ExpectError(DecodeDatum(R"(["null","string","long"])", Varint(int64_t{1} << 40)),
              "union branch index out of range");
  // Two-branch unions inside records take the decoder's opcode fast path.
  for (const char* type : {"double", "float", "long", "int", "boolean", "bytes"}) {
    SCOPED_TRACE(type);
    const std::string schema =
        std::string(R"({"type":"record","name":"r","fields":[{"name":"x","type":["null",")") +
        type + R"("]}]})";
    ExpectError(DecodeDatum(schema, Varint(2) + std::string(8, '\0')),
                "in field x: union branch index out of range");
  }
  ExpectError(DecodeDatum(R"({"type":"enum","name":"e","symbols":["a","b"]})", Varint(2)),
              "enum index out of range");
}

// A linked list: a recursive record type, as a hostile writer schema can declare.
constexpr std::string_view kLinkedList = R"({"type":"record","name":"Cell","fields":[
    {"name":"value","type":"long"},{"name":"next","type":["null","Cell"]}]})";

std::string LinkedList(int length) {
  std::string bytes;
  for (int i = 0; i < length; ++i) bytes += Varint(i) + Varint(i + 1 < length ? 1 : 0);
  return bytes;
}

TEST(HostileDatumTest, DeepRecursionStopsAtTheDepthLimit) {
  const Status st = DecodeDatum(kLinkedList, LinkedList(10000));
  ExpectError(st, "nesting too deep");
  EXPECT_LT(st.message().size(), 4096u) << "the field path should not grow with the input";
  // A list within the limit decodes and re-encodes exactly.
  auto schema = MustParse(kLinkedList);
  ASSERT_NE(schema, nullptr);
  auto bytes = std::make_shared<const std::string>(LinkedList(20));
  Decoder decoder;
  auto datum = decoder.Decode(schema, bytes, *bytes);
  ASSERT_TRUE(datum.ok()) << datum.status().ToString();
  std::string out;
  EncodeValue((*datum)->root(), &out);
  EXPECT_EQ(out, *bytes);
  // A smaller limit is honoured.
  ExpectError(DecodeDatum(kLinkedList, LinkedList(20), DecodeLimits{.max_depth = 8}),
              "nesting too deep");
  // Arrays nest too.
  ExpectError(
      DecodeDatum(R"({"type":"array","items":{"type":"array","items":"null"}})",
                  Varint(1) + Varint(1) + Varint(0) + Varint(0), DecodeLimits{.max_depth = 1}),
      "nesting too deep");
}

TEST(HostileDatumTest, MapWithAHugeCountOfNullValuesIsBounded) {
  constexpr std::string_view kMap = R"({"type":"map","values":"null"})";
  // Every entry needs a key of at least one byte, so a count beyond the input is refused
  // before anything is allocated.
  ExpectError(DecodeDatum(kMap, Varint(int64_t{1} << 40)), "count larger than the remaining input");
  // A count that the slot limit allows still needs a key per entry: the input runs out.
  const Status st = DecodeDatum(kMap, Varint(1'000'000) + Varint(1) + "k");
  ASSERT_FALSE(st.ok());
  EXPECT_GE(NamedOffset(st.message()), 0) << st.ToString();
  // The slot limit (16 bytes a value) bounds the allocation whatever the count.
  std::string entries;
  for (int i = 0; i < 600; ++i) entries += Varint(1) + "k";
  ExpectError(DecodeDatum(kMap, Varint(600) + entries + Varint(0), DecodeLimits{.max_slots = 1000}),
              "too many values");
  // Many blocks of a few nulls each add up against the same limit.
  std::string blocks;
  for (int i = 0; i < 300; ++i) blocks += Varint(2) + Varint(1) + "a" + Varint(1) + "b";
  ExpectError(DecodeDatum(kMap, blocks + Varint(0), DecodeLimits{.max_slots = 1000}), "too many");
  // A legitimate map of nulls decodes.
  std::string ok = Varint(3);
  for (const char* k : {"x", "y", "z"}) ok += Varint(1) + k;
  EXPECT_TRUE(DecodeDatum(kMap, ok + Varint(0)).ok());
}

TEST(HostileDatumTest, IntOutOfRangeAndBadBooleansAreRejected) {
  ExpectError(DecodeDatum(R"("int")", Varint(int64_t{1} << 33)), "int out of range");
  ExpectError(DecodeDatum(R"("boolean")", std::string(1, '\x02')), "neither 0 nor 1");
  ExpectError(DecodeDatum(R"("long")", std::string(11, '\xff')), "varint too long");
  // A varint cut short by the end of the input is named as such, at the varint's start.
  const Status cut = DecodeDatum(R"("long")", std::string(3, '\xff'));
  ExpectError(cut, "input ends inside an integer");
  EXPECT_EQ(NamedOffset(cut.message()), 0) << cut.ToString();
}

// --- Hostile containers -------------------------------------------------------------------

std::string SmallContainer(Codec codec, int records) {
  ContainerWriter writer(R"({"type":"record","name":"r","fields":[{"name":"s","type":"string"}]})",
                         codec);
  for (int i = 0; i < records; ++i) writer.Append(Varint(5) + "hello");
  auto file = writer.Finish();
  EXPECT_TRUE(file.ok());
  return file.ok() ? *file : "";
}

Status DecodeFile(std::string bytes, size_t* records = nullptr) {
  SchemaCache cache;
  PacketDecoder decoder(&cache, nullptr);
  size_t n = 0;
  const Status st = decoder.DecodeAll(std::make_shared<const std::string>(std::move(bytes)),
                                      [&](DecodedRecord&&) { ++n; });
  if (records) *records = n;
  return st;
}

TEST(HostileContainerTest, DamagedBlocksAreErrorsWithOffsets) {
  const std::string good = SmallContainer(Codec::kNull, 2);
  size_t n = 0;
  ASSERT_TRUE(DecodeFile(good, &n).ok());
  ASSERT_EQ(n, 2u);
  // Layout of the block: count, size, 12 bytes of records, 16-byte sync marker.
  const size_t block = good.size() - 16 - 12 - 2;

  std::string bad_sync = good;
  bad_sync.back() ^= 1;
  ExpectError(DecodeFile(bad_sync), "sync marker mismatch");

  std::string more_records = good;
  more_records[block] = Varint(3)[0];
  ExpectError(DecodeFile(more_records, &n), "record 2");
  EXPECT_EQ(n, 2u) << "the records before the damage are delivered";

  std::string fewer_records = good;
  fewer_records[block] = Varint(1)[0];
  ExpectError(DecodeFile(fewer_records), "left over");

  std::string huge_block = good.substr(0, block) + Varint(1) + Varint(int64_t{1} << 40);
  ExpectError(DecodeFile(huge_block), "corrupt block header");

  std::string negative_count = good.substr(0, block) + Varint(-1) + Varint(12);
  ExpectError(DecodeFile(negative_count), "corrupt block header");
}

TEST(HostileContainerTest, CorruptCompressedBlocksAreErrors) {
  for (const Codec codec : {Codec::kDeflate, Codec::kSnappy}) {
    SCOPED_TRACE(std::string(CodecName(codec)));
    std::string file = SmallContainer(codec, 50);
    ASSERT_TRUE(DecodeFile(file).ok());
    // Damage the last byte of the compressed data (the snappy CRC, the end of the deflate stream).
    file[file.size() - 17] ^= 0x55;
    const Status st = DecodeFile(file);
    ASSERT_FALSE(st.ok());
    EXPECT_GE(NamedOffset(st.message()), 0) << st.ToString();
  }
}

TEST(HostileContainerTest, HostileHeadersAreErrors) {
  const std::string good = SmallContainer(Codec::kNull, 1);
  // A metadata map claiming 2^40 entries, and one with a negative key length.
  ExpectError(DecodeFile(std::string(kContainerMagic) + Varint(int64_t{1} << 40)),
              "metadata too large");
  ExpectError(DecodeFile(std::string(kContainerMagic) + Varint(1) + Varint(-4)), "metadata key");
  std::string codec_name = good;
  const size_t at = codec_name.find("null");
  ASSERT_NE(at, std::string::npos);
  codec_name.replace(at, 4, "zstd");
  EXPECT_FALSE(DecodeFile(codec_name).ok());
}

}  // namespace
}  // namespace lantern::codec
