// Every real alert file listed in the four MANIFEST.csv files of ../shared/data, decoded with
// survey::AlertDecoder and compared with the values the manifest records for its first alert
// (ids, position, time, band, history lengths, cutouts) and its record count. The manifests
// were produced with independent readers (python3-avro, avsc), so agreement checks the codec
// and the survey mapping end to end. Mismatches are collected per file and printed together.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "codec/schema_source.h"
#include "codec/test_data.h"
#include "core/file.h"
#include "survey/alert_decoder.h"
#include "survey/units.h"

namespace lantern {
namespace {

using codec::test_data::CsvRow;

constexpr double kDegreeTolerance = 1e-9;
constexpr double kDayTolerance = 1e-7;

enum class Layout {
  kZtf,       // native and fink_spark: objectId, candid, ra, dec, jd, n_* columns
  kZtfMulti,  // fink_multi: first_objectId, first_candid only
  kRubin,     // lsst/alerts
};

struct Collection {
  const char* manifest;  // relative to the data dir
  const char* base;      // what the manifest's file column is relative to
  Layout layout;
};

// What decoding one file produced.
struct Decoded {
  alert::Alert first;
  size_t alerts = 0;
  size_t cutouts = 0;  // over all alerts
};

class RealAlertsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = codec::test_data::SharedDataDir();
    ASSERT_FALSE(dir_.empty()) << "LANTERN_SHARED_DATA is not set (ctest sets it)";
    schemas_ = std::make_unique<codec::SchemaDirectory>(dir_ + "/lsst/schema");
    decoder_ = std::make_unique<survey::AlertDecoder>(&cache_, schemas_.get());
  }

  // Checks every row of a manifest: each file decodes and matches its row.
  void CheckCollection(const Collection& c) {
    auto rows = codec::test_data::ReadCsv(dir_ + "/" + c.manifest);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    ASSERT_FALSE(rows->empty());
    size_t checked = 0;
    for (const CsvRow& row : *rows) {
      const std::string& file = row.at("file");
      Decoded got;
      if (!Decode(std::string(dir_) + "/" + c.base + "/" + file, &got)) continue;
      ++checked;
      switch (c.layout) {
        case Layout::kZtf:
          CheckZtf(file, row, got);
          break;
        case Layout::kZtfMulti:
          CheckZtfMulti(file, row, got);
          break;
        case Layout::kRubin:
          CheckRubin(file, row, got);
          break;
      }
    }
    std::string report;
    for (const std::string& m : mismatches_) report += "  " + m + "\n";
    EXPECT_TRUE(mismatches_.empty())
        << mismatches_.size() << " mismatches in " << c.manifest << ":\n"
        << report;
    EXPECT_EQ(checked, rows->size()) << "files decoded vs rows in " << c.manifest;
    // And the manifest lists every alert file of its folder.
    const std::string manifest_path = dir_ + "/" + c.manifest;
    auto files = ExpandPaths({manifest_path.substr(0, manifest_path.rfind('/'))}, {".avro"});
    ASSERT_TRUE(files.ok()) << files.status().ToString();
    EXPECT_EQ(files->size(), rows->size()) << ".avro files vs rows in " << c.manifest;
  }

 private:
  bool Decode(const std::string& path, Decoded* out) {
    auto bytes = codec::test_data::ReadShared(path);
    if (!bytes.ok()) {
      mismatches_.push_back(bytes.status().ToString());
      return false;
    }
    const Status st = decoder_->Decode(*bytes, [&](alert::Alert&& a, const codec::DecodedRecord&) {
      out->cutouts += a.cutouts.size();
      if (out->alerts++ == 0) out->first = std::move(a);
    });
    if (!st.ok()) {
      mismatches_.push_back(path + ": " + st.ToString());
      return false;
    }
    return true;
  }

  void Mismatch(const std::string& file, std::string_view what, const std::string& want,
                const std::string& got) {
    mismatches_.push_back(file + ": " + std::string(what) + " manifest " + want + ", decoded " +
                          got);
  }

  static std::string Text(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
  }

  void ExpectEq(const std::string& file, std::string_view what, const std::string& want,
                const std::string& got) {
    if (want != got) Mismatch(file, what, want, got);
  }
  void ExpectCount(const std::string& file, std::string_view what, const std::string& want,
                   size_t got) {
    ExpectEq(file, what, want, std::to_string(got));
  }
  void ExpectNear(const std::string& file, std::string_view what, const std::string& want,
                  double got, double tolerance) {
    const double w = std::strtod(want.c_str(), nullptr);
    if (want.empty() || !(std::fabs(w - got) <= tolerance)) Mismatch(file, what, want, Text(got));
  }

  void CheckZtf(const std::string& file, const CsvRow& row, const Decoded& got) {
    const alert::Alert& a = got.first;
    ExpectEq(file, "candid", row.at("candid"), std::to_string(a.alert_id));
    ExpectEq(file, "objectId", row.at("objectId"), a.object_id);
    ExpectNear(file, "ra", row.at("ra"), a.detection.ra, kDegreeTolerance);
    ExpectNear(file, "dec", row.at("dec"), a.detection.dec, kDegreeTolerance);
    ExpectNear(file, "jd", row.at("jd"), a.detection.mjd + survey::kJdToMjd, kDayTolerance);
    ExpectCount(file, "n_prv_candidates", row.at("n_prv_candidates"),
                a.prv_detections.size() + a.nondetections.size());
    ExpectCount(file, "n_fp_hists", row.at("n_fp_hists"), a.forced.size());
    // ZTF manifests count the cutouts of every record of a file (the one native file with
    // three records lists 9), unlike every other column, which describes the first record.
    ExpectCount(file, "n_cutouts", row.at("n_cutouts"), got.cutouts);
    ExpectCount(file, "nrec", row.at("nrec"), got.alerts);
  }

  void CheckZtfMulti(const std::string& file, const CsvRow& row, const Decoded& got) {
    ExpectEq(file, "first_candid", row.at("first_candid"), std::to_string(got.first.alert_id));
    ExpectEq(file, "first_objectId", row.at("first_objectId"), got.first.object_id);
    ExpectCount(file, "nrec", row.at("nrec"), got.alerts);
  }

  void CheckRubin(const std::string& file, const CsvRow& row, const Decoded& got) {
    const alert::Alert& a = got.first;
    ExpectEq(file, "first_diaSourceId_or_alertId", row.at("first_diaSourceId_or_alertId"),
             std::to_string(a.alert_id));
    const std::string& dia_object = row.at("diaObjectId");
    if (dia_object == "0") {
      // A solar-system source (diaObjectId 0): the object is the diaSource's ssObjectId.
      const auto ss = a.detection.raw.Get("ssObjectId");
      const bool has_ss = ss && ss->kind == alert::FieldKind::kInt && ss->i != 0;
      ExpectEq(file, "object id of an ssObject", has_ss ? std::to_string(ss->i) : "(no ssObjectId)",
               a.object_id);
    } else if (!dia_object.empty()) {
      ExpectEq(file, "diaObjectId", dia_object, a.object_id);
    }
    ExpectNear(file, "ra", row.at("ra"), a.detection.ra, kDegreeTolerance);
    ExpectNear(file, "dec", row.at("dec"), a.detection.dec, kDegreeTolerance);
    // The manifest prints the double exactly (shortest round-trip form).
    ExpectNear(file, "midpointMjdTai", row.at("midpointMjdTai"), a.detection.mjd, 0.0);
    if (!row.at("band").empty()) ExpectEq(file, "band", row.at("band"), a.detection.band);
    ExpectCount(file, "n_prvDiaSources", row.at("n_prvDiaSources"), a.prv_detections.size());
    ExpectCount(file, "n_prvDiaForcedSources", row.at("n_prvDiaForcedSources"), a.forced.size());
    ExpectCount(file, "n_cutouts", row.at("n_cutouts"), a.cutouts.size());
    ExpectCount(file, "nrec", row.at("nrec"), got.alerts);
  }

  std::string dir_;
  codec::SchemaCache cache_;
  std::unique_ptr<codec::SchemaDirectory> schemas_;
  std::unique_ptr<survey::AlertDecoder> decoder_;
  std::vector<std::string> mismatches_;
};

TEST_F(RealAlertsTest, ZtfNativeAlertsMatchTheManifest) {
  CheckCollection({"ztf/alerts/native/MANIFEST.csv", "ztf/alerts", Layout::kZtf});
}

TEST_F(RealAlertsTest, ZtfFinkSparkAlertsMatchTheManifest) {
  CheckCollection({"ztf/alerts/fink_spark/MANIFEST.csv", "ztf/alerts/fink_spark", Layout::kZtf});
}

TEST_F(RealAlertsTest, ZtfFinkMultiRecordFilesMatchTheManifest) {
  CheckCollection(
      {"ztf/alerts/fink_multi/MANIFEST.csv", "ztf/alerts/fink_multi", Layout::kZtfMulti});
}

TEST_F(RealAlertsTest, RubinAlertsMatchTheManifest) {
  CheckCollection({"lsst/alerts/MANIFEST.csv", "lsst/alerts", Layout::kRubin});
}

}  // namespace
}  // namespace lantern
