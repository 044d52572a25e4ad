// Output encodings on real alerts (../shared/data): every ZTF and Rubin alert is encoded as an
// enriched alert, decoded again with Lantern's codec against the enriched schema, and compared
// field by field with the alert model it came from; the single-object header carries the
// schema fingerprint fastavro computes; insert-stream rows and object rows parse as JSON with
// the documented keys and values.
#include "pipeline/outputs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "codec/canonical_form.h"
#include "codec/decoder.h"
#include "codec/json.h"
#include "codec/schema_source.h"
#include "codec/test_data.h"
#include "core/file.h"
#include "features/light_curve.h"
#include "survey/alert_decoder.h"
#include "survey/lantern_schema.h"

namespace lantern::pipeline {
namespace {

using Json = nlohmann::json;

// Same value, NaN equal to NaN (and bit patterns otherwise equal).
bool Same(double a, double b) { return std::isnan(a) ? std::isnan(b) : a == b; }


// Every real alert of the native ZTF files, the multi-record Fink files and the Rubin files
// (containers and Confluent-framed packets, whose schemas come from lsst/schema).
class RealAlerts : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string dir = codec::test_data::SharedDataDir();
    if (dir.empty()) return;
    codec::SchemaCache cache;
    codec::SchemaDirectory schemas(dir + "/lsst/schema");
    survey::AlertDecoder decoder(&cache, &schemas);
    auto files = ExpandPaths({dir + "/ztf/alerts/native", dir + "/ztf/alerts/fink_multi",
                              dir + "/lsst/alerts"},
                             {".avro"});
    if (!files.ok()) return;
    alerts_ = new std::vector<alert::Alert>;
    for (const std::string& f : *files) {
      auto bytes = codec::test_data::ReadShared(f);
      if (!bytes.ok()) continue;
      (void)decoder.Decode(*bytes, [&](alert::Alert&& a, const codec::DecodedRecord&) {
        alerts_->push_back(std::move(a));
      });
    }
  }
  static void TearDownTestSuite() {
    delete alerts_;
    alerts_ = nullptr;
  }
  void SetUp() override {
    ASSERT_FALSE(codec::test_data::SharedDataDir().empty())
        << "LANTERN_SHARED_DATA is not set (ctest sets it)";
    ASSERT_NE(alerts_, nullptr);
    // 318 native ZTF files (320 alerts), 98 Fink alerts, 236 Rubin alerts.
    ASSERT_GE(alerts_->size(), 600u);
  }
  static std::vector<alert::Alert>* alerts_;
};
std::vector<alert::Alert>* RealAlerts::alerts_ = nullptr;

store::ObjectRecord ObjectFor(const alert::Alert& a, std::string context) {
  store::ObjectRecord object;
  object.light_curve = features::FromAlert(a);
  object.features = features::ComputeForAlert(a);
  object.ra = a.detection.ra;
  object.dec = a.detection.dec;
  object.latest_alert_id = a.alert_id;
  object.context_json = std::move(context);
  return object;
}

// Decodes an EncodeEnrichedAlert message: header checked, datum decoded with nothing left over.
std::shared_ptr<const codec::Datum> DecodeEnriched(const std::string& message) {
  EXPECT_GE(message.size(), kSingleObjectHeaderSize);
  EXPECT_EQ(message.substr(0, 2), kSingleObjectMagic);
  uint64_t fp = 0;
  for (int i = 0; i < 8; ++i) fp |= uint64_t{static_cast<uint8_t>(message[2 + i])} << (8 * i);
  EXPECT_EQ(fp, EnrichedSchemaFingerprint());
  auto storage = std::make_shared<const std::string>(message);
  const std::string_view datum = std::string_view(*storage).substr(kSingleObjectHeaderSize);
  codec::Decoder decoder;
  size_t consumed = 0;
  auto decoded = decoder.Decode(EnrichedSchema(), storage, datum, &consumed);
  EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
  if (!decoded.ok()) return nullptr;
  EXPECT_EQ(consumed, datum.size()) << "bytes after the datum";
  return *decoded;
}

void ExpectOptionalDouble(const codec::Value& v, double want, const std::string& what) {
  if (std::isnan(want)) {
    EXPECT_TRUE(v.is_null()) << what;
  } else {
    ASSERT_EQ(v.type(), codec::Type::kDouble) << what;
    EXPECT_EQ(v.AsDouble(), want) << what;
  }
}

void ExpectDetection(const codec::Value& v, const alert::Detection& d, const std::string& what) {
  EXPECT_EQ(v.Field("sourceId").AsLong(), d.source_id) << what;
  EXPECT_TRUE(Same(v.Field("mjd").AsDouble(), d.mjd)) << what;
  EXPECT_TRUE(Same(v.Field("ra").AsDouble(), d.ra)) << what;
  EXPECT_TRUE(Same(v.Field("dec").AsDouble(), d.dec)) << what;
  EXPECT_EQ(v.Field("band").AsString(), d.band) << what;
  EXPECT_TRUE(Same(v.Field("flux").AsDouble(), d.flux)) << what;
  EXPECT_TRUE(Same(v.Field("fluxErr").AsDouble(), d.flux_err)) << what;
  ExpectOptionalDouble(v.Field("mag"), d.mag, what + " mag");
  ExpectOptionalDouble(v.Field("magErr"), d.mag_err, what + " magErr");
  EXPECT_EQ(v.Field("isPositive").AsBool(), d.is_positive) << what;
  const codec::Value rb = v.Field("reliability");
  if (std::isnan(d.reliability)) {
    EXPECT_TRUE(rb.is_null()) << what;
  } else {
    ASSERT_EQ(rb.type(), codec::Type::kFloat) << what;
    EXPECT_EQ(rb.AsFloat(), static_cast<float>(d.reliability)) << what;
  }
}

void ExpectFeatures(const codec::Value& map, const features::Features& want,
                    const std::string& what) {
  ASSERT_EQ(map.Size(), want.columns().size()) << what;
  for (uint32_t i = 0; i < map.Size(); ++i) {
    const auto& [name, value] = want.columns()[i];
    EXPECT_EQ(map.KeyAt(i), name) << what;
    const codec::Value v = map.ValueAt(i);
    if (const auto* d = std::get_if<double>(&value)) {
      ASSERT_EQ(v.type(), codec::Type::kDouble) << what << " " << name;
      EXPECT_TRUE(Same(v.AsDouble(), *d)) << what << " " << name;
    } else if (const auto* n = std::get_if<int64_t>(&value)) {
      ASSERT_EQ(v.type(), codec::Type::kLong) << what << " " << name;
      EXPECT_EQ(v.AsLong(), *n) << what << " " << name;
    } else if (const auto* s = std::get_if<std::string>(&value)) {
      ASSERT_EQ(v.type(), codec::Type::kString) << what << " " << name;
      EXPECT_EQ(v.AsString(), *s) << what << " " << name;
    } else {
      EXPECT_TRUE(v.is_null()) << what << " " << name;
    }
  }
}

TEST(EnrichedSchema, FingerprintsMatchFastavro) {
  // fastavro 1.9.7: fingerprint(to_parsing_canonical_form(schema), "CRC-64-AVRO").
  EXPECT_EQ(codec::FingerprintHex(EnrichedSchemaFingerprint()), "62f86e80fc83f740");
  auto alert_schema = codec::Schema::Parse(survey::LanternAlertSchema());
  ASSERT_TRUE(alert_schema.ok());
  EXPECT_EQ(codec::FingerprintHex(codec::AvroFingerprint64(codec::CanonicalForm(**alert_schema))),
            "0fcf02c0c27e622d");
  const codec::Node* values = EnrichedSchema()->root().fields[9].node->items;
  ASSERT_EQ(values->type, codec::Type::kUnion);
  ASSERT_EQ(values->branches.size(), 4u);  // the branch indexes outputs.cc writes
  EXPECT_EQ(values->branches[0]->type, codec::Type::kNull);
  EXPECT_EQ(values->branches[1]->type, codec::Type::kDouble);
  EXPECT_EQ(values->branches[2]->type, codec::Type::kLong);
  EXPECT_EQ(values->branches[3]->type, codec::Type::kString);
}

TEST_F(RealAlerts, EnrichedAlertDecodesToTheAlertItCameFrom) {
  size_t with_history = 0, with_forced = 0, with_limits = 0, with_cutouts = 0;
  std::string message;
  std::string dump;  // every message as "<size>\n<bytes>", for a check with another reader
  for (size_t n = 0; n < alerts_->size(); ++n) {
    alert::Alert& a = (*alerts_)[n];
    const std::string what = a.object_id + "/" + std::to_string(a.alert_id);
    for (alert::Cutout& c : a.cutouts) c.ref = "cutout/" + std::to_string(a.alert_id);
    const store::ObjectRecord object =
        ObjectFor(a, n % 2 ? R"({"catalog":"demo","sep_arcsec":1.25})" : "");
    ProcessedAlert p;
    p.alert = &a;
    p.object = &object;
    p.features = features::ComputeForAlert(a);
    std::vector<WatchlistHit> hits;
    if (n % 3 == 0) {
      hits.push_back({0, 7, "SN \"2024abc\" é", 0.5});
      hits.push_back({0, 12, "AGN-1", 2.0625});
    }
    EncodeEnrichedAlert(p, hits, &message);
    dump += std::to_string(message.size()) + "\n" + message;
    auto datum = DecodeEnriched(message);
    ASSERT_NE(datum, nullptr) << what;
    const codec::Value r = datum->root();
    EXPECT_EQ(r.Field("survey").AsString(), alert::SurveyName(a.survey)) << what;
    EXPECT_EQ(r.Field("schemaVersion").AsString(), a.schema_version) << what;
    EXPECT_EQ(r.Field("alertId").AsLong(), a.alert_id) << what;
    EXPECT_EQ(r.Field("objectId").AsString(), a.object_id) << what;
    ExpectDetection(r.Field("detection"), a.detection, what);

    const codec::Value prv = r.Field("prvDetections");
    ASSERT_EQ(prv.Size(), a.prv_detections.size()) << what;
    for (uint32_t i = 0; i < prv.Size(); ++i)
      ExpectDetection(prv.At(i), a.prv_detections[i], what + " prv " + std::to_string(i));
    with_history += !a.prv_detections.empty();

    const codec::Value forced = r.Field("forcedPhot");
    ASSERT_EQ(forced.Size(), a.forced.size()) << what;
    for (uint32_t i = 0; i < forced.Size(); ++i) {
      const codec::Value f = forced.At(i);
      const alert::ForcedPhot& want = a.forced[i];
      EXPECT_EQ(f.Field("sourceId").AsLong(), want.source_id) << what;
      EXPECT_TRUE(Same(f.Field("mjd").AsDouble(), want.mjd)) << what;
      EXPECT_EQ(f.Field("band").AsString(), want.band) << what;
      EXPECT_TRUE(Same(f.Field("flux").AsDouble(), want.flux)) << what;
      EXPECT_TRUE(Same(f.Field("fluxErr").AsDouble(), want.flux_err)) << what;
    }
    with_forced += !a.forced.empty();

    const codec::Value limits = r.Field("nonDetections");
    ASSERT_EQ(limits.Size(), a.nondetections.size()) << what;
    for (uint32_t i = 0; i < limits.Size(); ++i) {
      const codec::Value l = limits.At(i);
      const alert::NonDetection& want = a.nondetections[i];
      EXPECT_TRUE(Same(l.Field("mjd").AsDouble(), want.mjd)) << what;
      EXPECT_EQ(l.Field("band").AsString(), want.band) << what;
      EXPECT_TRUE(Same(l.Field("limitingMag").AsDouble(), want.limiting_mag)) << what;
      EXPECT_TRUE(Same(l.Field("limitingFlux").AsDouble(), want.limiting_flux)) << what;
    }
    with_limits += !a.nondetections.empty();

    const codec::Value cutouts = r.Field("cutouts");
    ASSERT_EQ(cutouts.Size(), a.cutouts.size()) << what;
    for (uint32_t i = 0; i < cutouts.Size(); ++i) {
      const codec::Value c = cutouts.At(i);
      EXPECT_EQ(c.Field("kind").AsEnum(), alert::CutoutKindName(a.cutouts[i].kind)) << what;
      EXPECT_EQ(c.Field("format").AsString(), alert::CutoutFormatName(a.cutouts[i].format));
      EXPECT_EQ(c.Field("bytes").AsLong(), static_cast<int64_t>(a.cutouts[i].bytes.size()));
      EXPECT_EQ(c.Field("ref").AsString(), a.cutouts[i].ref) << what;
    }
    with_cutouts += !a.cutouts.empty();

    ExpectFeatures(r.Field("features"), p.features, what);

    const codec::Value ann = r.Field("annotations");
    std::map<std::string, std::string> got;
    for (uint32_t i = 0; i < ann.Size(); ++i)
      got.emplace(std::string(ann.KeyAt(i)), std::string(ann.ValueAt(i).AsString()));
    EXPECT_EQ(got.size(), (object.context_json.empty() ? 0u : 1u) + (hits.empty() ? 0u : 1u));
    if (!object.context_json.empty()) {
      EXPECT_EQ(got["context"], object.context_json) << what;
    }
    if (!hits.empty()) {
      const Json wl = Json::parse(got["watchlists"], nullptr, false);
      ASSERT_TRUE(wl.is_array()) << got["watchlists"];
      ASSERT_EQ(wl.size(), 2u);
      EXPECT_EQ(wl[0]["wl_id"], 7);
      EXPECT_EQ(wl[0]["name"], "SN \"2024abc\" é");
      EXPECT_EQ(wl[0]["arcsec"], 0.5);
      EXPECT_EQ(wl[1]["wl_id"], 12);
      EXPECT_EQ(wl[1]["name"], "AGN-1");
      EXPECT_EQ(wl[1]["arcsec"], 2.0625);
    }
  }
  // LANTERN_OUTPUTS_DUMP=file keeps the messages for an independent reader (fastavro: see
  // docs/formats.md "Kafka output formats").
  if (const char* path = std::getenv("LANTERN_OUTPUTS_DUMP")) {
    ASSERT_TRUE(WriteFile(path, dump).ok()) << path;
  }
  // The sample covers every part of the packet.
  EXPECT_GT(with_history, 100u);
  EXPECT_GT(with_forced, 10u);
  EXPECT_GT(with_limits, 50u);
  EXPECT_GT(with_cutouts, 100u);
}

TEST(EnrichedAlert, EveryFeatureKindAndNoAnnotations) {
  alert::Alert a;
  a.survey = alert::Survey::kLsst;
  a.schema_version = "11.1";
  a.alert_id = -5;  // zig-zag of a negative long
  a.object_id = "1234";
  a.detection.band = "y";
  a.detection.mag = 21.5;  // mag given, magErr and reliability not
  a.detection.reliability = 0.75;
  a.detection.is_positive = false;
  ProcessedAlert p;
  p.alert = &a;  // no object: no context
  p.features.Add("a_null", std::monostate{});
  p.features.Add("a_long", int64_t{1} << 40);
  p.features.Add("a_double", -2.5);
  p.features.Add("a_string", std::string("r"));
  p.features.Add("a_nan", alert::kNaN);
  std::string message = "stale bytes the encoder replaces";
  EncodeEnrichedAlert(p, {}, &message);
  auto datum = DecodeEnriched(message);
  ASSERT_NE(datum, nullptr);
  const codec::Value r = datum->root();
  EXPECT_EQ(r.Field("survey").AsString(), "lsst");
  EXPECT_EQ(r.Field("alertId").AsLong(), -5);
  ExpectDetection(r.Field("detection"), a.detection, "synthetic");
  EXPECT_TRUE(std::isnan(r.Field("detection").Field("flux").AsDouble()));  // NaN kept as NaN
  ExpectFeatures(r.Field("features"), p.features, "synthetic");
  EXPECT_EQ(r.Field("annotations").Size(), 0u);
  EXPECT_EQ(r.Field("prvDetections").Size(), 0u);
  EXPECT_EQ(r.Field("cutouts").Size(), 0u);
}

TEST_F(RealAlerts, RowJsonHasTheLeadingKeysAndEveryNonNullSurveyField) {
  size_t rows = 0, nulls = 0;
  std::string line;
  auto check = [&](const alert::Alert& a, const alert::FieldRecord& raw, double mjd,
                   const std::string& band) {
    line.clear();
    AppendRowJson(a.survey, a.object_id, raw, mjd, band, &line);
    const Json j = Json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line.substr(0, 200);
    EXPECT_EQ(j["survey"], alert::SurveyName(a.survey));
    EXPECT_EQ(j["objectId"], a.object_id);
    if (std::isfinite(mjd)) {
      EXPECT_EQ(j["mjd"].get<double>(), mjd);
    }
    EXPECT_EQ(j["band"], band);
    size_t fields = 0;
    raw.ForEach([&](std::string_view name, const alert::FieldValue& value) {
      if (name == "survey" || name == "objectId" || name == "mjd" || name == "band") return;
      if (value.kind == alert::FieldKind::kNull) {  // null fields are left out
        EXPECT_FALSE(j.contains(std::string(name))) << name;
        ++nulls;
        return;
      }
      ++fields;
      ASSERT_TRUE(j.contains(std::string(name))) << name;
      EXPECT_FALSE(j[std::string(name)].is_null()) << name;
    });
    // Exactly the leading keys and the survey's non-null fields: no key written twice.
    EXPECT_EQ(j.size(), 4 + fields) << line.substr(0, 200);
    ASSERT_GT(fields, 0u);
    ++rows;
  };
  for (const alert::Alert& a : *alerts_) {
    check(a, a.detection.raw, a.detection.mjd, a.detection.band);
    for (const auto& d : a.prv_detections) check(a, d.raw, d.mjd, d.band);
    for (const auto& f : a.forced) check(a, f.raw, f.mjd, f.band);
    for (const auto& n : a.nondetections) check(a, n.raw, n.mjd, n.band);
  }
  EXPECT_GT(rows, 5000u);
  EXPECT_GT(nulls, 10000u);  // ZTF limits carry ~50 nulls each: the rule above was exercised
  // Values are codec::AppendJson's: one ZTF candidate checked field by field.
  const alert::Alert& ztf = alerts_->front();
  ASSERT_EQ(ztf.survey, alert::Survey::kZtf);
  line.clear();
  AppendRowJson(ztf.survey, ztf.object_id, ztf.detection.raw, ztf.detection.mjd,
                ztf.detection.band, &line);
  const Json j = Json::parse(line);
  const auto* datum = dynamic_cast<const codec::Datum*>(ztf.detection.raw.packet());
  ASSERT_NE(datum, nullptr);
  const codec::Value rec = datum->FromHandle(ztf.detection.raw.handle());
  for (uint32_t i = 0; i < rec.FieldCount(); ++i) {
    const std::string& name = rec.node().fields[i].name;
    if (rec.FieldAt(i).type() == codec::Type::kNull) {
      EXPECT_FALSE(j.contains(name)) << name;
      continue;
    }
    std::string value;
    codec::AppendJson(rec.FieldAt(i), &value);
    EXPECT_EQ(j[name], Json::parse(value)) << name;
  }
  // A record that is not from a decoded packet: the leading keys only.
  line.clear();
  AppendRowJson(alert::Survey::kLsst, "9", alert::FieldRecord(), 60000.5, "u", &line);
  EXPECT_EQ(line, R"({"survey":"lsst","objectId":"9","mjd":60000.5,"band":"u"})");
}

TEST_F(RealAlerts, RowArraysHoldEachAlertsRowsPerTableInOrder) {
  // Every row of every real alert, as a batch lists them: each alert's rows adjacent.
  const std::vector<StoredRow> rows = EveryRowOf(*alerts_);
  std::map<std::pair<const alert::Alert*, store::Table>, size_t> expected;
  for (const StoredRow& r : rows) ++expected[{r.alert, r.table}];
  // Each table's rows in batch order: what its messages must hold, in the same order.
  std::map<store::Table, std::vector<const StoredRow*>> by_table;
  for (const StoredRow& r : rows) by_table[r.table].push_back(&r);
  for (size_t max_bytes : {SIZE_MAX, kMaxRowArrayBytes, size_t{2000}}) {
    size_t messages = 0, longest = 0;
    std::map<store::Table, size_t> next;  // the index of each table's next expected row
    std::string one;
    const Status st = ForEachRowArray(
        rows, max_bytes,
        [&](store::Table table, std::string_view key, std::string_view value) {
          const Json j = Json::parse(value, nullptr, false);
          EXPECT_TRUE(j.is_array() && !j.empty()) << value.substr(0, 200);
          for (const Json& got : j) {
            const StoredRow& want = *by_table[table].at(next[table]++);
            EXPECT_EQ(want.alert->object_id, key);
            one.clear();
            AppendRowJson(want.alert->survey, want.alert->object_id, *want.raw, want.mjd,
                          *want.band, &one);
            EXPECT_EQ(got, Json::parse(one));
          }
          ++messages;
          longest = std::max(longest, value.size());
          return Status::Ok();
        });
    ASSERT_TRUE(st.ok()) << st.ToString();
    for (const auto& [table, list] : by_table) EXPECT_EQ(next[table], list.size()) << max_bytes;
    if (max_bytes == SIZE_MAX) {
      EXPECT_EQ(messages, expected.size());  // one message per alert and table
    } else {
      // Real Rubin alerts bring up to ~840 KB of detection rows (and ~320 KB of forced ones).
      EXPECT_GT(messages, expected.size()) << max_bytes;
      EXPECT_LT(longest, max_bytes + 20000) << "past the cut by more than one row";
    }
  }
  // The first error emit returns ends the walk and is returned.
  size_t calls = 0;
  const Status st = ForEachRowArray(rows, kMaxRowArrayBytes,
                                    [&](store::Table, std::string_view, std::string_view) {
                                      ++calls;
                                      return IoError("broker away");
                                    });
  EXPECT_EQ(calls, 1u);
  EXPECT_NE(st.message().find("broker away"), std::string::npos);
}

// --insert-format avro: every row of every real alert comes back, decoded by the wrapper
// schema its message names, with the record's fields exactly as the packet had them.
TEST_F(RealAlerts, AvroRowArraysDecodeToTheSameRows) {
  const std::vector<StoredRow> rows = EveryRowOf(*alerts_);
  auto record_of = [](const StoredRow& r) {
    return dynamic_cast<const codec::Datum*>(r.raw->packet())->FromHandle(r.raw->handle());
  };
  // Expected order per table: each alert's rows grouped by record schema (groups in order of
  // first appearance), each group in batch order.
  std::map<store::Table, std::vector<const StoredRow*>> expected;
  for (size_t i = 0; i < rows.size();) {
    size_t end = i;
    while (end < rows.size() && rows[end].alert == rows[i].alert) ++end;
    std::vector<std::pair<store::Table, const codec::Node*>> groups;
    for (size_t k = i; k < end; ++k) {
      const std::pair<store::Table, const codec::Node*> g{rows[k].table, &record_of(rows[k]).node()};
      if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
    }
    for (const auto& g : groups) {
      for (size_t k = i; k < end; ++k) {
        if (rows[k].table == g.first && &record_of(rows[k]).node() == g.second) {
          expected[g.first].push_back(&rows[k]);
        }
      }
    }
    i = end;
  }

  InsertRowSchemas schemas;
  std::map<uint64_t, std::shared_ptr<const codec::Schema>> published;
  auto on_new = [&](const InsertRowSchema& s) -> Status {
    auto parsed = codec::Schema::Parse(s.json);
    if (!parsed.ok()) return parsed.status();
    EXPECT_EQ(codec::AvroFingerprint64(codec::CanonicalForm(**parsed)), s.fingerprint);
    EXPECT_TRUE(published.emplace(s.fingerprint, *parsed).second) << "published twice";
    return Status::Ok();
  };
  codec::Decoder decoder;
  std::string got_text, want_text;
  size_t uncut_messages = 0;
  for (size_t max_bytes : {kMaxRowArrayBytes, size_t{20000}}) {
  std::map<store::Table, size_t> next;
  size_t messages = 0, longest = 0;
  const Status st = ForEachAvroRowArray(
      rows, max_bytes, &schemas, on_new,
      [&](store::Table table, std::string_view key, std::string_view value) -> Status {
        ++messages;
        longest = std::max(longest, value.size());
        EXPECT_EQ(value.substr(0, 2), kSingleObjectMagic);
        uint64_t fp = 0;
        for (int i = 0; i < 8; ++i) fp |= uint64_t{static_cast<uint8_t>(value[2 + i])} << (8 * i);
        auto schema = published.find(fp);
        if (schema == published.end()) return Internal("a message before its schema");
        auto storage = std::make_shared<const std::string>(value.substr(kSingleObjectHeaderSize));
        size_t consumed = 0;
        auto datum = decoder.Decode(schema->second, storage, *storage, &consumed);
        if (!datum.ok()) return datum.status();
        EXPECT_EQ(consumed, storage->size());
        const codec::Value root = (*datum)->root();
        EXPECT_EQ(root.Field("objectId").AsString(), key);
        const codec::Value list = root.Field("rows");
        EXPECT_GT(list.Size(), 0u);
        for (uint32_t i = 0; i < list.Size(); ++i) {
          const StoredRow& want = *expected[table].at(next[table]++);
          const codec::Value row = list.At(i);
          EXPECT_EQ(key, want.alert->object_id);
          EXPECT_EQ(root.Field("survey").AsString(), alert::SurveyName(want.alert->survey));
          EXPECT_EQ(row.Field("mjd").AsDouble(), want.mjd);
          EXPECT_EQ(row.Field("band").AsString(), *want.band);
          got_text.clear();
          want_text.clear();
          codec::AppendJson(row.Field("row"), &got_text);
          codec::AppendJson(record_of(want), &want_text);
          EXPECT_EQ(got_text, want_text);
        }
        return Status::Ok();
      });
  ASSERT_TRUE(st.ok()) << st.ToString();
  for (const auto& [table, list] : expected) EXPECT_EQ(next[table], list.size()) << max_bytes;
  if (max_bytes == kMaxRowArrayBytes) {
    uncut_messages = messages;  // the real alerts' rows stay under 256 KB in Avro
    EXPECT_LT(longest, kMaxRowArrayBytes);
  } else {
    EXPECT_GT(messages, uncut_messages);
    EXPECT_GE(longest, max_bytes);
    EXPECT_LT(longest, max_bytes + 10000) << "past the cut by more than one row";
  }
  }
  EXPECT_GT(published.size(), 2u);  // ZTF candidate, ZTF prv_candidate, Rubin records…

  // A second walk reuses the schemas: nothing is published again.
  const size_t before = published.size();
  ASSERT_TRUE(ForEachAvroRowArray(rows, kMaxRowArrayBytes, &schemas, on_new,
                                  [](store::Table, std::string_view, std::string_view) {
                                    return Status::Ok();
                                  })
                  .ok());
  EXPECT_EQ(published.size(), before);
}

TEST_F(RealAlerts, ObjectRowJsonHasEveryFeatureColumn) {
  std::set<alert::Survey> surveys;
  std::string line;
  for (size_t n = 0; n < alerts_->size(); n += 7) {
    const alert::Alert& a = (*alerts_)[n];
    const store::ObjectRecord object =
        ObjectFor(a, n % 2 ? R"({"catalog":"demo","name":"NGC 1"})" : "");
    line.clear();
    AppendObjectRowJson(object, &line);
    const Json j = Json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    EXPECT_EQ(j["survey"], alert::SurveyName(a.survey));
    EXPECT_EQ(j["objectId"], a.object_id);
    if (std::isfinite(object.ra)) {
      EXPECT_EQ(j["ra"].get<double>(), object.ra);
      EXPECT_EQ(j["dec"].get<double>(), object.dec);
    }
    EXPECT_EQ(j["latestAlertId"].get<int64_t>(), a.alert_id);
    if (object.context_json.empty()) {
      EXPECT_TRUE(j["context"].is_null());
    } else {
      EXPECT_EQ(j["context"], Json::parse(object.context_json));
    }
    const auto& columns = object.features.columns();
    EXPECT_EQ(j.size(), 6 + columns.size());
    for (const auto& [name, value] : columns) {
      ASSERT_TRUE(j.contains(name)) << name;
      const Json& got = j[name];
      if (const auto* d = std::get_if<double>(&value)) {
        if (std::isfinite(*d)) {
          EXPECT_EQ(got.get<double>(), *d) << name;
        } else {
          EXPECT_TRUE(got.is_null()) << name;
        }
      } else if (const auto* i = std::get_if<int64_t>(&value)) {
        EXPECT_EQ(got.get<int64_t>(), *i) << name;
      } else if (const auto* s = std::get_if<std::string>(&value)) {
        EXPECT_EQ(got.get<std::string>(), *s) << name;
      } else {
        EXPECT_TRUE(got.is_null()) << name;
      }
    }
    surveys.insert(a.survey);
  }
  EXPECT_EQ(surveys.size(), 2u);
  // Unknown position: null, not NaN.
  store::ObjectRecord empty;
  empty.light_curve.object_id = "ZTF00";
  line.clear();
  AppendObjectRowJson(empty, &line);
  EXPECT_EQ(line, R"({"survey":"ztf","objectId":"ZTF00","ra":null,"dec":null,)"
                  R"("context":null,"latestAlertId":0})");
}

}  // namespace
}  // namespace lantern::pipeline
