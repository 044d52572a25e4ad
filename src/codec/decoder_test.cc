#include "codec/decoder.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "codec/encoder.h"
#include "codec/json_encoder.h"
#include "codec/schema.h"

namespace lantern::codec {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;
using namespace std::string_literals;

std::shared_ptr<const Schema> ParseOrDie(std::string_view json) {
  auto parsed = Schema::Parse(json);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? *parsed : nullptr;
}

// Decodes `bytes` (copied into owned storage) with `schema`.
Result<std::shared_ptr<const Datum>> DecodeBytes(const std::shared_ptr<const Schema>& schema,
                                                 const std::string& bytes,
                                                 size_t* consumed = nullptr,
                                                 DecodeLimits limits = {}) {
  auto storage = std::make_shared<const std::string>(bytes);
  Decoder decoder(limits);
  return decoder.Decode(schema, storage, *storage, consumed);
}

std::string Encode(const Schema& schema, const Json& value) {
  auto bytes = EncodeJsonDatum(schema, value);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : "";
}

std::string DecodeError(const std::shared_ptr<const Schema>& schema, const std::string& bytes) {
  auto datum = DecodeBytes(schema, bytes);
  EXPECT_FALSE(datum.ok()) << "decoded unexpectedly";
  if (datum.ok()) return "";
  EXPECT_EQ(datum.status().code(), StatusCode::kInvalidArgument);
  return datum.status().message();
}

// Every type, and both orders of every two-branch null union (the decoder has a fast path
// for each).
const char kAllTypes[] = R"({"type": "record", "name": "all", "namespace": "test", "fields": [
  {"name": "b", "type": "boolean"},
  {"name": "i", "type": "int"},
  {"name": "l", "type": "long"},
  {"name": "f", "type": "float"},
  {"name": "d", "type": "double"},
  {"name": "s", "type": "string"},
  {"name": "by", "type": "bytes"},
  {"name": "n", "type": "null"},
  {"name": "e", "type": {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN", "BLUE"]}},
  {"name": "fx", "type": {"type": "fixed", "name": "Tag", "size": 4}},
  {"name": "m", "type": {"type": "map", "values": "long"}},
  {"name": "ob", "type": ["null", "boolean"]},
  {"name": "oi", "type": ["null", "int"]},
  {"name": "ol", "type": ["long", "null"]},
  {"name": "of", "type": ["null", "float"]},
  {"name": "od", "type": ["double", "null"]},
  {"name": "os", "type": ["null", "string"]},
  {"name": "oby", "type": ["bytes", "null"]},
  {"name": "u3", "type": ["null", "string", "long"]},
  {"name": "orec", "type": ["null", {"type": "record", "name": "point",
      "fields": [{"name": "x", "type": "double"}, {"name": "y", "type": "double"}]}]},
  {"name": "items", "type": {"type": "array", "items": {"type": "record", "name": "item",
      "fields": [{"name": "id", "type": "long"}, {"name": "note", "type": ["null", "string"]}]}}}
]})";

Json AllValues() {
  return Json{{"b", true},
              {"i", -123456},
              {"l", int64_t{1} << 40},
              {"f", 1.5},
              {"d", 2460234.59},
              {"s", "héllo"},
              {"by", Json::binary({0x00, 0xff, 0x10})},
              {"n", nullptr},
              {"e", "BLUE"},
              {"fx", Json::binary({'a', 'b', 'c', 'd'})},
              {"m", {{"one", 1}, {"two", 2}}},
              {"ob", false},
              {"oi", 7},
              {"ol", -9},
              {"of", 0.25},
              {"od", -3.5},
              {"os", "opt"},
              {"oby", Json::binary({0x01})},
              {"u3", 99},
              {"orec", {{"x", 1.0}, {"y", -2.0}}},
              {"items", {{{"id", 1}, {"note", "first"}}, {{"id", 2}, {"note", nullptr}}}}};
}

TEST(DecoderTest, DecodesEveryType) {
  auto schema = ParseOrDie(kAllTypes);
  ASSERT_NE(schema, nullptr);
  const std::string bytes = Encode(*schema, AllValues());
  size_t consumed = 0;
  auto datum = DecodeBytes(schema, bytes, &consumed);
  ASSERT_TRUE(datum.ok()) << datum.status().ToString();
  EXPECT_EQ(consumed, bytes.size());
  const Value r = (*datum)->root();
  ASSERT_EQ(r.type(), Type::kRecord);
  EXPECT_EQ(r.FieldCount(), 21u);
  EXPECT_FALSE(r.in_union());

  EXPECT_EQ(r.Field("b").type(), Type::kBoolean);
  EXPECT_TRUE(r.Field("b").AsBool());
  EXPECT_EQ(r.Field("i").AsLong(), -123456);
  EXPECT_EQ(r.Field("l").AsLong(), int64_t{1} << 40);
  EXPECT_EQ(r.Field("f").AsFloat(), 1.5f);
  EXPECT_EQ(r.Field("d").AsDouble(), 2460234.59);
  EXPECT_EQ(r.Field("s").AsString(), "héllo");
  EXPECT_EQ(r.Field("by").AsString(), "\x00\xff\x10"s);
  EXPECT_TRUE(r.Field("n").is_null());
  EXPECT_EQ(r.Field("e").type(), Type::kEnum);
  EXPECT_EQ(r.Field("e").AsEnum(), "BLUE");
  EXPECT_EQ(r.Field("e").AsLong(), 2);
  EXPECT_EQ(r.Field("fx").type(), Type::kFixed);
  EXPECT_EQ(r.Field("fx").AsString(), "abcd");

  const Value m = r.Field("m");
  ASSERT_EQ(m.type(), Type::kMap);
  ASSERT_EQ(m.Size(), 2u);
  EXPECT_EQ(m.KeyAt(0), "one");
  EXPECT_EQ(m.ValueAt(0).AsLong(), 1);
  EXPECT_EQ(m.KeyAt(1), "two");
  EXPECT_EQ(m.ValueAt(1).AsLong(), 2);

  // Unions resolve to their branch and remember it.
  const Value ob = r.Field("ob");
  EXPECT_TRUE(ob.in_union());
  EXPECT_EQ(ob.branch(), 1u);
  EXPECT_EQ(ob.type(), Type::kBoolean);
  EXPECT_FALSE(ob.AsBool());
  EXPECT_EQ(r.Field("oi").AsLong(), 7);
  EXPECT_EQ(r.Field("ol").branch(), 0u);
  EXPECT_EQ(r.Field("ol").AsLong(), -9);
  EXPECT_EQ(r.Field("of").AsFloat(), 0.25f);
  EXPECT_EQ(r.Field("od").AsDouble(), -3.5);
  EXPECT_EQ(r.Field("os").AsString(), "opt");
  EXPECT_EQ(r.Field("oby").AsString(), "\x01");
  EXPECT_EQ(r.Field("u3").branch(), 2u);
  EXPECT_EQ(r.Field("u3").type(), Type::kLong);
  EXPECT_EQ(r.Field("u3").AsLong(), 99);
  const Value point = r.Field("orec");
  ASSERT_EQ(point.type(), Type::kRecord);
  EXPECT_EQ(point.node().full_name, "test.point");
  EXPECT_EQ(point.Field("y").AsDouble(), -2.0);

  const Value items = r.Field("items");
  ASSERT_EQ(items.type(), Type::kArray);
  ASSERT_EQ(items.Size(), 2u);
  EXPECT_EQ(items.At(0).Field("id").AsLong(), 1);
  EXPECT_EQ(items.At(0).Field("note").AsString(), "first");
  EXPECT_EQ(items.At(1).Field("id").AsLong(), 2);
  EXPECT_TRUE(items.At(1).Field("note").is_null());

  EXPECT_FALSE(r.Field("no_such_field").valid());
  EXPECT_FALSE(r.Field("i").Field("x").valid());  // not a record
}

TEST(DecoderTest, NullBranchOfEveryUnion) {
  auto schema = ParseOrDie(kAllTypes);
  ASSERT_NE(schema, nullptr);
  Json v = AllValues();
  for (const char* name : {"ob", "oi", "ol", "of", "od", "os", "oby", "u3", "orec"})
    v[name] = nullptr;
  auto datum = DecodeBytes(schema, Encode(*schema, v));
  ASSERT_TRUE(datum.ok()) << datum.status().ToString();
  const Value r = (*datum)->root();
  for (const char* name : {"ob", "oi", "ol", "of", "od", "os", "oby", "u3", "orec"}) {
    const Value x = r.Field(name);
    EXPECT_TRUE(x.in_union()) << name;
    EXPECT_TRUE(x.is_null()) << name;
  }
  EXPECT_EQ(r.Field("ol").branch(), 1u);  // ["long","null"]
  EXPECT_EQ(r.Field("oi").branch(), 0u);  // ["null","int"]
  // Fields after the nulls still decode in step.
  EXPECT_EQ(r.Field("items").At(0).Field("note").AsString(), "first");
}

TEST(DecoderTest, ReEncodingGivesTheOriginalBytes) {
  auto schema = ParseOrDie(kAllTypes);
  ASSERT_NE(schema, nullptr);
  const std::string bytes = Encode(*schema, AllValues());
  auto datum = DecodeBytes(schema, bytes);
  ASSERT_TRUE(datum.ok());
  std::string out;
  EncodeValue((*datum)->root(), &out);
  EXPECT_EQ(out, bytes);
  EXPECT_EQ((*datum)->bytes(), bytes);
}

TEST(DecoderTest, HandWrittenBytes) {
  auto schema = ParseOrDie(R"({"type": "record", "name": "r", "fields": [
      {"name": "a", "type": "int"}, {"name": "s", "type": "string"},
      {"name": "o", "type": ["null", "long"]}, {"name": "f", "type": "float"}]})");
  ASSERT_NE(schema, nullptr);
  // a = -2 (zig-zag 3), s = "hi", o = branch 1, 64 (zig-zag 128 = 80 01), f = 1.0f (LE).
  const std::string bytes = "\x03\x04hi\x02\x80\x01\x00\x00\x80\x3f"s;
  auto datum = DecodeBytes(schema, bytes);
  ASSERT_TRUE(datum.ok()) << datum.status().ToString();
  const Value r = (*datum)->root();
  EXPECT_EQ(r.Field("a").AsLong(), -2);
  EXPECT_EQ(r.Field("s").AsString(), "hi");
  EXPECT_EQ(r.Field("o").AsLong(), 64);
  EXPECT_EQ(r.Field("f").AsFloat(), 1.0f);
}

TEST(DecoderTest, VarintEdgeValues) {
  auto schema = ParseOrDie(R"({"type": "record", "name": "r", "fields": [
      {"name": "a", "type": "long"}, {"name": "b", "type": ["null", "long"]},
      {"name": "c", "type": "int"}, {"name": "d", "type": "int"}]})");
  ASSERT_NE(schema, nullptr);
  const std::string max = "\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01"s;  // zig-zag of INT64_MAX
  const std::string min = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"s;  // zig-zag of INT64_MIN
  const std::string int_max = "\xfe\xff\xff\xff\x0f"s;
  const std::string int_min = "\xff\xff\xff\xff\x0f"s;
  const std::string bytes = max + "\x02"s + min + int_max + int_min;
  auto datum = DecodeBytes(schema, bytes);
  ASSERT_TRUE(datum.ok()) << datum.status().ToString();
  const Value r = (*datum)->root();
  EXPECT_EQ(r.Field("a").AsLong(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(r.Field("b").AsLong(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(r.Field("c").AsLong(), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(r.Field("d").AsLong(), std::numeric_limits<int32_t>::min());

  // The encoder writes the same bytes.
  auto encoded = EncodeJsonDatum(*schema, Json{{"a", std::numeric_limits<int64_t>::max()},
                                               {"b", std::numeric_limits<int64_t>::min()},
                                               {"c", std::numeric_limits<int32_t>::max()},
                                               {"d", std::numeric_limits<int32_t>::min()}});
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(*encoded, bytes);
}

TEST(DecoderTest, IntOutOfRangeIsAnError) {
  auto schema = ParseOrDie(R"({"type": "record", "name": "r", "fields": [
      {"name": "a", "type": "long"}, {"name": "mag", "type": "int"}]})");
  ASSERT_NE(schema, nullptr);
  // 2^31 as zig-zag varint: 80 80 80 80 10.
  const std::string msg = DecodeError(schema, "\x02\x80\x80\x80\x80\x10"s);
  EXPECT_THAT(msg, HasSubstr("int out of range"));
  EXPECT_THAT(msg, HasSubstr("in field mag"));
  // The same inside a union.
  auto opt = ParseOrDie(R"({"type": "record", "name": "r", "fields": [
      {"name": "mag", "type": ["null", "int"]}]})");
  ASSERT_NE(opt, nullptr);
  EXPECT_THAT(DecodeError(opt, "\x02\xff\xff\xff\xff\x1f"s), HasSubstr("int out of range"));
}

TEST(DecoderTest, VarintErrors) {
  auto schema = ParseOrDie(R"({"type": "record", "name": "r", "fields": [
      {"name": "a", "type": "long"}, {"name": "b", "type": "long"}]})");
  ASSERT_NE(schema, nullptr);
  EXPECT_THAT(DecodeError(schema, "\x02\x80\x80"s),
              HasSubstr("in field b: input ends inside an integer"));
  EXPECT_THAT(DecodeError(schema, "\x02"s + std::string(11, '\x80') + "\x01"s),
              HasSubstr("in field b: varint too long"));
}

TEST(DecoderTest, ConsumedCountsOnlyTheDatum) {
  auto schema = ParseOrDie(R"({"type": "record", "name": "r", "fields": [
      {"name": "s", "type": "string"}, {"name": "l", "type": "long"}]})");
  ASSERT_NE(schema, nullptr);
  const std::string datum_bytes = "\x06" "abc" "\x96\x01"s;  // "abc", 75
  size_t consumed = 0;
  auto datum = DecodeBytes(schema, datum_bytes + "trailing", &consumed);
  ASSERT_TRUE(datum.ok());
  EXPECT_EQ(consumed, datum_bytes.size());
  EXPECT_EQ((*datum)->bytes(), datum_bytes);
  EXPECT_EQ((*datum)->root().Field("l").AsLong(), 75);
}

// A ZTF-like nesting for error paths.
const char kZtfLike[] = R"({"type": "record", "name": "alert", "namespace": "ztf", "fields": [
  {"name": "candid", "type": "long"},
  {"name": "candidate", "type": {"type": "record", "name": "candidate", "fields": [
      {"name": "jd", "type": "double"}, {"name": "magpsf", "type": "float"}]}},
  {"name": "prv_candidates", "type": ["null", {"type": "array", "items": {
      "type": "record", "name": "prv_candidate", "fields": [
          {"name": "jd", "type": "double"}, {"name": "magpsf", "type": ["null", "float"]}]}}]}
]})";

TEST(DecoderTest, ErrorNamesByteOffsetAndFieldPath) {
  auto schema = ParseOrDie(kZtfLike);
  ASSERT_NE(schema, nullptr);
  const std::string bytes = Encode(
      *schema, Json{{"candid", 5}, {"candidate", {{"jd", 2460000.5}, {"magpsf", 18.5}}},
                    {"prv_candidates", nullptr}});
  ASSERT_EQ(bytes.size(), 1u + 8 + 4 + 1);
  // Cut inside magpsf: candid (1 byte) + jd (8 bytes), then 2 of magpsf's 4 bytes.
  const std::string msg = DecodeError(schema, bytes.substr(0, 11));
  EXPECT_EQ(msg, "byte 9 in field candidate.magpsf: input ends inside a float");
}

TEST(DecoderTest, ErrorPathThroughArrays) {
  auto schema = ParseOrDie(kZtfLike);
  ASSERT_NE(schema, nullptr);
  const Json prv = {{{"jd", 1.0}, {"magpsf", 17.0}}, {{"jd", 2.0}, {"magpsf", 16.0}}};
  const std::string bytes =
      Encode(*schema, Json{{"candid", 5}, {"candidate", {{"jd", 3.0}, {"magpsf", 18.5}}},
                           {"prv_candidates", prv}});
  // Cut inside the second item's magpsf (the array ends with magpsf (1+4) and the 0 count).
  const std::string msg = DecodeError(schema, bytes.substr(0, bytes.size() - 3));
  EXPECT_THAT(msg, HasSubstr("prv_candidates"));
  EXPECT_THAT(msg, HasSubstr("[1].magpsf"));
  EXPECT_THAT(msg, HasSubstr("input ends inside a float"));
  EXPECT_THAT(msg, HasSubstr("byte " + std::to_string(bytes.size() - 5)));
}

TEST(DecoderTest, EveryTruncationIsAnErrorNotACrash) {
  auto schema = ParseOrDie(kAllTypes);
  ASSERT_NE(schema, nullptr);
  const std::string bytes = Encode(*schema, AllValues());
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto datum = DecodeBytes(schema, bytes.substr(0, n));
    ASSERT_FALSE(datum.ok()) << "prefix of " << n << " bytes decoded";
    EXPECT_THAT(datum.status().message(), HasSubstr("byte ")) << n;
  }
}

TEST(DecoderTest, BaseOffsetShiftsReportedBytes) {
  auto schema = ParseOrDie(R"({"type": "record", "name": "r", "fields": [
      {"name": "x", "type": "double"}]})");
  ASSERT_NE(schema, nullptr);
  auto storage = std::make_shared<const std::string>("\x01\x02"s);
  Decoder decoder;
  auto datum = decoder.Decode(schema, storage, *storage, nullptr, /*base_offset=*/1000);
  ASSERT_FALSE(datum.ok());
  EXPECT_THAT(datum.status().message(), HasSubstr("byte 1000 in field x"));
}

TEST(DecoderTest, BadValuesAreErrors) {
  auto e = ParseOrDie(R"({"type": "enum", "name": "E", "symbols": ["A", "B"]})");
  ASSERT_NE(e, nullptr);
  EXPECT_THAT(DecodeError(e, "\x04"s), HasSubstr("enum index out of range"));
  EXPECT_THAT(DecodeError(e, "\x01"s), HasSubstr("enum index out of range"));  // -1

  auto u = ParseOrDie(R"(["null", "string", "long"])");
  ASSERT_NE(u, nullptr);
  EXPECT_THAT(DecodeError(u, "\x06"s), HasSubstr("union branch index out of range"));
  EXPECT_THAT(DecodeError(u, "\x01"s), HasSubstr("union branch index out of range"));

  auto opt = ParseOrDie(R"({"type": "record", "name": "r", "fields": [
      {"name": "o", "type": ["null", "double"]}]})");
  ASSERT_NE(opt, nullptr);
  EXPECT_THAT(DecodeError(opt, "\x04"s), HasSubstr("in field o: union branch index out of range"));

  auto b = ParseOrDie(R"({"type": "record", "name": "r", "fields": [
      {"name": "flag", "type": "boolean"}]})");
  ASSERT_NE(b, nullptr);
  EXPECT_THAT(DecodeError(b, "\x02"s), HasSubstr("boolean byte is neither 0 nor 1"));

  auto s = ParseOrDie(R"({"type": "record", "name": "r", "fields": [
      {"name": "name", "type": "string"}]})");
  ASSERT_NE(s, nullptr);
  EXPECT_THAT(DecodeError(s, "\x01"s), HasSubstr("in field name: negative length"));
  EXPECT_THAT(DecodeError(s, "\x0a" "abc"s), HasSubstr("run past the end of the input"));

  auto fx = ParseOrDie(R"({"type": "fixed", "name": "F", "size": 8})");
  ASSERT_NE(fx, nullptr);
  EXPECT_THAT(DecodeError(fx, "1234567"), HasSubstr("input ends inside a fixed"));
}

TEST(DecoderTest, HugeCountsFailWithoutAllocating) {
  auto a = ParseOrDie(R"({"type": "array", "items": "long"})");
  ASSERT_NE(a, nullptr);
  // A count of 2^40 items with 3 bytes of input left.
  std::string bytes;
  uint64_t zz = (uint64_t{1} << 40) << 1;
  while (zz >= 0x80) {
    bytes.push_back(static_cast<char>((zz & 0x7f) | 0x80));
    zz >>= 7;
  }
  bytes.push_back(static_cast<char>(zz));
  EXPECT_THAT(DecodeError(a, bytes + "\x02\x02\x02"s),
              HasSubstr("count larger than the remaining input"));
}

TEST(DecoderTest, LimitsBoundDepthAndSize) {
  auto list = ParseOrDie(R"({"type": "record", "name": "Node", "fields": [
      {"name": "next", "type": ["null", "Node"]}]})");
  ASSERT_NE(list, nullptr);
  std::string deep(10, '\x02');  // ten nested "next" records...
  deep += '\x00';               // ...then null
  DecodeLimits shallow;
  shallow.max_depth = 5;
  auto too_deep = DecodeBytes(list, deep, nullptr, shallow);
  ASSERT_FALSE(too_deep.ok());
  EXPECT_THAT(too_deep.status().message(), HasSubstr("nesting too deep"));
  EXPECT_TRUE(DecodeBytes(list, deep).ok());

  auto a = ParseOrDie(R"({"type": "array", "items": {"type": "record", "name": "p",
      "fields": [{"name": "x", "type": "long"}, {"name": "y", "type": "long"}]}})");
  ASSERT_NE(a, nullptr);
  // Five records of two longs: 1 + 5 + 10 slots, over a limit of 8.
  const std::string five = "\x0a"s + std::string(10, '\x02') + "\x00"s;
  DecodeLimits small;
  small.max_slots = 8;
  auto too_many = DecodeBytes(a, five, nullptr, small);
  ASSERT_FALSE(too_many.ok());
  EXPECT_THAT(too_many.status().message(), HasSubstr("datum has too many values"));
  EXPECT_TRUE(DecodeBytes(a, five).ok());
}

TEST(DecoderTest, EmptyArrayAndMap) {
  auto schema = ParseOrDie(R"({"type": "record", "name": "r", "fields": [
      {"name": "a", "type": {"type": "array", "items": "int"}},
      {"name": "m", "type": {"type": "map", "values": "int"}}]})");
  ASSERT_NE(schema, nullptr);
  auto datum = DecodeBytes(schema, "\x00\x00"s);
  ASSERT_TRUE(datum.ok());
  EXPECT_EQ((*datum)->root().Field("a").Size(), 0u);
  EXPECT_EQ((*datum)->root().Field("m").Size(), 0u);
}

TEST(DecoderTest, MultiBlockArraysIncludingNegativeCountsWithByteSizes) {
  auto schema = ParseOrDie(R"({"type": "record", "name": "r", "fields": [
      {"name": "nums", "type": {"type": "array", "items": "long"}},
      {"name": "after", "type": "string"}]})");
  ASSERT_NE(schema, nullptr);
  // Block 1: count -2 (zig-zag 03), byte size 2 (04), items 1, 2. Block 2: count 1, item 3.
  // Block 3: count -1, byte size 2, item 64 (80 01). End: 0. Then "ok".
  const std::string bytes = "\x03\x04\x02\x04" "\x02\x06" "\x01\x04\x80\x01" "\x00" "\x04ok"s;
  size_t consumed = 0;
  auto datum = DecodeBytes(schema, bytes, &consumed);
  ASSERT_TRUE(datum.ok()) << datum.status().ToString();
  EXPECT_EQ(consumed, bytes.size());
  const Value nums = (*datum)->root().Field("nums");
  ASSERT_EQ(nums.Size(), 4u);
  EXPECT_EQ(nums.At(0).AsLong(), 1);
  EXPECT_EQ(nums.At(1).AsLong(), 2);
  EXPECT_EQ(nums.At(2).AsLong(), 3);
  EXPECT_EQ(nums.At(3).AsLong(), 64);
  EXPECT_EQ((*datum)->root().Field("after").AsString(), "ok");

  // Re-encoding writes one block with the same values.
  std::string out;
  EncodeValue((*datum)->root(), &out);
  EXPECT_EQ(out, "\x08\x02\x04\x06\x80\x01\x00\x04ok"s);
}

TEST(DecoderTest, MultiBlockArraysOfRecordsKeepNestedValues) {
  auto schema = ParseOrDie(R"({"type": "array", "items": {"type": "record", "name": "det",
      "fields": [{"name": "id", "type": "long"},
                 {"name": "tags", "type": {"type": "array", "items": "string"}},
                 {"name": "note", "type": ["null", "string"]}]}})");
  ASSERT_NE(schema, nullptr);
  // Block 1 (count 2): {1, ["a"], null}, {2, [], "x"}. Block 2 (count -1, size 7):
  // {3, ["b", "c"] in two blocks, "yz"}. End.
  const std::string item1 = "\x02" "\x02\x02" "a\x00" "\x00"s;
  const std::string item2 = "\x04" "\x00" "\x02\x02x"s;
  const std::string item3 = "\x06" "\x02\x02" "b" "\x02\x02" "c" "\x00" "\x02\x04yz"s;
  std::string bytes = "\x04"s + item1 + item2;
  bytes += "\x01"s + static_cast<char>(2 * item3.size()) + item3;
  bytes += '\x00';
  auto datum = DecodeBytes(schema, bytes);
  ASSERT_TRUE(datum.ok()) << datum.status().ToString();
  const Value a = (*datum)->root();
  ASSERT_EQ(a.Size(), 3u);
  EXPECT_EQ(a.At(0).Field("id").AsLong(), 1);
  ASSERT_EQ(a.At(0).Field("tags").Size(), 1u);
  EXPECT_EQ(a.At(0).Field("tags").At(0).AsString(), "a");
  EXPECT_TRUE(a.At(0).Field("note").is_null());
  EXPECT_EQ(a.At(1).Field("id").AsLong(), 2);
  EXPECT_EQ(a.At(1).Field("tags").Size(), 0u);
  EXPECT_EQ(a.At(1).Field("note").AsString(), "x");
  EXPECT_EQ(a.At(2).Field("id").AsLong(), 3);
  ASSERT_EQ(a.At(2).Field("tags").Size(), 2u);
  EXPECT_EQ(a.At(2).Field("tags").At(0).AsString(), "b");
  EXPECT_EQ(a.At(2).Field("tags").At(1).AsString(), "c");
  EXPECT_EQ(a.At(2).Field("note").AsString(), "yz");
}

TEST(DecoderTest, MultiBlockMaps) {
  auto schema = ParseOrDie(R"({"type": "map", "values": "int"})");
  ASSERT_NE(schema, nullptr);
  // Block 1: count -1, size 3, "k" -> 5. Block 2: count 2, "a" -> 1, "b" -> -1. End.
  const std::string bytes = "\x01\x06\x02k\x0a" "\x04\x02" "a\x02\x02" "b\x01" "\x00"s;
  auto datum = DecodeBytes(schema, bytes);
  ASSERT_TRUE(datum.ok()) << datum.status().ToString();
  const Value m = (*datum)->root();
  ASSERT_EQ(m.Size(), 3u);
  EXPECT_EQ(m.KeyAt(0), "k");
  EXPECT_EQ(m.ValueAt(0).AsLong(), 5);
  EXPECT_EQ(m.KeyAt(1), "a");
  EXPECT_EQ(m.ValueAt(1).AsLong(), 1);
  EXPECT_EQ(m.KeyAt(2), "b");
  EXPECT_EQ(m.ValueAt(2).AsLong(), -1);
}

TEST(DecoderTest, RecursiveRecords) {
  auto schema = ParseOrDie(R"({"type": "record", "name": "LinkedList", "fields": [
      {"name": "value", "type": "long"}, {"name": "next", "type": ["null", "LinkedList"]}]})");
  ASSERT_NE(schema, nullptr);
  const std::string bytes =
      Encode(*schema, Json{{"value", 1}, {"next", {{"value", 2}, {"next", {{"value", 3}}}}}});
  auto datum = DecodeBytes(schema, bytes);
  ASSERT_TRUE(datum.ok()) << datum.status().ToString();
  std::vector<int64_t> values;
  for (Value v = (*datum)->root(); !v.is_null(); v = v.Field("next"))
    values.push_back(v.Field("value").AsLong());
  EXPECT_EQ(values, (std::vector<int64_t>{1, 2, 3}));
}

TEST(DecoderTest, DatumServesAlertFields) {
  auto schema = ParseOrDie(kAllTypes);
  ASSERT_NE(schema, nullptr);
  auto datum = DecodeBytes(schema, Encode(*schema, AllValues()));
  ASSERT_TRUE(datum.ok());
  const Datum& d = **datum;
  const alert::FieldRecord rec(&d, d.Root());
  using alert::FieldKind;
  EXPECT_EQ(rec.Get("i")->kind, FieldKind::kInt);
  EXPECT_EQ(rec.Get("i")->i, -123456);
  EXPECT_EQ(rec.GetDouble("l"), static_cast<double>(int64_t{1} << 40));
  EXPECT_EQ(rec.Get("f")->kind, FieldKind::kFloat);
  EXPECT_EQ(rec.GetDouble("f"), 1.5);
  EXPECT_EQ(rec.Get("d")->kind, FieldKind::kDouble);
  EXPECT_EQ(rec.Get("s")->s, "héllo");
  EXPECT_EQ(rec.Get("by")->kind, FieldKind::kBytes);
  EXPECT_EQ(rec.Get("fx")->kind, FieldKind::kBytes);
  EXPECT_EQ(rec.Get("e")->kind, FieldKind::kString);
  EXPECT_EQ(rec.Get("e")->s, "BLUE");
  EXPECT_TRUE(rec.Get("n")->is_null());
  EXPECT_EQ(rec.Get("oi")->i, 7);  // unions resolve to their value
  EXPECT_FALSE(rec.Get("nope").has_value());
  EXPECT_EQ(rec.Get("m")->kind, FieldKind::kMap);
  EXPECT_EQ(rec.Get("m")->size, 2u);

  const alert::FieldValue items = *rec.Get("items");
  ASSERT_EQ(items.kind, FieldKind::kArray);
  ASSERT_EQ(items.size, 2u);
  const alert::FieldValue second = d.At(items.handle, 1);
  ASSERT_EQ(second.kind, FieldKind::kRecord);
  EXPECT_EQ(alert::FieldRecord(&d, second.handle).Get("id")->i, 2);
  EXPECT_TRUE(d.At(items.handle, 2).is_null());  // out of range

  std::vector<std::string> names;
  rec.ForEach([&](std::string_view name, const alert::FieldValue&) { names.emplace_back(name); });
  ASSERT_EQ(names.size(), 21u);
  EXPECT_EQ(names.front(), "b");
  EXPECT_EQ(names.back(), "items");
}

}  // namespace
}  // namespace lantern::codec
