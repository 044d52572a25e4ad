#include "survey/mapper.h"

#include <cmath>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "codec/decoder.h"
#include "codec/json_encoder.h"
#include "codec/schema.h"

namespace lantern::survey {
namespace {

using ::testing::HasSubstr;
using alert::Alert;
using alert::CutoutKind;
using alert::Survey;
using Json = nlohmann::json;

// flux (nJy) = 10^((31.4 - mag) / 2.5), computed independently of units.h.
double Njy(double mag) { return std::pow(10.0, (31.4 - mag) / 2.5); }

// Relative comparison for values spanning many decades.
void ExpectClose(double actual, double expected, const char* what) {
  EXPECT_NEAR(actual, expected, std::fabs(expected) * 1e-6 + 1e-9) << what;
}

class MapperTest : public ::testing::Test {
 protected:
  // Encodes `value` with `schema_json` and decodes it into a Datum.
  std::shared_ptr<const codec::Datum> Packet(const std::string& schema_json, const Json& value) {
    auto schema = codec::Schema::Parse(schema_json);
    EXPECT_TRUE(schema.ok()) << schema.status().ToString();
    if (!schema.ok()) return nullptr;
    auto bytes = codec::EncodeJsonDatum(**schema, value);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    if (!bytes.ok()) return nullptr;
    auto storage = std::make_shared<const std::string>(std::move(bytes).value());
    auto datum = decoder_.Decode(*schema, storage, *storage);
    EXPECT_TRUE(datum.ok()) << datum.status().ToString();
    return datum.ok() ? *datum : nullptr;
  }

  Alert MapOrDie(const std::string& schema_json, const Json& value, int32_t schema_id = -1) {
    auto datum = Packet(schema_json, value);
    if (!datum) return {};
    auto mapped = mapper_.Map(datum, schema_id);
    EXPECT_TRUE(mapped.ok()) << mapped.status().ToString();
    return mapped.ok() ? std::move(mapped).value() : Alert{};
  }

  std::string MapError(const std::string& schema_json, const Json& value) {
    auto datum = Packet(schema_json, value);
    if (!datum) return "<no datum>";
    auto mapped = mapper_.Map(datum);
    EXPECT_FALSE(mapped.ok());
    if (mapped.ok()) return "";
    EXPECT_EQ(mapped.status().code(), StatusCode::kInvalidArgument);
    return mapped.status().message();
  }

  codec::Decoder decoder_;
  SurveyMapper mapper_;
};

// --- ZTF -------------------------------------------------------------------------------------

// A cut-down ZTF 4.x alert: the fields the mapper reads, with ZTF's types and nesting.
const char kZtfSchema[] = R"({
  "namespace": "ztf", "type": "record", "name": "alert", "version": "4.02",
  "fields": [
    {"name": "schemavsn", "type": "string"},
    {"name": "objectId", "type": "string"},
    {"name": "candid", "type": "long"},
    {"name": "candidate", "type": {"type": "record", "name": "candidate", "namespace": "ztf.alert",
      "fields": [
        {"name": "jd", "type": "double"}, {"name": "fid", "type": "int"},
        {"name": "candid", "type": "long"},
        {"name": "ra", "type": "double"}, {"name": "dec", "type": "double"},
        {"name": "magpsf", "type": "float"}, {"name": "sigmapsf", "type": "float"},
        {"name": "isdiffpos", "type": "string"},
        {"name": "rb", "type": ["null", "float"], "default": null},
        {"name": "drb", "type": ["null", "float"], "default": null}]}},
    {"name": "prv_candidates", "type": ["null", {"type": "array", "items": {
      "type": "record", "name": "prv_candidate", "namespace": "ztf.alert", "fields": [
        {"name": "jd", "type": "double"}, {"name": "fid", "type": "int"},
        {"name": "candid", "type": ["null", "long"]},
        {"name": "magpsf", "type": ["null", "float"]},
        {"name": "sigmapsf", "type": ["null", "float"]},
        {"name": "isdiffpos", "type": ["null", "string"]},
        {"name": "diffmaglim", "type": ["null", "float"]}]}}], "default": null},
    {"name": "fp_hists", "type": ["null", {"type": "array", "items": {
      "type": "record", "name": "fp_hist", "namespace": "ztf.alert", "fields": [
        {"name": "jd", "type": "double"}, {"name": "fid", "type": "int"},
        {"name": "magzpsci", "type": ["null", "float"]},
        {"name": "forcediffimflux", "type": ["null", "float"]},
        {"name": "forcediffimfluxunc", "type": ["null", "float"]}]}}], "default": null},
    {"name": "cutoutScience", "type": ["null", {"type": "record", "name": "cutout",
      "namespace": "ztf.alert", "fields": [{"name": "fileName", "type": "string"},
                                         {"name": "stampData", "type": "bytes"}]}]},
    {"name": "cutoutTemplate", "type": ["null", "ztf.alert.cutout"]},
    {"name": "cutoutDifference", "type": ["null", "ztf.alert.cutout"]}
  ]})";

Json ZtfCandidate() {
  return {{"jd", 2460234.59}, {"fid", 2}, {"candid", 2480088313915010007},
          {"ra", 150.25}, {"dec", -2.5}, {"magpsf", 18.5}, {"sigmapsf", 0.05},
          {"isdiffpos", "t"}, {"rb", 0.75}, {"drb", 0.99}};
}

Json ZtfAlert() {
  return {{"schemavsn", "4.02"},
          {"objectId", "ZTF21aapuacc"},
          {"candid", 2480088313915010007},
          {"candidate", ZtfCandidate()},
          {"prv_candidates",
           {{{"jd", 2460230.5}, {"fid", 1}, {"candid", 2476000000000000001}, {"magpsf", 19.0},
             {"sigmapsf", 0.1}, {"isdiffpos", "f"}, {"diffmaglim", 20.4}},
            {{"jd", 2460231.5}, {"fid", 3}, {"candid", nullptr}, {"magpsf", nullptr},
             {"sigmapsf", nullptr}, {"isdiffpos", nullptr}, {"diffmaglim", 20.5}}}},
          {"fp_hists",
           {{{"jd", 2460229.5}, {"fid", 2}, {"magzpsci", 26.0}, {"forcediffimflux", 150.0},
             {"forcediffimfluxunc", 12.0}},
            {{"jd", 2460228.5}, {"fid", 1}, {"magzpsci", 26.0}, {"forcediffimflux", -99999.0},
             {"forcediffimfluxunc", -99999.0}},
            {{"jd", 2460227.5}, {"fid", 1}, {"magzpsci", nullptr}, {"forcediffimflux", nullptr},
             {"forcediffimfluxunc", nullptr}}}},
          {"cutoutScience",
           {{"fileName", "candid2480088313915010007_pid1_targ_sci.fits.gz"},
            {"stampData", Json::binary({0x1f, 0x8b, 0x08, 0x00})}}},
          {"cutoutTemplate", nullptr},
          {"cutoutDifference",
           {{"fileName", "diff.fits.gz"}, {"stampData", Json::binary({0x1f, 0x8b, 0x08, 0x01})}}}};
}

TEST_F(MapperTest, ZtfAlertLevelFields) {
  const Alert a = MapOrDie(kZtfSchema, ZtfAlert());
  EXPECT_EQ(a.survey, Survey::kZtf);
  EXPECT_EQ(a.schema_version, "4.02");
  EXPECT_EQ(a.object_id, "ZTF21aapuacc");
  EXPECT_EQ(a.alert_id, 2480088313915010007);
  ASSERT_NE(a.packet, nullptr);
}

TEST_F(MapperTest, ZtfDetectionInSurveyNeutralUnits) {
  const Alert a = MapOrDie(kZtfSchema, ZtfAlert());
  const alert::Detection& d = a.detection;
  EXPECT_EQ(d.source_id, 2480088313915010007);
  EXPECT_NEAR(d.mjd, 2460234.59 - 2400000.5, 1e-9);
  EXPECT_EQ(d.band, "r");
  EXPECT_EQ(d.ra, 150.25);
  EXPECT_EQ(d.dec, -2.5);
  EXPECT_EQ(d.mag, 18.5);
  EXPECT_NEAR(d.mag_err, 0.05, 1e-7);
  EXPECT_TRUE(d.is_positive);
  ExpectClose(d.flux, Njy(18.5), "flux");
  ExpectClose(d.flux_err, Njy(18.5) * std::log(10.0) / 2.5 * static_cast<double>(0.05f),
              "flux_err");
  EXPECT_NEAR(d.reliability, 0.99, 1e-6);  // drb preferred over rb
  ASSERT_TRUE(d.raw.valid());
  EXPECT_EQ(d.raw.GetDouble("magpsf"), 18.5);
  ASSERT_TRUE(d.raw.Get("isdiffpos").has_value());
  EXPECT_EQ(d.raw.Get("isdiffpos")->s, "t");
}

TEST_F(MapperTest, ZtfReliabilityFallsBackToRb) {
  Json v = ZtfAlert();
  v["candidate"]["drb"] = nullptr;
  EXPECT_NEAR(MapOrDie(kZtfSchema, v).detection.reliability, 0.75, 1e-6);
}

TEST_F(MapperTest, ZtfNegativeDifferenceHasNegativeFlux) {
  for (const char* negative : {"f", "0"}) {
    Json v = ZtfAlert();
    v["candidate"]["isdiffpos"] = negative;
    const Alert a = MapOrDie(kZtfSchema, v);
    EXPECT_FALSE(a.detection.is_positive) << negative;
    ExpectClose(a.detection.flux, -Njy(18.5), negative);
    EXPECT_GT(a.detection.flux_err, 0) << negative;
  }
  for (const char* positive : {"t", "1"}) {
    Json v = ZtfAlert();
    v["candidate"]["isdiffpos"] = positive;
    const Alert a = MapOrDie(kZtfSchema, v);
    EXPECT_TRUE(a.detection.is_positive) << positive;
    EXPECT_GT(a.detection.flux, 0) << positive;
  }
}

TEST_F(MapperTest, ZtfFilterIdsToBands) {
  const std::pair<int, const char*> cases[] = {{1, "g"}, {2, "r"}, {3, "i"}, {9, ""}};
  for (const auto& [fid, band] : cases) {
    Json v = ZtfAlert();
    v["candidate"]["fid"] = fid;
    EXPECT_EQ(MapOrDie(kZtfSchema, v).detection.band, band) << fid;
  }
}

TEST_F(MapperTest, ZtfPrvCandidatesSplitIntoDetectionsAndNonDetections) {
  const Alert a = MapOrDie(kZtfSchema, ZtfAlert());
  ASSERT_EQ(a.prv_detections.size(), 1u);
  const alert::Detection& p = a.prv_detections[0];
  EXPECT_EQ(p.source_id, 2476000000000000001);
  EXPECT_NEAR(p.mjd, 2460230.5 - 2400000.5, 1e-9);
  EXPECT_EQ(p.band, "g");
  EXPECT_FALSE(p.is_positive);
  ExpectClose(p.flux, -Njy(19.0), "prv flux");

  ASSERT_EQ(a.nondetections.size(), 1u);
  const alert::NonDetection& n = a.nondetections[0];
  EXPECT_NEAR(n.mjd, 2460231.5 - 2400000.5, 1e-9);
  EXPECT_EQ(n.band, "i");
  EXPECT_NEAR(n.limiting_mag, 20.5, 1e-6);
  ExpectClose(n.limiting_flux, Njy(static_cast<double>(20.5f)), "limiting flux");
  EXPECT_TRUE(n.raw.valid());
}

TEST_F(MapperTest, ZtfForcedPhotometryScaledByZeroPoint) {
  const Alert a = MapOrDie(kZtfSchema, ZtfAlert());
  ASSERT_EQ(a.forced.size(), 3u);
  // forcediffimflux is in DN at zero point magzpsci: nJy = DN * 10^((31.4 - magzpsci) / 2.5).
  const alert::ForcedPhot& f = a.forced[0];
  EXPECT_NEAR(f.mjd, 2460229.5 - 2400000.5, 1e-9);
  EXPECT_EQ(f.band, "r");
  ExpectClose(f.flux, 150.0 * Njy(26.0), "forced flux");
  ExpectClose(f.flux_err, 12.0 * Njy(26.0), "forced flux_err");
  EXPECT_EQ(f.source_id, 0);
  // -99999 means "not measured"; a missing zero point or flux gives no flux either.
  EXPECT_TRUE(std::isnan(a.forced[1].flux));
  EXPECT_TRUE(std::isnan(a.forced[1].flux_err));
  EXPECT_TRUE(std::isnan(a.forced[2].flux));
  EXPECT_TRUE(std::isnan(a.forced[2].flux_err));
}

TEST_F(MapperTest, ZtfCutoutsWithNamesAndFormat) {
  const Alert a = MapOrDie(kZtfSchema, ZtfAlert());
  ASSERT_EQ(a.cutouts.size(), 2u);  // the template is null
  const alert::Cutout* sci = a.FindCutout(CutoutKind::kScience);
  ASSERT_NE(sci, nullptr);
  EXPECT_EQ(sci->format, alert::CutoutFormat::kFitsGzip);
  EXPECT_EQ(sci->file_name, "candid2480088313915010007_pid1_targ_sci.fits.gz");
  EXPECT_EQ(sci->bytes, std::string_view("\x1f\x8b\x08\x00", 4));
  EXPECT_EQ(a.FindCutout(CutoutKind::kTemplate), nullptr);
  ASSERT_NE(a.FindCutout(CutoutKind::kDifference), nullptr);
  EXPECT_EQ(a.FindCutout(CutoutKind::kDifference)->file_name, "diff.fits.gz");
}

TEST_F(MapperTest, ZtfWithoutHistoryOrCutouts) {
  Json v = ZtfAlert();
  v["prv_candidates"] = nullptr;
  v["fp_hists"] = nullptr;
  v["cutoutScience"] = nullptr;
  v["cutoutDifference"] = nullptr;
  const Alert a = MapOrDie(kZtfSchema, v);
  EXPECT_TRUE(a.prv_detections.empty());
  EXPECT_TRUE(a.nondetections.empty());
  EXPECT_TRUE(a.forced.empty());
  EXPECT_TRUE(a.cutouts.empty());
}

// Fink's Spark re-serialisation: the top record is "topLevelRecord", there is no version
// attribute, and every field, nested ones too, is a ["type", "null"] union.
const char kSparkSchema[] = R"({
  "type": "record", "name": "topLevelRecord",
  "fields": [
    {"name": "candid", "type": ["long", "null"]},
    {"name": "schemavsn", "type": ["string", "null"]},
    {"name": "objectId", "type": ["string", "null"]},
    {"name": "candidate", "type": [{"type": "record", "name": "candidate",
      "namespace": "topLevelRecord", "fields": [
        {"name": "jd", "type": ["double", "null"]}, {"name": "fid", "type": ["int", "null"]},
        {"name": "candid", "type": ["long", "null"]},
        {"name": "ra", "type": ["double", "null"]}, {"name": "dec", "type": ["double", "null"]},
        {"name": "magpsf", "type": ["float", "null"]},
        {"name": "sigmapsf", "type": ["float", "null"]},
        {"name": "isdiffpos", "type": ["string", "null"]},
        {"name": "rb", "type": ["float", "null"]}]}, "null"]},
    {"name": "prv_candidates", "type": [{"type": "array", "items": [{"type": "record",
      "name": "prv_candidates", "namespace": "topLevelRecord", "fields": [
        {"name": "jd", "type": ["double", "null"]}, {"name": "fid", "type": ["int", "null"]},
        {"name": "candid", "type": ["long", "null"]},
        {"name": "magpsf", "type": ["float", "null"]},
        {"name": "isdiffpos", "type": ["string", "null"]},
        {"name": "diffmaglim", "type": ["float", "null"]}]}, "null"]}, "null"]},
    {"name": "cutoutScience", "type": [{"type": "record", "name": "cutoutScience",
      "namespace": "topLevelRecord", "fields": [
        {"name": "fileName", "type": ["string", "null"]},
        {"name": "stampData", "type": ["bytes", "null"]}]}, "null"]}
  ]})";

TEST_F(MapperTest, SparkTopLevelRecordWithUnionFieldsMapsByName) {
  Json cand = ZtfCandidate();
  cand.erase("drb");
  const Json v = {
      {"candid", 2480088313915010007},
      {"schemavsn", "4.02"},
      {"objectId", "ZTF23abcdefg"},
      {"candidate", cand},
      {"prv_candidates",
       {{{"jd", 2460230.5}, {"fid", 1}, {"candid", 11}, {"magpsf", 19.0}, {"isdiffpos", "t"},
         {"diffmaglim", 20.0}},
        {{"jd", 2460231.5}, {"fid", 2}, {"candid", nullptr}, {"magpsf", nullptr},
         {"isdiffpos", nullptr}, {"diffmaglim", 20.25}}}},
      {"cutoutScience", {{"fileName", "sci.fits.gz"}, {"stampData", Json::binary({0x1f, 0x8b})}}}};
  const Alert a = MapOrDie(kSparkSchema, v);
  EXPECT_EQ(a.survey, Survey::kZtf);
  EXPECT_EQ(a.schema_version, "4.02");  // from the schemavsn field
  EXPECT_EQ(a.object_id, "ZTF23abcdefg");
  EXPECT_EQ(a.alert_id, 2480088313915010007);
  EXPECT_NEAR(a.detection.mjd, 60234.09, 1e-6);
  EXPECT_EQ(a.detection.band, "r");
  ExpectClose(a.detection.flux, Njy(18.5), "flux");
  EXPECT_NEAR(a.detection.reliability, 0.75, 1e-6);
  ASSERT_EQ(a.prv_detections.size(), 1u);
  EXPECT_EQ(a.prv_detections[0].source_id, 11);
  ASSERT_EQ(a.nondetections.size(), 1u);
  EXPECT_NEAR(a.nondetections[0].limiting_mag, 20.25, 1e-6);
  ASSERT_EQ(a.cutouts.size(), 1u);
  EXPECT_EQ(a.cutouts[0].file_name, "sci.fits.gz");
  EXPECT_EQ(a.cutouts[0].format, alert::CutoutFormat::kFitsGzip);
}

TEST_F(MapperTest, ZtfWithNullCandidateIsAnError) {
  const Json v = {{"candid", 1}, {"schemavsn", "4.02"}, {"objectId", "ZTF23abcdefg"},
                  {"candidate", nullptr}, {"prv_candidates", nullptr}, {"cutoutScience", nullptr}};
  EXPECT_THAT(MapError(kSparkSchema, v), HasSubstr("ZTF packet without a candidate record"));
}

// --- Rubin -----------------------------------------------------------------------------------

// The Rubin shapes: "lsst.vM_m" namespaces, diaSource a plain record, history arrays and
// diaObject in ["null", ...] unions, cutouts as ["null","bytes"].
std::string RubinSchema(const std::string& ns, const std::string& id_field,
                        const std::string& negative_field) {
  return R"({"namespace": ")" + ns + R"(", "type": "record", "name": "alert", "fields": [
    {"name": ")" + id_field + R"(", "type": "long"},
    {"name": "diaSource", "type": {"type": "record", "name": "diaSource", "fields": [
      {"name": "diaSourceId", "type": "long"},
      {"name": "diaObjectId", "type": ["null", "long"], "default": null},
      {"name": "ssObjectId", "type": ["null", "long"], "default": null},
      {"name": "midpointMjdTai", "type": "double"},
      {"name": "ra", "type": "double"}, {"name": "dec", "type": "double"},
      {"name": "band", "type": ["null", "string"], "default": null},
      {"name": "psfFlux", "type": ["null", "float"], "default": null},
      {"name": "psfFluxErr", "type": ["null", "float"], "default": null},
      {"name": ")" + negative_field + R"(", "type": ["null", "boolean"], "default": null},
      {"name": "reliability", "type": ["null", "float"], "default": null}]}},
    {"name": "prvDiaSources", "type": ["null", {"type": "array", "items": "diaSource"}],
     "default": null},
    {"name": "prvDiaForcedSources", "type": ["null", {"type": "array", "items": {
      "type": "record", "name": "diaForcedSource", "fields": [
        {"name": "diaForcedSourceId", "type": "long"},
        {"name": "midpointMjdTai", "type": "double"},
        {"name": "band", "type": ["null", "string"]},
        {"name": "psfFlux", "type": ["null", "float"]},
        {"name": "psfFluxErr", "type": ["null", "float"]}]}}], "default": null},
    {"name": "prvDiaNondetectionLimits", "type": ["null", {"type": "array", "items": {
      "type": "record", "name": "diaNondetectionLimit", "fields": [
        {"name": "midpointMjdTai", "type": "double"},
        {"name": "band", "type": "string"},
        {"name": "diaNoise", "type": "float"}]}}], "default": null},
    {"name": "diaObject", "type": ["null", {"type": "record", "name": "diaObject", "fields": [
      {"name": "diaObjectId", "type": "long"}]}], "default": null},
    {"name": "cutoutDifference", "type": ["null", "bytes"], "default": null},
    {"name": "cutoutScience", "type": ["null", "bytes"], "default": null},
    {"name": "cutoutTemplate", "type": ["null", "bytes"], "default": null}
  ]})";
}

Json DiaSource(int64_t id, double mjd, double flux) {
  return {{"diaSourceId", id}, {"diaObjectId", 170000000000000042}, {"midpointMjdTai", mjd},
          {"ra", 351.57}, {"dec", 0.126}, {"band", "i"}, {"psfFlux", flux},
          {"psfFluxErr", 125.0}, {"reliability", 0.875}};
}

Json RubinAlert(const std::string& id_field) {
  return {{id_field, 281323062375219200},
          {"diaSource", DiaSource(281323062375219200, 60902.99, 5000.0)},
          {"prvDiaSources", {DiaSource(281323062375219100, 60900.5, 2500.0)}},
          {"prvDiaForcedSources",
           {{{"diaForcedSourceId", 9001}, {"midpointMjdTai", 60899.5}, {"band", "r"},
             {"psfFlux", 100.0}, {"psfFluxErr", 50.0}}}},
          {"prvDiaNondetectionLimits",
           {{{"midpointMjdTai", 60898.5}, {"band", "g"}, {"diaNoise", 250.0}}}},
          {"cutoutDifference", Json::binary({'S', 'I', 'M', 'P', 'L', 'E', ' '})}};
}

TEST_F(MapperTest, RubinV7UsesAlertId) {
  const Alert a =
      MapOrDie(RubinSchema("lsst.v7_1", "alertId", "isNegative"), RubinAlert("alertId"));
  EXPECT_EQ(a.survey, Survey::kLsst);
  EXPECT_EQ(a.alert_id, 281323062375219200);
  EXPECT_EQ(a.schema_version, "7.1");
  EXPECT_EQ(a.object_id, "170000000000000042");
}

TEST_F(MapperTest, RubinV9UsesDiaSourceIdAndVersionFromNamespace) {
  Json v = RubinAlert("diaSourceId");
  v["diaSourceId"] = 281323062375219201;  // the alert id comes from the top-level field
  const Alert a = MapOrDie(RubinSchema("lsst.v9_0", "diaSourceId", "isNegative"), v);
  EXPECT_EQ(a.alert_id, 281323062375219201);
  EXPECT_EQ(a.schema_version, "9.0");
}

TEST_F(MapperTest, RubinVersionFromConfluentSchemaId) {
  const Alert a = MapOrDie(RubinSchema("lsst.v11_1", "diaSourceId", "isNegative"),
                           RubinAlert("diaSourceId"), /*schema_id=*/1101);
  EXPECT_EQ(a.schema_version, "11.1");
  // Without a version in the record name, the id alone gives it.
  const Alert b = MapOrDie(RubinSchema("rubin", "diaSourceId", "isNegative"),
                           RubinAlert("diaSourceId"), /*schema_id=*/701);
  EXPECT_EQ(b.schema_version, "7.1");
}

TEST_F(MapperTest, RubinDetectionAndHistory) {
  const Alert a =
      MapOrDie(RubinSchema("lsst.v9_0", "diaSourceId", "isNegative"), RubinAlert("diaSourceId"));
  const alert::Detection& d = a.detection;
  EXPECT_EQ(d.source_id, 281323062375219200);
  EXPECT_EQ(d.mjd, 60902.99);
  EXPECT_EQ(d.ra, 351.57);
  EXPECT_EQ(d.band, "i");
  EXPECT_EQ(d.flux, 5000.0);
  EXPECT_EQ(d.flux_err, 125.0);
  EXPECT_NEAR(d.mag, 31.4 - 2.5 * std::log10(5000.0), 1e-9);
  EXPECT_NEAR(d.mag_err, 2.5 / std::log(10.0) * 125.0 / 5000.0, 1e-9);
  EXPECT_NEAR(d.reliability, 0.875, 1e-9);
  EXPECT_TRUE(d.is_positive);

  ASSERT_EQ(a.prv_detections.size(), 1u);
  EXPECT_EQ(a.prv_detections[0].source_id, 281323062375219100);
  EXPECT_EQ(a.prv_detections[0].flux, 2500.0);
  ASSERT_EQ(a.forced.size(), 1u);
  EXPECT_EQ(a.forced[0].source_id, 9001);
  EXPECT_EQ(a.forced[0].mjd, 60899.5);
  EXPECT_EQ(a.forced[0].band, "r");
  EXPECT_EQ(a.forced[0].flux, 100.0);
  EXPECT_EQ(a.forced[0].flux_err, 50.0);
  ASSERT_EQ(a.nondetections.size(), 1u);
  EXPECT_EQ(a.nondetections[0].band, "g");
  EXPECT_EQ(a.nondetections[0].limiting_flux, 250.0);
  EXPECT_NEAR(a.nondetections[0].limiting_mag, 31.4 - 2.5 * std::log10(250.0), 1e-9);

  ASSERT_EQ(a.cutouts.size(), 1u);
  EXPECT_EQ(a.cutouts[0].kind, CutoutKind::kDifference);
  EXPECT_EQ(a.cutouts[0].format, alert::CutoutFormat::kFits);
}

TEST_F(MapperTest, RubinNegativeFlagUnderBothSpellings) {
  for (const char* name : {"isNegative", "is_negative"}) {
    Json v = RubinAlert("diaSourceId");
    v["diaSource"][name] = true;
    v["diaSource"]["psfFlux"] = -5000.0;
    const Alert a = MapOrDie(RubinSchema("lsst.v9_0", "diaSourceId", name), v);
    EXPECT_FALSE(a.detection.is_positive) << name;
    EXPECT_EQ(a.detection.flux, -5000.0) << name;
    EXPECT_NEAR(a.detection.mag, 31.4 - 2.5 * std::log10(5000.0), 1e-9) << name;
    // The flag wins over the sign of the flux.
    v["diaSource"][name] = false;
    EXPECT_TRUE(MapOrDie(RubinSchema("lsst.v9_0", "diaSourceId", name), v).detection.is_positive)
        << name;
  }
  // Without the flag, the sign of the flux decides.
  Json v = RubinAlert("diaSourceId");
  v["diaSource"]["psfFlux"] = -10.0;
  EXPECT_FALSE(MapOrDie(RubinSchema("lsst.v9_0", "diaSourceId", "isNegative"), v)
                   .detection.is_positive);
}

TEST_F(MapperTest, RubinObjectIdFallsBackToDiaObjectThenSsObject) {
  const std::string schema = RubinSchema("lsst.v9_0", "diaSourceId", "isNegative");
  Json v = RubinAlert("diaSourceId");
  v["diaSource"]["diaObjectId"] = 0;  // Rubin writes 0 for "no object"
  v["diaObject"] = {{"diaObjectId", 170000000000000077}};
  EXPECT_EQ(MapOrDie(schema, v).object_id, "170000000000000077");

  v = RubinAlert("diaSourceId");
  v["diaSource"]["diaObjectId"] = nullptr;
  v["diaSource"]["ssObjectId"] = 5551212;
  EXPECT_EQ(MapOrDie(schema, v).object_id, "5551212");
}

TEST_F(MapperTest, RubinVersionFromFinkSchemaVersionField) {
  // Fink's Spark re-serialisation of Rubin alerts: no versioned namespace; the version
  // travels in a string field.
  const std::string schema = R"({"type": "record", "name": "topLevelRecord", "fields": [
    {"name": "diaSourceId", "type": ["long", "null"]},
    {"name": "lsst_schema_version", "type": ["string", "null"]},
    {"name": "diaSource", "type": [{"type": "record", "name": "diaSource",
      "namespace": "topLevelRecord", "fields": [
        {"name": "diaSourceId", "type": ["long", "null"]},
        {"name": "diaObjectId", "type": ["long", "null"]},
        {"name": "midpointMjdTai", "type": ["double", "null"]},
        {"name": "band", "type": ["string", "null"]},
        {"name": "psfFlux", "type": ["float", "null"]}]}, "null"]}]})";
  const Alert a = MapOrDie(schema, {{"diaSourceId", 5}, {"lsst_schema_version", "lsst.v9_0"},
                                    {"diaSource", {{"diaSourceId", 5}, {"diaObjectId", 6},
                                                   {"midpointMjdTai", 60924.33},
                                                   {"band", "i"}, {"psfFlux", 12.5}}}});
  EXPECT_EQ(a.survey, Survey::kLsst);
  EXPECT_EQ(a.schema_version, "9.0");
  EXPECT_EQ(a.alert_id, 5);
  EXPECT_EQ(a.object_id, "6");
  EXPECT_EQ(a.detection.flux, 12.5);
}

// --- Neither ---------------------------------------------------------------------------------

TEST_F(MapperTest, PacketThatIsNeitherZtfNorRubinIsAnError) {
  EXPECT_THAT(MapError(R"({"type": "record", "name": "weather", "fields": [
                  {"name": "temperature", "type": "double"}]})",
                       {{"temperature", 21.5}}),
              HasSubstr("neither ZTF (no candidate field) nor Rubin (no diaSource field)"));
  EXPECT_THAT(MapError(R"("long")", 5), HasSubstr("top-level value is not a record"));
}

TEST_F(MapperTest, OneMapperServesMixedSchemas) {
  const std::string rubin = RubinSchema("lsst.v9_0", "diaSourceId", "isNegative");
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(MapOrDie(kZtfSchema, ZtfAlert()).object_id, "ZTF21aapuacc");
    EXPECT_EQ(MapOrDie(rubin, RubinAlert("diaSourceId")).object_id, "170000000000000042");
    EXPECT_EQ(MapOrDie(kZtfSchema, ZtfAlert()).detection.band, "r");
  }
}

TEST_F(MapperTest, AlertKeepsItsPacketAlive) {
  Alert a;
  {
    auto datum = Packet(kZtfSchema, ZtfAlert());
    ASSERT_NE(datum, nullptr);
    auto mapped = mapper_.Map(datum);
    ASSERT_TRUE(mapped.ok());
    a = std::move(mapped).value();
  }  // the caller's references to the datum are gone
  ASSERT_TRUE(a.raw.Get("objectId").has_value());
  EXPECT_EQ(a.raw.Get("objectId")->s, "ZTF21aapuacc");
  EXPECT_EQ(a.FindCutout(CutoutKind::kScience)->bytes.substr(0, 2), "\x1f\x8b");
  EXPECT_EQ(a.detection.raw.GetDouble("fid"), 2.0);
}

}  // namespace
}  // namespace lantern::survey
