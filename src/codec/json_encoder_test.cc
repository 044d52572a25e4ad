#include "codec/json_encoder.h"

#include <cfloat>
#include <cmath>
#include <limits>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "codec/decoder.h"
#include "codec/json.h"
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

// `value` encoded by EncodeJsonDatum, then decoded again with `schema`.
Result<std::shared_ptr<const Datum>> EncodeThenDecode(const std::shared_ptr<const Schema>& schema,
                                                      const Json& value) {
  ASSIGN_OR_RETURN(std::string bytes, EncodeJsonDatum(*schema, value));
  auto storage = std::make_shared<const std::string>(std::move(bytes));
  Decoder decoder;
  return decoder.Decode(schema, storage, *storage);
}

// The bytes EncodeJson writes for `value` under the schema `schema_json`.
std::string Bytes(std::string_view schema_json, const Json& value) {
  auto schema = ParseOrDie(schema_json);
  if (!schema) return "<bad schema>";
  auto bytes = EncodeJsonDatum(*schema, value);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : "<error>";
}

std::string Error(std::string_view schema_json, const Json& value) {
  auto schema = ParseOrDie(schema_json);
  if (!schema) return "<bad schema>";
  auto bytes = EncodeJsonDatum(*schema, value);
  EXPECT_FALSE(bytes.ok()) << "encoded unexpectedly: " << value.dump();
  if (bytes.ok()) return "";
  EXPECT_EQ(bytes.status().code(), StatusCode::kInvalidArgument);
  return bytes.status().message();
}

TEST(EncodeJsonTest, Primitives) {
  EXPECT_EQ(Bytes("\"null\"", nullptr), "");
  EXPECT_EQ(Bytes("\"boolean\"", true), "\x01");
  EXPECT_EQ(Bytes("\"boolean\"", false), "\x00"s);
  EXPECT_EQ(Bytes("\"int\"", 1), "\x02");
  EXPECT_EQ(Bytes("\"int\"", -1), "\x01");
  EXPECT_EQ(Bytes("\"long\"", 300), "\xd8\x04");
  EXPECT_EQ(Bytes("\"float\"", 1.0), "\x00\x00\x80\x3f"s);
  EXPECT_EQ(Bytes("\"float\"", 2), "\x00\x00\x00\x40"s);  // an integer JSON value is fine
  EXPECT_EQ(Bytes("\"double\"", 1.0), "\x00\x00\x00\x00\x00\x00\xf0\x3f"s);
  EXPECT_EQ(Bytes("\"string\"", "ab"), "\x04" "ab");
  EXPECT_EQ(Bytes("\"string\"", ""), "\x00"s);
  EXPECT_EQ(Bytes("\"bytes\"", Json::binary({0x01, 0xff})), "\x04\x01\xff");
  EXPECT_EQ(Bytes("\"bytes\"", "hi"), "\x04hi");  // text taken as its bytes
}

TEST(EncodeJsonTest, ComplexTypes) {
  EXPECT_EQ(Bytes(R"({"type": "enum", "name": "E", "symbols": ["R", "G", "B"]})", "G"), "\x02");
  EXPECT_EQ(Bytes(R"({"type": "fixed", "name": "F", "size": 3})", Json::binary({1, 2, 3})),
            "\x01\x02\x03");
  EXPECT_EQ(Bytes(R"({"type": "array", "items": "int"})", Json::array({1, 2})),
            "\x04\x02\x04\x00"s);
  EXPECT_EQ(Bytes(R"({"type": "array", "items": "int"})", Json::array()), "\x00"s);
  EXPECT_EQ(Bytes(R"({"type": "map", "values": "boolean"})", Json{{"a", true}}),
            "\x02\x02" "a\x01\x00"s);
  EXPECT_EQ(Bytes(R"({"type": "map", "values": "boolean"})", Json::object()), "\x00"s);
  // Record fields in schema order, whatever the JSON key order.
  EXPECT_EQ(Bytes(R"({"type": "record", "name": "r", "fields": [
                  {"name": "a", "type": "int"}, {"name": "b", "type": "string"}]})",
                  Json{{"b", "x"}, {"a", 3}}),
            "\x06\x02x");
}

const char kUnion[] = R"(["null", "long", "double", "string", {"type": "array", "items": "int"},
    {"type": "record", "name": "p", "fields": [{"name": "x", "type": "int"}]}])";

TEST(EncodeJsonTest, UnionTakesTheFirstBranchThatFits) {
  EXPECT_EQ(Bytes(kUnion, nullptr), "\x00"s);
  EXPECT_EQ(Bytes(kUnion, 5), "\x02\x0a");
  EXPECT_EQ(Bytes(kUnion, 0.5), "\x04" "\x00\x00\x00\x00\x00\x00\xe0\x3f"s);
  EXPECT_EQ(Bytes(kUnion, "x"), "\x06\x02x");
  EXPECT_EQ(Bytes(kUnion, Json::array({1})), "\x08\x02\x02\x00"s);
  EXPECT_EQ(Bytes(kUnion, Json{{"x", 1}}), "\x0a\x02");
  // Order decides between branches that both fit.
  EXPECT_EQ(Bytes(R"(["float", "int"])", 3), "\x00" "\x00\x00\x40\x40"s);
  EXPECT_EQ(Bytes(R"(["int", "float"])", 3), "\x00\x06"s);
  EXPECT_EQ(Bytes(R"(["int", "float"])", 2.5), "\x02" "\x00\x00\x20\x40"s);
  EXPECT_EQ(Bytes(R"(["string", "bytes"])", Json::binary({7})), "\x02\x02\x07");
  EXPECT_EQ(Bytes(R"(["string", "bytes"])", "s"), "\x00\x02s"s);
}

TEST(EncodeJsonTest, MissingOptionalFieldTakesTheNullBranch) {
  const char kSchema[] = R"({"type": "record", "name": "r", "fields": [
      {"name": "a", "type": ["null", "int"]},
      {"name": "b", "type": ["string", "null"]},
      {"name": "c", "type": "int"}]})";
  EXPECT_EQ(Bytes(kSchema, Json{{"c", 1}}), "\x00\x02\x02"s);
  // An explicit null is the same.
  EXPECT_EQ(Bytes(kSchema, Json{{"a", nullptr}, {"b", nullptr}, {"c", 1}}), "\x00\x02\x02"s);
}

TEST(EncodeJsonTest, RoundTripsThroughTheDecoder) {
  auto schema = ParseOrDie(R"({"type": "record", "name": "alert", "fields": [
      {"name": "candid", "type": "long"},
      {"name": "magpsf", "type": ["float", "null"]},
      {"name": "prv", "type": ["null", {"type": "array", "items": "double"}]},
      {"name": "meta", "type": {"type": "map", "values": ["null", "string"]}}]})");
  ASSERT_NE(schema, nullptr);
  auto datum = EncodeThenDecode(
      schema, Json{{"candid", 2480088313915010007}, {"magpsf", 18.25},
                   {"prv", {1.5, 2.5}}, {"meta", {{"k", "v"}, {"n", nullptr}}}});
  ASSERT_TRUE(datum.ok()) << datum.status().ToString();
  const Value r = (*datum)->root();
  EXPECT_EQ(r.Field("candid").AsLong(), 2480088313915010007);
  EXPECT_EQ(r.Field("magpsf").AsFloat(), 18.25f);
  ASSERT_EQ(r.Field("prv").Size(), 2u);
  EXPECT_EQ(r.Field("prv").At(1).AsDouble(), 2.5);
  const Value meta = r.Field("meta");
  ASSERT_EQ(meta.Size(), 2u);
  EXPECT_EQ(meta.KeyAt(0), "k");
  EXPECT_EQ(meta.ValueAt(0).AsString(), "v");
  EXPECT_TRUE(meta.ValueAt(1).is_null());
}

TEST(EncodeJsonTest, Errors) {
  const char kRecord[] = R"({"type": "record", "name": "r", "namespace": "t", "fields": [
      {"name": "id", "type": "long"},
      {"name": "color", "type": {"type": "enum", "name": "Color", "symbols": ["RED"]}},
      {"name": "inner", "type": {"type": "record", "name": "in", "fields": [
          {"name": "mag", "type": "float"}]}}]})";
  const Json good = {{"id", 1}, {"color", "RED"}, {"inner", {{"mag", 1.0}}}};
  EXPECT_FALSE(Bytes(kRecord, good).empty());

  Json v = good;
  v.erase("id");
  EXPECT_THAT(Error(kRecord, v), HasSubstr("t.r: missing field id"));
  v = good;
  v["id"] = "abc";
  EXPECT_THAT(Error(kRecord, v), HasSubstr("field id: value \"abc\" does not fit type long"));
  v["id"] = 2.5;
  EXPECT_THAT(Error(kRecord, v), HasSubstr("does not fit type long"));
  v = good;
  v["color"] = "PURPLE";
  EXPECT_THAT(Error(kRecord, v),
              HasSubstr("field color: \"PURPLE\" is not a symbol of enum t.Color"));
  v = good;
  v["inner"]["mag"] = "bright";
  EXPECT_THAT(Error(kRecord, v),
              HasSubstr("field inner: field mag: value \"bright\" does not fit"));
  v = good;
  v["inner"] = nullptr;
  EXPECT_THAT(Error(kRecord, v), HasSubstr("field inner: value null does not fit type record"));

  EXPECT_THAT(Error("\"int\"", int64_t{1} << 31), HasSubstr("int out of range"));
  EXPECT_THAT(Error(R"({"type": "fixed", "name": "F", "size": 3})", Json::binary({1, 2})),
              HasSubstr("does not fit type fixed"));
  EXPECT_THAT(Error(R"(["null", "int"])", "text"), HasSubstr("fits no branch of the union"));
  EXPECT_THAT(Error(R"({"type": "array", "items": "int"})", Json::array({1, "two"})),
              HasSubstr("does not fit type int"));
  EXPECT_THAT(Error("\"boolean\"", 1), HasSubstr("does not fit type boolean"));
}

// --- json.h: the JSON text users see ------------------------------------------------------

std::string ToJson(std::string_view schema_json, const Json& value) {
  auto schema = ParseOrDie(schema_json);
  if (!schema) return "<bad schema>";
  auto datum = EncodeThenDecode(schema, value);
  EXPECT_TRUE(datum.ok()) << datum.status().ToString();
  if (!datum.ok()) return "<error>";
  std::string out;
  AppendJson((*datum)->root(), &out);
  return out;
}

TEST(AppendJsonTest, PlainShape) {
  const char kSchema[] = R"({"type": "record", "name": "r", "fields": [
      {"name": "i", "type": "int"},
      {"name": "b", "type": "boolean"},
      {"name": "u", "type": ["null", "long"]},
      {"name": "un", "type": ["null", "long"]},
      {"name": "s", "type": "string"},
      {"name": "by", "type": "bytes"},
      {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["R", "G"]}},
      {"name": "fx", "type": {"type": "fixed", "name": "F", "size": 2}},
      {"name": "a", "type": {"type": "array", "items": ["null", "int"]}},
      {"name": "m", "type": {"type": "map", "values": "int"}},
      {"name": "rec", "type": ["null", {"type": "record", "name": "p", "fields": [
          {"name": "x", "type": "int"}]}]},
      {"name": "n", "type": "null"}]})";
  const std::string text =
      ToJson(kSchema, Json{{"i", -5}, {"b", true}, {"u", 7}, {"un", nullptr}, {"s", "a\"b\n"},
                           {"by", Json::binary({'f', 'o', 'o', 'b', 'a', 'r'})}, {"e", "G"},
                           {"fx", Json::binary({0x00, 0x01})}, {"a", {1, nullptr}},
                           {"m", {{"k", 2}}}, {"rec", {{"x", 3}}}, {"n", nullptr}});
  EXPECT_EQ(text,
            R"({"i":-5,"b":true,"u":7,"un":null,"s":"a\"b\n","by":"Zm9vYmFy","e":"G",)"
            R"("fx":"AAE=","a":[1,null],"m":{"k":2},"rec":{"x":3},"n":null})");
  EXPECT_FALSE(Json::parse(text, nullptr, false).is_discarded());
}

TEST(AppendJsonTest, SpecialFloatingValuesAreStrings) {
  const char kSchema[] = R"({"type": "record", "name": "r", "fields": [
      {"name": "a", "type": "double"}, {"name": "b", "type": "float"},
      {"name": "c", "type": "double"}, {"name": "d", "type": ["null", "float"]}]})";
  const double inf = std::numeric_limits<double>::infinity();
  const std::string text = ToJson(kSchema, Json{{"a", std::nan("")}, {"b", inf}, {"c", -inf},
                                                {"d", std::nan("")}});
  EXPECT_EQ(text, R"({"a":"NaN","b":"Infinity","c":"-Infinity","d":"NaN"})");
  std::string number;
  AppendJsonNumber(-inf, &number);
  EXPECT_EQ(number, "\"-Infinity\"");
}

TEST(AppendJsonTest, FloatsPrintTheShortestTextThatReadsBack) {
  const char kSchema[] = R"({"type": "record", "name": "r", "fields": [
      {"name": "f", "type": "float"}, {"name": "d", "type": "double"}]})";
  EXPECT_EQ(ToJson(kSchema, Json{{"f", 0.1f}, {"d", 0.1}}), R"({"f":0.1,"d":0.1})");
  EXPECT_EQ(ToJson(kSchema, Json{{"f", 18.5f}, {"d", 2460234.59}}),
            R"({"f":18.5,"d":2460234.59})");
  // Whatever the text, it must read back to exactly the same float.
  for (const float f : {1.0f / 3, 16777217.0f, 1e-45f, FLT_MAX, -FLT_MIN, 123456.789f, 0.0f}) {
    const std::string text = ToJson(kSchema, Json{{"f", f}, {"d", 0}});
    const Json parsed = Json::parse(text, nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << text;
    EXPECT_EQ(static_cast<float>(parsed["f"].get<double>()), f) << text;
    EXPECT_LE(text.size(), std::string(R"({"f":-1.17549435e-38,"d":0})").size()) << text;
  }
}

TEST(AppendJsonTest, Base64) {
  // RFC 4648 test vectors.
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(Base64("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64("\xff\xfe\xfd"s), "//79");
  EXPECT_EQ(Base64("\x1f\x8b\x08"s), "H4sI");  // how a gzipped cutout starts
}

TEST(AppendJsonTest, StringEscapes) {
  std::string out;
  AppendJsonString("q\"b\\n\nr\rt\t\x01\x1f é", &out);
  EXPECT_EQ(out, R"("q\"b\\n\nr\rt\t\u0001\u001f é")");
  const Json parsed = Json::parse(out);
  EXPECT_EQ(parsed.get<std::string>(), "q\"b\\n\nr\rt\t\x01\x1f é");
}


// The insert streams' fast path must print what AppendJson prints, field for field, minus the
// nulls and the fields `keep` refuses; a name too long for its stack buffer takes the slow path.
bool KeepAllButSkipped(std::string_view name) { return name != "skipped"; }

TEST(AppendJsonTest, FieldsSkippingNullsMatchAppendJson) {
  const std::string long_name(5000, 'k');
  const std::string schema_json = R"({"type": "record", "name": "r", "fields": [
      {"name": "i", "type": "int"}, {"name": "l", "type": "long"},
      {"name": "f", "type": "float"}, {"name": "d", "type": "double"},
      {"name": "b", "type": "boolean"}, {"name": "nb", "type": ["null", "boolean"]},
      {"name": "ni", "type": ["null", "int"]}, {"name": "nl", "type": ["long", "null"]},
      {"name": "nf", "type": ["null", "float"]}, {"name": "nd", "type": ["null", "double"]},
      {"name": "nf2", "type": ["null", "float"]}, {"name": "nd2", "type": ["null", "double"]},
      {"name": "s", "type": "string"}, {"name": "ns", "type": ["null", "string"]},
      {"name": "by", "type": "bytes"},
      {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["R", "G"]}},
      {"name": "a", "type": {"type": "array", "items": "int"}},
      {"name": "rec", "type": ["null", {"type": "record", "name": "p", "fields": [
          {"name": "x", "type": "float"}]}]},
      {"name": "skipped", "type": "int"}, {"name": "n", "type": "null"},
      {"name": ")" + long_name + R"(", "type": "double"},
      {"name": "last", "type": "float"}]})";
  const double inf = std::numeric_limits<double>::infinity();
  const Json value = {{"i", -5}, {"l", int64_t{1} << 60}, {"f", 0.1f}, {"d", 2460234.59},
                      {"b", false}, {"nb", true}, {"ni", nullptr}, {"nl", -7},
                      {"nf", std::nan("")}, {"nd", -inf}, {"nf2", nullptr}, {"nd2", 1e-300},
                      {"s", "a\"b"}, {"ns", nullptr}, {"by", Json::binary({'f', 'o'})},
                      {"e", "G"}, {"a", {1, 2}}, {"rec", {{"x", 18.5f}}}, {"skipped", 1},
                      {"n", nullptr}, {long_name, 3.25}, {"last", 1e-45f}};
  auto schema = ParseOrDie(schema_json);
  ASSERT_NE(schema, nullptr);
  auto datum = EncodeThenDecode(schema, value);
  ASSERT_TRUE(datum.ok()) << datum.status().ToString();
  const Value root = (*datum)->root();

  std::string want = "";
  for (uint32_t i = 0; i < root.FieldCount(); ++i) {
    const Value v = root.FieldAt(i);
    if (v.is_null() || root.node().fields[i].name == "skipped") continue;
    want += ",";
    want += root.node().fields[i].json_key;
    AppendJson(v, &want);
  }
  std::string got = "prefix";
  AppendJsonFieldsSkippingNulls(root, &KeepAllButSkipped, &got);
  EXPECT_EQ(got, "prefix" + want);
  const Json parsed = Json::parse("{" + got.substr(7) + "}", nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << got.substr(0, 400);
  EXPECT_EQ(parsed.size(), 17u);
  EXPECT_FALSE(parsed.contains("ni") || parsed.contains("skipped") || parsed.contains("n"));
  EXPECT_EQ(parsed["nf"], "NaN");
  EXPECT_EQ(parsed["nd"], "-Infinity");
  EXPECT_EQ(parsed["nl"], -7);
  EXPECT_EQ(parsed["l"], int64_t{1} << 60);
  EXPECT_EQ(static_cast<float>(parsed["f"].get<double>()), 0.1f);
  EXPECT_EQ(parsed[long_name], 3.25);
  EXPECT_EQ(static_cast<float>(parsed["last"].get<double>()), 1e-45f);

  std::string all;
  AppendJsonFieldsSkippingNulls(root, nullptr, &all);
  EXPECT_NE(all.find(R"(,"skipped":1)"), std::string::npos);
}

}  // namespace
}  // namespace lantern::codec
