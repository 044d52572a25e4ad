// Parsing Canonical Form and CRC-64-AVRO fingerprints checked against fastavro 1.9.7
// (fastavro.schema.fingerprint(to_parsing_canonical_form(schema), "CRC-64-AVRO")) on a
// hand-written schema that exercises every PCF rule and on real survey schemas from
// ../shared/data: schema folders (types split over files) and the writer schemas in the
// headers of real alert files. fastavro prints the fingerprint's 8 little-endian bytes as hex.
#include "codec/canonical_form.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "codec/container.h"
#include "codec/test_data.h"
#include "core/file.h"

namespace lantern::codec {
namespace {

std::string SchemaFingerprintHex(const Schema& schema) {
  return FingerprintHex(AvroFingerprint64(CanonicalForm(schema)));
}

TEST(CanonicalForm, PrimitivesAndTheirFingerprints) {
  auto null_schema = Schema::Parse(R"("null")");
  ASSERT_TRUE(null_schema.ok());
  EXPECT_EQ(CanonicalForm(**null_schema), R"("null")");
  EXPECT_EQ(AvroFingerprint64(R"("null")"), 0x63dd24e7cc258f8aull);
  auto int_schema = Schema::Parse(R"({"type": "int", "logicalType": "date"})");
  ASSERT_TRUE(int_schema.ok());
  EXPECT_EQ(CanonicalForm(**int_schema), R"("int")");
  EXPECT_EQ(SchemaFingerprintHex(**int_schema), "8f5c393f1ad57572");
}

TEST(CanonicalForm, StripsAttributesUsesFullNamesAndOrdersKeys) {
  const char* text = R"({"type": "record", "name": "r", "namespace": "a.b", "doc": "x",
    "aliases": ["q"], "fields": [
      {"name": "f", "type": {"type": "int", "logicalType": "date"}, "default": 3, "doc": "d"},
      {"name": "e", "type": {"symbols": ["A", "B"], "type": "enum", "name": "E", "default": "A"}},
      {"name": "g", "type": {"size": 4, "type": "fixed", "name": "c.F"}},
      {"name": "h", "type": ["null", "E", {"values": "c.F", "type": "map"},
                             {"items": "a.b.r", "type": "array"}]}]})";
  auto schema = Schema::Parse(text);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_EQ(CanonicalForm(**schema),
            R"({"name":"a.b.r","type":"record","fields":[{"name":"f","type":"int"},)"
            R"({"name":"e","type":{"name":"a.b.E","type":"enum","symbols":["A","B"]}},)"
            R"({"name":"g","type":{"name":"c.F","type":"fixed","size":4}},)"
            R"({"name":"h","type":["null","a.b.E",{"type":"map","values":"c.F"},)"
            R"({"type":"array","items":"a.b.r"}]}]})");
  EXPECT_EQ(SchemaFingerprintHex(**schema), "0bc95579f9c40b40");
}

class RealSchemaFingerprints : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test_data::SharedDataDir();
    ASSERT_FALSE(dir_.empty()) << "LANTERN_SHARED_DATA is not set (ctest sets it)";
  }
  // A schema folder: `main` refers to the types the other .avsc files define.
  std::string FolderFingerprint(const std::string& folder, const std::string& main) {
    std::vector<std::string> deps;
    std::string root;
    for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/" + folder)) {
      auto text = ReadFile(entry.path().string());
      EXPECT_TRUE(text.ok()) << entry.path();
      if (entry.path().filename() == main) {
        root = *text;
      } else {
        deps.push_back(*text);
      }
    }
    auto schema = Schema::Parse(root, deps);
    EXPECT_TRUE(schema.ok()) << folder << ": " << schema.status().ToString();
    return schema.ok() ? SchemaFingerprintHex(**schema) : "";
  }
  // The writer schema in an alert file's container header.
  std::string FileFingerprint(const std::string& file) {
    auto bytes = test_data::ReadShared(dir_ + "/" + file);
    EXPECT_TRUE(bytes.ok()) << file;
    if (!bytes.ok()) return "";
    auto reader = ContainerReader::Open(*bytes);
    EXPECT_TRUE(reader.ok()) << file;
    if (!reader.ok()) return "";
    auto schema = Schema::Parse(reader->header().schema_json);
    EXPECT_TRUE(schema.ok()) << file;
    return schema.ok() ? SchemaFingerprintHex(**schema) : "";
  }
  std::string dir_;
};

TEST_F(RealSchemaFingerprints, SchemaFoldersMatchFastavro) {
  EXPECT_EQ(FolderFingerprint("ztf/schema/v4.02", "alert.avsc"), "bc101b0befbc8242");
  EXPECT_EQ(FolderFingerprint("ztf/schema/v3.3", "alert.avsc"), "6f8763a52c16544c");
  EXPECT_EQ(FolderFingerprint("lsst/schema/7.0", "lsst.v7_0.alert.avsc"), "671d865c97f47ef2");
  EXPECT_EQ(FolderFingerprint("lsst/schema/9.0", "lsst.v9_0.alert.avsc"), "488ff07630c1d890");
  EXPECT_EQ(FolderFingerprint("lsst/schema/11.1", "lsst.v11_1.alert.avsc"), "a960816bc1c3d70c");
}

TEST_F(RealSchemaFingerprints, ContainerHeaderSchemasMatchFastavro) {
  const std::pair<const char*, const char*> cases[] = {
      {"ztf/alerts/native/ztf-avro-alert/data/472263571115090000.avro", "048718b45e8f3e4f"},
      // ZTF 3.3 as written by ZTF: the same schema as the v3.3 folder.
      {"ztf/alerts/native/ztf-avro-alert/data/472263571115115000.avro", "6f8763a52c16544c"},
      {"ztf/alerts/fink_spark/2481114531315015022.avro", "f524f027f96cfc9f"},
      {"lsst/alerts/fink_client/part-2-918301.avro", "c9a3e13bf897b361"},
      {"lsst/alerts/fink_broker_rubin_test_data_7_4_avro/"
       "58804328047050795_58804328047050795.avro",
       "2dc9aff357b920fd"},
  };
  for (const auto& [file, want] : cases) EXPECT_EQ(FileFingerprint(file), want) << file;
}

}  // namespace
}  // namespace lantern::codec
