#include "survey/lantern_schema.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "codec/json_encoder.h"
#include "codec/packet.h"
#include "survey/mapper.h"

namespace lantern::survey {
namespace {

using Json = nlohmann::json;

std::shared_ptr<const codec::Schema> ParseOrDie(std::string_view text) {
  auto s = codec::Schema::Parse(text);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : nullptr;
}

Json Detection(int64_t id, double mjd) {
  return {{"sourceId", id}, {"mjd", mjd}, {"ra", 150.25}, {"dec", -2.5}, {"band", "r"},
          {"flux", 1250.0}, {"fluxErr", 40.0}, {"mag", 23.66}, {"magErr", 0.035},
          {"isPositive", true}, {"reliability", 0.9}};
}

TEST(LanternSchemaTest, BothSchemasParseWithVersionOne) {
  for (std::string_view text : {LanternAlertSchema(), LanternEnrichedSchema()}) {
    auto s = ParseOrDie(text);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->Attribute("version"), "1.0");
    EXPECT_GE(s->root().FieldIndex("detection"), 0);
  }
  // The published alert carries cutout references, never cutout bytes.
  auto enriched = ParseOrDie(LanternEnrichedSchema());
  EXPECT_LT(enriched->root().FieldIndex("cutoutScience"), 0);
  EXPECT_GE(enriched->root().FieldIndex("cutouts"), 0);
}

TEST(LanternSchemaTest, EnrichedAlertIsReadableByLanternItself) {
  auto schema = ParseOrDie(LanternEnrichedSchema());
  ASSERT_NE(schema, nullptr);
  const Json alert = {
      {"survey", "lsst"}, {"schemaVersion", "11.1"}, {"alertId", 42}, {"objectId", "1700"},
      {"detection", Detection(42, 61000.5)},
      {"prvDetections", Json::array({Detection(40, 60990.5), Detection(41, 60995.5)})},
      {"forcedPhot", Json::array({{{"sourceId", 7}, {"mjd", 60980.5}, {"band", "g"},
                                    {"flux", -3.0}, {"fluxErr", 20.0}}})},
      {"nonDetections", Json::array()},
      {"cutouts", Json::array({{{"kind", "science"}, {"format", "fits"}, {"bytes", 14400},
                                {"ref", "cutouts/42/science"}}})},
      {"features", {{"nDiaSources", 3}, {"latestR", nullptr}}},
      {"annotations", {{"sherlock", "{\"class\":\"SN\"}"}}}};
  auto datum_bytes = codec::EncodeJsonDatum(*schema, alert);
  ASSERT_TRUE(datum_bytes.ok()) << datum_bytes.status().ToString();

  codec::SchemaCache cache;
  codec::PacketDecoder packets(&cache, nullptr);
  auto record = packets.DecodeBare(schema, std::make_shared<const std::string>(*datum_bytes));
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  SurveyMapper mapper;
  auto mapped = mapper.Map(record->datum);
  ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
  EXPECT_EQ(mapped->survey, alert::Survey::kLsst);
  EXPECT_EQ(mapped->alert_id, 42);
  EXPECT_EQ(mapped->object_id, "1700");
  EXPECT_EQ(mapped->schema_version, "11.1");
  EXPECT_DOUBLE_EQ(mapped->detection.mjd, 61000.5);
  EXPECT_DOUBLE_EQ(mapped->detection.flux, 1250.0);
  ASSERT_EQ(mapped->prv_detections.size(), 2u);
  EXPECT_EQ(mapped->prv_detections[1].source_id, 41);
  ASSERT_EQ(mapped->forced.size(), 1u);
  EXPECT_DOUBLE_EQ(mapped->forced[0].flux, -3.0);
  EXPECT_TRUE(mapped->cutouts.empty());  // references only
  const auto features = mapped->raw.Get("features");
  ASSERT_TRUE(features.has_value());
  EXPECT_EQ(features->kind, alert::FieldKind::kMap);
  EXPECT_EQ(features->size, 2u);
}

}  // namespace
}  // namespace lantern::survey
