#include "codec/schema.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lantern::codec {
namespace {

using ::testing::HasSubstr;

std::shared_ptr<const Schema> ParseOrDie(std::string_view json,
                                         const std::vector<std::string>& deps = {}) {
  auto parsed = Schema::Parse(json, deps);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? *parsed : nullptr;
}

std::string ParseError(std::string_view json, const std::vector<std::string>& deps = {}) {
  auto parsed = Schema::Parse(json, deps);
  EXPECT_FALSE(parsed.ok()) << "parsed unexpectedly: " << json;
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  return parsed.status().message();
}

TEST(SchemaTest, Primitives) {
  const std::pair<const char*, Type> cases[] = {
      {"null", Type::kNull},     {"boolean", Type::kBoolean}, {"int", Type::kInt},
      {"long", Type::kLong},     {"float", Type::kFloat},     {"double", Type::kDouble},
      {"bytes", Type::kBytes},   {"string", Type::kString},
  };
  for (const auto& [name, type] : cases) {
    const std::string quoted = std::string("\"") + name + "\"";
    auto bare = ParseOrDie(quoted);
    ASSERT_NE(bare, nullptr) << name;
    EXPECT_EQ(bare->root().type, type) << name;
    EXPECT_EQ(TypeName(type), name);
    auto object = ParseOrDie(R"({"type": )" + quoted + "}");
    ASSERT_NE(object, nullptr) << name;
    EXPECT_EQ(object->root().type, type) << name;
  }
}

TEST(SchemaTest, RecordFieldsInOrderWithNameLookup) {
  const std::string text = R"({"type": "record", "name": "candidate", "namespace": "ztf.alert",
    "fields": [{"name": "jd", "type": "double"},
               {"name": "fid", "type": "int", "doc": "filter"},
               {"name": "magpsf", "type": "float"},
               {"name": "isdiffpos", "type": "string"}]})";
  auto s = ParseOrDie(text);
  ASSERT_NE(s, nullptr);
  const Node& root = s->root();
  EXPECT_EQ(root.type, Type::kRecord);
  EXPECT_EQ(root.full_name, "ztf.alert.candidate");
  ASSERT_EQ(root.fields.size(), 4u);
  EXPECT_EQ(root.fields[0].name, "jd");
  EXPECT_EQ(root.fields[0].node->type, Type::kDouble);
  EXPECT_EQ(root.fields[3].name, "isdiffpos");
  EXPECT_EQ(root.fields[3].node->type, Type::kString);
  EXPECT_EQ(root.FieldIndex("magpsf"), 2);
  EXPECT_EQ(root.FieldIndex("jd"), 0);
  EXPECT_EQ(root.FieldIndex("nope"), -1);
  EXPECT_EQ(s->FindNamed("ztf.alert.candidate"), &root);
  EXPECT_EQ(s->text(), text);
}

TEST(SchemaTest, NestedNamedTypesAreReferencedByShortAndFullName) {
  auto s = ParseOrDie(R"({
    "type": "record", "name": "alert", "namespace": "ztf",
    "fields": [
      {"name": "candidate", "type": {"type": "record", "name": "candidate",
        "fields": [{"name": "jd", "type": "double"}]}},
      {"name": "by_short_name", "type": "candidate"},
      {"name": "by_full_name", "type": "ztf.candidate"},
      {"name": "history", "type": ["null", {"type": "array", "items": "candidate"}]}
    ]})");
  ASSERT_NE(s, nullptr);
  const Node* candidate = s->FindNamed("ztf.candidate");
  ASSERT_NE(candidate, nullptr);
  const Node& root = s->root();
  EXPECT_EQ(root.full_name, "ztf.alert");
  EXPECT_EQ(root.fields[0].node, candidate);
  EXPECT_EQ(root.fields[1].node, candidate);
  EXPECT_EQ(root.fields[2].node, candidate);
  const Node* history = root.fields[3].node;
  ASSERT_EQ(history->type, Type::kUnion);
  ASSERT_EQ(history->branches.size(), 2u);
  EXPECT_EQ(history->branches[1]->type, Type::kArray);
  EXPECT_EQ(history->branches[1]->items, candidate);
}

TEST(SchemaTest, NamespacesFollowTheAvroRules) {
  auto s = ParseOrDie(R"({
    "type": "record", "name": "outer", "namespace": "a.b",
    "fields": [
      {"name": "inherits", "type": {"type": "record", "name": "Inner", "fields": []}},
      {"name": "own_namespace", "type": {"type": "record", "name": "Other", "namespace": "x.y",
        "fields": [{"name": "sibling", "type": {"type": "enum", "name": "Kind", "symbols": ["A"]}},
                   {"name": "back", "type": "a.b.Inner"}]}},
      {"name": "dotted", "type": {"type": "fixed", "name": "p.q.Hash", "namespace": "ignored",
                                  "size": 2}},
      {"name": "outside", "type": "x.y.Kind"}
    ]})");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->root().full_name, "a.b.outer");
  EXPECT_NE(s->FindNamed("a.b.Inner"), nullptr);
  ASSERT_NE(s->FindNamed("x.y.Other"), nullptr);
  // A type nested in x.y.Other inherits x.y, not a.b.
  ASSERT_NE(s->FindNamed("x.y.Kind"), nullptr);
  EXPECT_EQ(s->FindNamed("a.b.Kind"), nullptr);
  // A dotted name is already full; "namespace" does not apply.
  ASSERT_NE(s->FindNamed("p.q.Hash"), nullptr);
  EXPECT_EQ(s->FindNamed("ignored.Hash"), nullptr);
  EXPECT_EQ(s->root().fields[3].node, s->FindNamed("x.y.Kind"));
  EXPECT_EQ(s->FindNamed("x.y.Other")->fields[1].node, s->FindNamed("a.b.Inner"));
  // A dotted record name gives its own fields' namespace.
  auto dotted = ParseOrDie(R"({"type": "record", "name": "lsst.v9_0.alert", "fields": [
      {"name": "src", "type": {"type": "record", "name": "diaSource", "fields": []}}]})");
  ASSERT_NE(dotted, nullptr);
  EXPECT_NE(dotted->FindNamed("lsst.v9_0.diaSource"), nullptr);
}

TEST(SchemaTest, EnumsAndFixed) {
  auto s = ParseOrDie(R"({"type": "record", "name": "r", "namespace": "t", "fields": [
      {"name": "band", "type": {"type": "enum", "name": "Band", "symbols": ["u", "g", "r"]}},
      {"name": "hash", "type": {"type": "fixed", "name": "Md5", "size": 16}}]})");
  ASSERT_NE(s, nullptr);
  const Node* band = s->root().fields[0].node;
  EXPECT_EQ(band->type, Type::kEnum);
  EXPECT_EQ(band->full_name, "t.Band");
  EXPECT_EQ(band->symbols, (std::vector<std::string>{"u", "g", "r"}));
  const Node* hash = s->root().fields[1].node;
  EXPECT_EQ(hash->type, Type::kFixed);
  EXPECT_EQ(hash->full_name, "t.Md5");
  EXPECT_EQ(hash->fixed_size, 16u);
}

TEST(SchemaTest, MapsAndArrays) {
  auto map = ParseOrDie(R"({"type": "map", "values": {"type": "array", "items": "long"}})");
  ASSERT_NE(map, nullptr);
  EXPECT_EQ(map->root().type, Type::kMap);
  ASSERT_NE(map->root().items, nullptr);
  EXPECT_EQ(map->root().items->type, Type::kArray);
  EXPECT_EQ(map->root().items->items->type, Type::kLong);
  // The {"type": {...}} wrapping that some writers emit.
  auto wrapped = ParseOrDie(R"({"type": {"type": "array", "items": "string"}})");
  ASSERT_NE(wrapped, nullptr);
  EXPECT_EQ(wrapped->root().type, Type::kArray);
  EXPECT_EQ(wrapped->root().items->type, Type::kString);
}

TEST(SchemaTest, UnionsRecordTheirNullBranch) {
  auto s = ParseOrDie(R"({"type": "record", "name": "r", "fields": [
      {"name": "null_first", "type": ["null", "int"]},
      {"name": "null_second", "type": ["float", "null"]},
      {"name": "no_null", "type": ["int", "string"]},
      {"name": "three", "type": ["string", "null", "long"]}]})");
  ASSERT_NE(s, nullptr);
  const auto& f = s->root().fields;
  EXPECT_EQ(f[0].node->type, Type::kUnion);
  EXPECT_EQ(f[0].node->null_branch, 0);
  EXPECT_EQ(f[0].node->branches[1]->type, Type::kInt);
  EXPECT_EQ(f[1].node->null_branch, 1);
  EXPECT_EQ(f[1].node->branches[0]->type, Type::kFloat);
  EXPECT_EQ(f[2].node->null_branch, -1);
  EXPECT_EQ(f[3].node->null_branch, 1);
  ASSERT_EQ(f[3].node->branches.size(), 3u);
  EXPECT_EQ(f[3].node->branches[2]->type, Type::kLong);
}

TEST(SchemaTest, RecursiveTypes) {
  auto s = ParseOrDie(R"({"type": "record", "name": "LinkedList", "fields": [
      {"name": "value", "type": "long"},
      {"name": "next", "type": ["null", "LinkedList"]},
      {"name": "children", "type": {"type": "array", "items": "LinkedList"}}]})");
  ASSERT_NE(s, nullptr);
  const Node& root = s->root();
  EXPECT_EQ(root.fields[1].node->branches[1], &root);
  EXPECT_EQ(root.fields[2].node->items, &root);
}

TEST(SchemaTest, AcceptsUnionDefaultsThatRealWritersEmit) {
  // ZTF 1.x: a default of null although "float" is the first branch; ZTF 4.01 tooflag:
  // ["null","int"] with default 0. Avro's spec forbids both; real files carry them.
  auto s = ParseOrDie(R"({"type": "record", "name": "candidate", "namespace": "ztf.alert",
    "fields": [{"name": "magnr", "type": ["float", "null"], "default": null},
               {"name": "tooflag", "type": ["null", "int"], "default": 0},
               {"name": "label", "type": "string", "default": 12}]})");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->root().fields.size(), 3u);
  EXPECT_EQ(s->root().fields[1].node->null_branch, 0);
}

TEST(SchemaTest, UnknownTypeNamesTheTypeAndField) {
  const std::string msg = ParseError(R"({"type": "record", "name": "alert", "namespace": "ztf",
      "fields": [{"name": "candidate", "type": "ztf.alert.candidate"}]})");
  EXPECT_THAT(msg, HasSubstr("unknown type \"ztf.alert.candidate\""));
  EXPECT_THAT(msg, HasSubstr("record ztf.alert field candidate"));
  EXPECT_THAT(ParseError("\"integer\""), HasSubstr("unknown type \"integer\""));
  EXPECT_THAT(ParseError(R"({"type": "complex"})"), HasSubstr("unknown type \"complex\""));
}

TEST(SchemaTest, DuplicateFieldIsAnError) {
  EXPECT_THAT(ParseError(R"({"type": "record", "name": "r", "fields": [
      {"name": "a", "type": "int"}, {"name": "a", "type": "long"}]})"),
              HasSubstr("record r: duplicate field a"));
}

TEST(SchemaTest, TypeDefinedTwiceIsAnError) {
  EXPECT_THAT(ParseError(R"({"type": "record", "name": "r", "fields": [
      {"name": "a", "type": {"type": "enum", "name": "E", "symbols": ["X"]}},
      {"name": "b", "type": {"type": "enum", "name": "E", "symbols": ["Y"]}}]})"),
              HasSubstr("type \"E\" defined twice"));
}

TEST(SchemaTest, MalformedJsonIsAnError) {
  EXPECT_THAT(ParseError(R"({"type": "record", "name": "r", "fields": [)"),
              HasSubstr("not valid JSON"));
  EXPECT_THAT(ParseError(""), HasSubstr("not valid JSON"));
}

TEST(SchemaTest, MalformedSchemasAreErrors) {
  EXPECT_THAT(ParseError(R"({"type": "record", "fields": []})"), HasSubstr("record without name"));
  EXPECT_THAT(ParseError(R"({"type": "record", "name": "r"})"),
              HasSubstr("record without fields array"));
  EXPECT_THAT(ParseError(R"({"type": "record", "name": "r", "fields": [{"name": "a"}]})"),
              HasSubstr("record r: malformed field"));
  EXPECT_THAT(ParseError(R"({"type": "enum", "name": "E"})"), HasSubstr("enum without symbols"));
  EXPECT_THAT(ParseError(R"({"type": "enum", "name": "E", "symbols": ["A", 1]})"),
              HasSubstr("bad symbol"));
  EXPECT_THAT(ParseError(R"({"type": "fixed", "name": "F"})"), HasSubstr("fixed without size"));
  EXPECT_THAT(ParseError(R"({"type": "fixed", "name": "F", "size": -1})"),
              HasSubstr("fixed without size"));
  EXPECT_THAT(ParseError(R"({"type": "array"})"), HasSubstr("array without \"items\""));
  EXPECT_THAT(ParseError(R"({"type": "map"})"), HasSubstr("map without \"values\""));
  EXPECT_THAT(ParseError(R"(["null", ["int", "long"]])"),
              HasSubstr("union directly inside a union"));
  EXPECT_THAT(ParseError("[]"), HasSubstr("empty union"));
  EXPECT_THAT(ParseError(R"({"name": "x"})"), HasSubstr("without \"type\""));
  EXPECT_THAT(ParseError("42"), HasSubstr("neither string, array nor object"));
}

TEST(SchemaTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep;
  for (int i = 0; i < 1000; ++i) deep += R"({"type": "array", "items": )";
  deep += "\"int\"";
  for (int i = 0; i < 1000; ++i) deep += "}";
  EXPECT_THAT(ParseError(deep), HasSubstr("nested too deeply"));
}

// A folder of one-file-per-type .avsc, as Rubin ships them: the top-level file refers to the
// others by full name, and the others refer to each other.
const char kRubinAlert[] = R"({"namespace": "lsst.v9_0", "type": "record", "name": "alert",
  "fields": [{"name": "diaSourceId", "type": "long"},
             {"name": "diaSource", "type": "lsst.v9_0.diaSource"},
             {"name": "prvDiaSources",
              "type": ["null", {"type": "array", "items": "lsst.v9_0.diaSource"}]},
             {"name": "diaObject", "type": ["null", "diaObject"]}]})";
const char kRubinSource[] = R"({"namespace": "lsst.v9_0", "type": "record", "name": "diaSource",
  "fields": [{"name": "diaSourceId", "type": "long"},
             {"name": "flags", "type": "lsst.v9_0.flagSet"}]})";
const char kRubinFlags[] = R"({"namespace": "lsst.v9_0", "type": "record", "name": "flagSet",
  "fields": [{"name": "isNegative", "type": "boolean"}]})";
const char kRubinObject[] = R"({"namespace": "lsst.v9_0", "type": "record", "name": "diaObject",
  "fields": [{"name": "diaObjectId", "type": "long"}]})";

TEST(SchemaTest, DependenciesAreParsedOnDemandInAnyOrder) {
  // The dependency of a dependency (flagSet) comes last; diaObject is named by short name.
  auto s = ParseOrDie(kRubinAlert, {kRubinObject, kRubinSource, kRubinFlags});
  ASSERT_NE(s, nullptr);
  const Node* source = s->FindNamed("lsst.v9_0.diaSource");
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(s->root().fields[1].node, source);
  EXPECT_EQ(s->root().fields[2].node->branches[1]->items, source);  // parsed once, shared
  ASSERT_NE(s->FindNamed("lsst.v9_0.flagSet"), nullptr);
  EXPECT_EQ(source->fields[1].node, s->FindNamed("lsst.v9_0.flagSet"));
  EXPECT_EQ(s->root().fields[3].node->branches[1], s->FindNamed("lsst.v9_0.diaObject"));
}

TEST(SchemaTest, UnreferencedDependenciesAreNotParsed) {
  // Rubin folders hold ssObject.avsc, which alert.avsc does not use; a broken unused file
  // must not stop the schema from loading.
  const char kBroken[] = R"({"namespace": "lsst.v9_0", "type": "record", "name": "ssObject",
    "fields": [{"name": "x", "type": "no.such.Type"}]})";
  auto s = ParseOrDie(kRubinAlert, {kRubinSource, kRubinFlags, kRubinObject, kBroken});
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->FindNamed("lsst.v9_0.ssObject"), nullptr);
}

TEST(SchemaTest, MissingDependencyIsAnError) {
  EXPECT_THAT(ParseError(kRubinAlert, {kRubinSource, kRubinObject}),
              HasSubstr("unknown type \"lsst.v9_0.flagSet\""));
}

TEST(SchemaTest, DependencyThatIsNotJsonIsAnError) {
  EXPECT_THAT(ParseError(kRubinAlert, {"{not json"}), HasSubstr("dependency"));
}

TEST(SchemaTest, TopLevelAttributes) {
  auto ztf = ParseOrDie(R"({"namespace": "ztf", "type": "record", "name": "alert",
      "doc": "avro alert schema for ZTF", "version": "4.02", "fields": []})");
  ASSERT_NE(ztf, nullptr);
  EXPECT_EQ(ztf->Attribute("version"), "4.02");
  EXPECT_EQ(ztf->Attribute("doc"), "avro alert schema for ZTF");
  EXPECT_EQ(ztf->Attribute("missing"), "");
  // Some writers give the version as a JSON number.
  auto numeric = ParseOrDie(R"({"type": "record", "name": "alert", "version": 3.3, "fields": []})");
  ASSERT_NE(numeric, nullptr);
  EXPECT_EQ(numeric->Attribute("version"), "3.3");
  auto primitive = ParseOrDie("\"long\"");
  ASSERT_NE(primitive, nullptr);
  EXPECT_EQ(primitive->Attribute("version"), "");
}

TEST(SchemaTest, RecordWithNoFiniteValueIsRejectedQuickly) {
  // A record that contains itself with no null or array branch cannot be encoded at all; a
  // hostile container header with such a schema must fail at once, not spin.
  EXPECT_THAT(ParseError(R"({"type":"record","name":"A","fields":[{"name":"x","type":"int"},)"
                         R"({"name":"a","type":"A"}]})"),
              HasSubstr("no finite value"));
}

TEST(SchemaTest, MinimumEncodedSizeOfRecursiveList) {
  auto s = ParseOrDie(R"({"type":"record","name":"Node","fields":[{"name":"v","type":"double"},)"
                      R"({"name":"next","type":["null","Node"]}]})");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->root().min_bytes, 9u);  // 8-byte double + the null branch byte
}


}  // namespace
}  // namespace lantern::codec
