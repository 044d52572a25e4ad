#include "stream/simulator.h"

#include <zlib.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "codec/packet.h"
#include "core/file.h"
#include "survey/alert_decoder.h"

namespace lantern::stream {
namespace {

namespace fs = std::filesystem;
using alert::Alert;
using alert::CutoutKind;
using alert::Survey;

class SimulatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "lantern_simulator_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string Write(const SimulatorOptions& options, uint64_t count, const std::string& name) {
    const std::string path = (fs::path(dir_) / name).string();
    const Status st = Simulator::WriteFile(options, count, path);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return path;
  }

  // Every datum in a container file, as its encoded bytes.
  static std::vector<std::string> Datums(const std::string& path) {
    std::vector<std::string> out;
    auto bytes = ReadFile(path);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    if (!bytes.ok()) return out;
    codec::SchemaCache cache;
    codec::PacketDecoder decoder(&cache, nullptr);
    const Status st = decoder.DecodeAll(
        std::make_shared<const std::string>(std::move(bytes).value()),
        [&](codec::DecodedRecord&& r) { out.emplace_back(r.datum->bytes()); });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return out;
  }

  static std::vector<Alert> Alerts(const std::string& path) {
    std::vector<Alert> out;
    auto bytes = ReadFile(path);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    if (!bytes.ok()) return out;
    codec::SchemaCache cache;
    survey::AlertDecoder decoder(&cache, nullptr);
    const Status st = decoder.Decode(std::make_shared<const std::string>(std::move(bytes).value()),
                                     [&](Alert&& a, const codec::DecodedRecord&) {
                                       out.push_back(std::move(a));
                                     });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return out;
  }

  std::string dir_;
};

SimulatorOptions Options(Survey survey, uint64_t seed, bool cutouts) {
  SimulatorOptions o;
  o.survey = survey;
  o.seed = seed;
  o.cutouts = cutouts;
  return o;
}

std::string SimClass(const Alert& a) {
  const auto v = a.raw.Get("simClass");
  return v && v->kind == alert::FieldKind::kString ? std::string(v->s) : "";
}

TEST_F(SimulatorTest, SameSeedGivesTheSameAlerts) {
  const SimulatorOptions opt = Options(Survey::kZtf, 7, /*cutouts=*/true);
  const std::vector<std::string> a = Datums(Write(opt, 40, "a.avro"));
  const std::vector<std::string> b = Datums(Write(opt, 40, "b.avro"));
  ASSERT_EQ(a.size(), 40u);
  EXPECT_EQ(a, b);
}

TEST_F(SimulatorTest, DifferentSeedsGiveDifferentAlerts) {
  const std::vector<std::string> a = Datums(Write(Options(Survey::kLsst, 1, false), 20, "a.avro"));
  const std::vector<std::string> b = Datums(Write(Options(Survey::kLsst, 2, false), 20, "b.avro"));
  ASSERT_EQ(a.size(), 20u);
  ASSERT_EQ(b.size(), 20u);
  int same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
  EXPECT_EQ(same, 0);
}

TEST_F(SimulatorTest, NextDatumMatchesWhatWriteFileWrites) {
  const SimulatorOptions opt = Options(Survey::kLsst, 11, /*cutouts=*/false);
  const std::vector<std::string> written = Datums(Write(opt, 5, "a.avro"));
  Simulator sim(opt);
  for (size_t i = 0; i < written.size(); ++i) {
    std::string cls;
    auto datum = sim.NextDatum(&cls);
    ASSERT_TRUE(datum.ok()) << datum.status().ToString();
    EXPECT_EQ(*datum, written[i]) << i;
    EXPECT_TRUE(cls == "sn" || cls == "variable" || cls == "agn" || cls == "moving") << cls;
  }
}

void CheckStream(const std::vector<Alert>& alerts, Survey survey) {
  const std::set<std::string> bands = survey == Survey::kZtf
                                          ? std::set<std::string>{"g", "r", "i"}
                                          : std::set<std::string>{"u", "g", "r", "i", "z", "y"};
  const std::regex ztf_name("ZTF[0-9]{2}[a-z]{7}");
  const std::regex lsst_id("[0-9]{18}");
  std::map<int64_t, std::string> object_of_source;  // detections seen so far
  std::map<std::string, int> alerts_per_object;
  size_t with_history = 0, nondetections = 0, forced = 0;
  for (const Alert& a : alerts) {
    SCOPED_TRACE(a.alert_id);
    ASSERT_EQ(a.survey, survey);
    EXPECT_EQ(a.schema_version, "1.0");
    EXPECT_EQ(a.alert_id, a.detection.source_id);
    EXPECT_TRUE(std::regex_match(a.object_id, survey == Survey::kZtf ? ztf_name : lsst_id))
        << a.object_id;
    EXPECT_EQ(bands.count(a.detection.band), 1u) << a.detection.band;
    EXPECT_EQ(a.detection.is_positive, a.detection.flux >= 0);
    // Detected means at least 5 sigma.
    EXPECT_GE(std::fabs(a.detection.flux), 5 * a.detection.flux_err * 0.999);
    EXPECT_TRUE(a.detection.dec >= -90 && a.detection.dec <= 90);
    EXPECT_TRUE(a.detection.ra >= 0 && a.detection.ra < 360.001);
    for (const alert::Detection& p : a.prv_detections) {
      EXPECT_LT(p.mjd, a.detection.mjd);
      // An earlier detection of the same object is an earlier alert of that object.
      auto it = object_of_source.find(p.source_id);
      ASSERT_NE(it, object_of_source.end()) << "prv source " << p.source_id << " never alerted";
      EXPECT_EQ(it->second, a.object_id);
    }
    for (const alert::NonDetection& n : a.nondetections) EXPECT_LT(n.mjd, a.detection.mjd);
    for (const alert::ForcedPhot& f : a.forced) EXPECT_LT(f.mjd, a.detection.mjd);
    with_history += !a.prv_detections.empty();
    nondetections += a.nondetections.size();
    forced += a.forced.size();
    object_of_source[a.detection.source_id] = a.object_id;
    ++alerts_per_object[a.object_id];
  }
  // Objects have histories: ids repeat and alerts carry earlier detections.
  EXPECT_LT(alerts_per_object.size(), alerts.size() * 3 / 4);
  int max_alerts = 0;
  for (const auto& [id, n] : alerts_per_object) max_alerts = std::max(max_alerts, n);
  EXPECT_GE(max_alerts, 3);
  EXPECT_GT(with_history, alerts.size() / 5);
  // ZTF-like streams carry non-detection limits, Rubin-like ones forced photometry.
  if (survey == Survey::kZtf) {
    EXPECT_GT(nondetections, 0u);
    EXPECT_EQ(forced, 0u);
  } else {
    EXPECT_GT(forced, 0u);
    EXPECT_EQ(nondetections, 0u);
  }
}

TEST_F(SimulatorTest, ZtfStreamDecodesAsZtfAlertsWithHistories) {
  const std::vector<Alert> alerts = Alerts(Write(Options(Survey::kZtf, 3, false), 1000, "z.avro"));
  ASSERT_EQ(alerts.size(), 1000u);
  CheckStream(alerts, Survey::kZtf);
}

TEST_F(SimulatorTest, LsstStreamDecodesAsRubinAlertsWithHistories) {
  const std::vector<Alert> alerts = Alerts(Write(Options(Survey::kLsst, 3, false), 1000, "l.avro"));
  ASSERT_EQ(alerts.size(), 1000u);
  CheckStream(alerts, Survey::kLsst);
}

TEST_F(SimulatorTest, AllFourClassesAppear) {
  const std::vector<Alert> alerts = Alerts(Write(Options(Survey::kZtf, 5, false), 2000, "c.avro"));
  ASSERT_EQ(alerts.size(), 2000u);
  std::map<std::string, int> classes;
  for (const Alert& a : alerts) ++classes[SimClass(a)];
  EXPECT_EQ(classes.size(), 4u);
  for (const char* c : {"sn", "variable", "agn", "moving"}) EXPECT_GT(classes[c], 0) << c;
  // Moving objects are never seen twice at the same place, so never under the same id.
  std::map<std::string, int> moving_ids;
  for (const Alert& a : alerts) {
    if (SimClass(a) == "moving") {
      EXPECT_EQ(++moving_ids[a.object_id], 1) << a.object_id;
    }
  }
}

// --- Cutouts ---------------------------------------------------------------------------------

std::string Gunzip(std::string_view in) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out(1 << 16, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    if (zs.total_out == out.size()) out.resize(out.size() * 2);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + zs.total_out);
    zs.avail_out = static_cast<uInt>(out.size() - zs.total_out);
    rc = inflate(&zs, Z_NO_FLUSH);
  }
  EXPECT_EQ(rc, Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

struct Fits {
  std::map<std::string, std::string> header;  // keyword → value text (trimmed)
  std::vector<float> pixels;
  int width = 0, height = 0;
};

// Reads a primary HDU with a 2-D BITPIX -32 image.
Fits ParseFits(const std::string& bytes) {
  Fits f;
  size_t pos = 0;
  for (; pos + 80 <= bytes.size(); pos += 80) {
    const std::string card = bytes.substr(pos, 80);
    std::string key = card.substr(0, 8);
    key.erase(key.find_last_not_of(' ') + 1);
    if (key == "END") break;
    if (card.size() > 10 && card.substr(8, 2) == "= ") {
      std::string value = card.substr(10);
      value.erase(0, value.find_first_not_of(' '));
      value.erase(value.find_last_not_of(' ') + 1);
      f.header[key] = value;
    }
  }
  const size_t data = (pos / 2880 + 1) * 2880;
  f.width = std::atoi(f.header["NAXIS1"].c_str());
  f.height = std::atoi(f.header["NAXIS2"].c_str());
  const size_t n = static_cast<size_t>(f.width) * static_cast<size_t>(f.height);
  if (f.header["BITPIX"] != "-32" || data + 4 * n > bytes.size()) return f;
  f.pixels.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const auto* b = reinterpret_cast<const uint8_t*>(bytes.data() + data + 4 * i);
    const uint32_t bits = (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) |
                          (uint32_t{b[2]} << 8) | uint32_t{b[3]};
    std::memcpy(&f.pixels[i], &bits, 4);
  }
  return f;
}

// The FITS bytes of a cutout, checking the survey's container format on the way.
std::string FitsBytes(const alert::Cutout& c, Survey survey) {
  if (survey == Survey::kZtf) {
    EXPECT_EQ(c.format, alert::CutoutFormat::kFitsGzip);
    EXPECT_EQ(c.bytes.substr(0, 2), "\x1f\x8b");
    return Gunzip(c.bytes);
  }
  EXPECT_EQ(c.format, alert::CutoutFormat::kFits);
  return std::string(c.bytes);
}

void CheckCutouts(const std::vector<Alert>& alerts, Survey survey) {
  int bright_positive = 0, bright_negative = 0;
  for (const Alert& a : alerts) {
    SCOPED_TRACE(a.alert_id);
    ASSERT_EQ(a.cutouts.size(), 3u);
    for (CutoutKind kind : {CutoutKind::kScience, CutoutKind::kTemplate, CutoutKind::kDifference})
      ASSERT_NE(a.FindCutout(kind), nullptr) << alert::CutoutKindName(kind);
    for (const alert::Cutout& c : a.cutouts) {
      const std::string fits = FitsBytes(c, survey);
      ASSERT_EQ(fits.substr(0, 6), "SIMPLE");
      EXPECT_EQ(fits.size() % 2880, 0u);
      const Fits f = ParseFits(fits);
      EXPECT_EQ(f.header.at("SIMPLE"), "T");
      EXPECT_EQ(f.header.at("NAXIS"), "2");
      EXPECT_EQ(f.width, 63);
      EXPECT_EQ(f.height, 63);
      ASSERT_EQ(f.pixels.size(), 63u * 63u);
    }
    // The difference stamp shows the detection at its centre: bright for a positive
    // detection, dark for a negative one, well above the noise at the stamp's edge.
    const Fits diff = ParseFits(FitsBytes(*a.FindCutout(CutoutKind::kDifference), survey));
    ASSERT_EQ(diff.pixels.size(), 63u * 63u);
    double sum2 = 0;
    int edge = 0;
    for (int y = 0; y < 63; ++y) {
      for (int x = 0; x < 63; ++x) {
        if (x > 2 && x < 60 && y > 2 && y < 60) continue;
        const double v = diff.pixels[static_cast<size_t>(y) * 63 + x];
        sum2 += v * v;
        ++edge;
      }
    }
    const double noise = std::sqrt(sum2 / edge);
    const double centre = diff.pixels[31 * 63 + 31];
    const double snr = a.detection.flux / a.detection.flux_err;
    if (snr >= 20) {
      ++bright_positive;
      EXPECT_GT(centre, 5 * noise) << "snr " << snr;
    } else if (snr <= -20) {
      ++bright_negative;
      EXPECT_LT(centre, -5 * noise) << "snr " << snr;
    }
  }
  EXPECT_GT(bright_positive, 5);
}

TEST_F(SimulatorTest, ZtfCutoutsAreGzippedFitsStamps) {
  const std::vector<Alert> alerts = Alerts(Write(Options(Survey::kZtf, 9, true), 150, "z.avro"));
  ASSERT_EQ(alerts.size(), 150u);
  CheckCutouts(alerts, Survey::kZtf);
}

TEST_F(SimulatorTest, LsstCutoutsArePlainFitsStamps) {
  const std::vector<Alert> alerts = Alerts(Write(Options(Survey::kLsst, 9, true), 150, "l.avro"));
  ASSERT_EQ(alerts.size(), 150u);
  CheckCutouts(alerts, Survey::kLsst);
}

TEST_F(SimulatorTest, NoCutoutsWhenDisabled) {
  const std::vector<Alert> alerts = Alerts(Write(Options(Survey::kZtf, 9, false), 10, "n.avro"));
  ASSERT_EQ(alerts.size(), 10u);
  for (const Alert& a : alerts) EXPECT_TRUE(a.cutouts.empty());
}

}  // namespace
}  // namespace lantern::stream
