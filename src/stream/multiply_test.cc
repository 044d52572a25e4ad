#include "stream/multiply.h"

#include <cmath>
#include <map>
#include <numbers>
#include <regex>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "codec/encoder.h"
#include "codec/test_data.h"
#include "core/file.h"
#include "survey/alert_decoder.h"

namespace lantern::stream {
namespace {

using codec::Type;
using codec::Value;

constexpr double kRad = std::numbers::pi / 180.0;

// Angular separation (arcsec) and position angle (radians, east of north) from a to b.
void SeparationAndAngle(double ra1, double dec1, double ra2, double dec2, double* sep_arcsec,
                        double* pa) {
  const double a1 = ra1 * kRad, d1 = dec1 * kRad, a2 = ra2 * kRad, d2 = dec2 * kRad;
  const double p[3] = {std::cos(d1) * std::cos(a1), std::cos(d1) * std::sin(a1), std::sin(d1)};
  const double q[3] = {std::cos(d2) * std::cos(a2), std::cos(d2) * std::sin(a2), std::sin(d2)};
  const double c[3] = {p[1] * q[2] - p[2] * q[1], p[2] * q[0] - p[0] * q[2],
                       p[0] * q[1] - p[1] * q[0]};
  const double dot = p[0] * q[0] + p[1] * q[1] + p[2] * q[2];
  *sep_arcsec = std::atan2(std::sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]), dot) / kRad * 3600;
  const double da = a2 - a1;
  *pa = std::atan2(std::sin(da) * std::cos(d2),
                   std::cos(d1) * std::sin(d2) - std::sin(d1) * std::cos(d2) * std::cos(da));
}

TEST(GridOffsets, CentredSquareGrid) {
  auto g = GridOffsets(9, 2.0);
  ASSERT_TRUE(g.ok());
  ASSERT_EQ(g->size(), 9u);
  EXPECT_EQ((*g)[0].east_arcsec, -2.0);
  EXPECT_EQ((*g)[0].north_arcsec, -2.0);
  EXPECT_EQ((*g)[4].east_arcsec, 0.0);
  EXPECT_EQ((*g)[4].north_arcsec, 0.0);
  EXPECT_EQ((*g)[5].east_arcsec, 2.0);
  EXPECT_EQ((*g)[5].north_arcsec, 0.0);
  EXPECT_EQ((*g)[7].east_arcsec, 0.0);
  EXPECT_EQ((*g)[7].north_arcsec, 2.0);
  auto four = GridOffsets(4, 1.0);
  ASSERT_TRUE(four.ok());
  EXPECT_EQ((*four)[0].east_arcsec, -0.5);
  EXPECT_EQ((*four)[3].north_arcsec, 0.5);
  EXPECT_FALSE(GridOffsets(8, 1.0).ok());
  EXPECT_FALSE(GridOffsets(0, 1.0).ok());
  EXPECT_FALSE(GridOffsets(9, -1.0).ok());
}

TEST(MovePosition, SmallOffsetsAreTrueArcseconds) {
  double ra, dec;
  MovePosition(10.0, 60.0, {0, 3.6}, &ra, &dec);  // 3.6" north
  EXPECT_NEAR(ra, 10.0, 1e-12);
  EXPECT_NEAR(dec, 60.001, 1e-12);
  // 3.6" east: 0.002° of RA at cos(dec) = 0.5; the great circle bends d² tan(dec) / 2 south.
  MovePosition(10.0, 60.0, {3.6, 0}, &ra, &dec);
  EXPECT_NEAR(ra, 10.002, 1e-9);
  EXPECT_NEAR(dec, 60.0 - std::pow(1e-3 * kRad, 2) * std::tan(60 * kRad) / 2 / kRad, 1e-12);
}

TEST(MovePosition, WrapsRaAndCrossesThePole) {
  double ra, dec, sep, pa;
  MovePosition(359.9999, 0.0, {1.0, 0}, &ra, &dec);  // 0.36" west of 0h, moved 1" east
  EXPECT_GE(ra, 0.0);
  EXPECT_LT(ra, 360.0);
  EXPECT_NEAR(ra, 359.9999 + 1 / 3600.0 - 360, 1e-10);
  MovePosition(0.00001, 0.0, {-1.0, 0}, &ra, &dec);
  EXPECT_NEAR(ra, 360 + 0.00001 - 1 / 3600.0, 1e-10);
  MovePosition(30.0, 90 - 1 / 3600.0, {0, 3.0}, &ra, &dec);  // 1" from the pole, 3" north
  EXPECT_LE(dec, 90.0);
  EXPECT_NEAR(dec, 90 - 2 / 3600.0, 1e-9);
  EXPECT_NEAR(ra, 210.0, 1e-6);
  SeparationAndAngle(30.0, 90 - 1 / 3600.0, ra, dec, &sep, &pa);
  EXPECT_NEAR(sep, 3.0, 1e-6);
}

TEST(Multiplier, BadInputIsAnError) {
  Multiplier m(nullptr);
  EXPECT_FALSE(m.Multiply("not an alert", 9, 1.0).ok());
  EXPECT_FALSE(m.Multiply(std::string("\0\0\0\2\xbd", 5), 9, 1.0).ok());  // no resolver
  EXPECT_FALSE(m.Multiply(std::string("Obj\x01", 4), 9, 1.0).ok());
}

// --- every real packet ------------------------------------------------------------------

bool IsSourceIdName(std::string_view n) {
  return n == "candid" || n == "alertId" || n == "diaSourceId" || n == "parentDiaSourceId" ||
         n == "diaForcedSourceId";
}
bool IsObjectIdName(std::string_view n) { return n == "diaObjectId" || n == "ssObjectId"; }

// Checks copy `copy` of a packet against the original field by field, and records every
// id mapping so that uniqueness and consistency can be checked across all copies of all files.
struct Checker {
  // (kind, original, copy) → new, and new → (kind, original, copy).
  std::map<std::tuple<int, std::string, uint64_t>, std::string> forward;
  std::map<std::pair<int, std::string>, std::tuple<int, std::string, uint64_t>> inverse;
  std::set<std::pair<int, std::string>> originals;
  uint64_t positions = 0, ids = 0;
  std::string where;

  void Id(int kind, const std::string& orig, const std::string& now, uint64_t copy) {
    ++ids;
    originals.insert({kind, orig});
    if (orig == "0") {
      EXPECT_EQ(now, "0") << where;  // "none" stays "none"
      return;
    }
    auto key = std::make_tuple(kind, orig, copy);
    auto [f, added] = forward.emplace(key, now);
    EXPECT_EQ(f->second, now) << where << ": original id " << orig << " copy " << copy
                              << " became two different ids";
    auto [inv, inv_added] = inverse.emplace(std::make_pair(kind, now), key);
    EXPECT_TRUE(inv->second == key) << where << ": new id " << now << " given to original "
                                    << std::get<1>(inv->second) << " copy "
                                    << std::get<2>(inv->second) << " and " << orig << " copy "
                                    << copy;
  }

  void Walk(const Value& a, const Value& b, uint64_t copy, SkyOffset off) {
    ASSERT_EQ(a.type(), b.type()) << where;
    ASSERT_EQ(a.in_union(), b.in_union()) << where;
    if (a.in_union()) {
      ASSERT_EQ(a.branch(), b.branch()) << where;
    }
    switch (a.type()) {
      case Type::kRecord: {
        const codec::Node& node = a.node();
        const int ra = node.FieldIndex("ra"), dec = node.FieldIndex("dec");
        bool moved = false;
        if (ra >= 0 && dec >= 0) {
          const Value ra0 = a.FieldAt(ra), dec0 = a.FieldAt(dec);
          const Value ra1 = b.FieldAt(ra), dec1 = b.FieldAt(dec);
          if (!ra0.is_null() && !dec0.is_null() &&
              (ra0.type() == Type::kDouble || ra0.type() == Type::kFloat)) {
            moved = true;
            ++positions;
            double sep, pa;
            SeparationAndAngle(ra0.AsNumber(), dec0.AsNumber(), ra1.AsNumber(), dec1.AsNumber(),
                               &sep, &pa);
            const double expected = std::hypot(off.east_arcsec, off.north_arcsec);
            const double tol = ra0.type() == Type::kFloat ? 0.1 : 1e-6;
            EXPECT_NEAR(sep, expected, tol) << where << " " << node.full_name;
            if (expected > 0 && std::fabs(dec0.AsNumber()) < 89.9) {
              const double turn = pa - std::atan2(off.east_arcsec, off.north_arcsec);
              EXPECT_NEAR(std::remainder(turn, 2 * std::numbers::pi), 0.0, 1e-5) << where;
            }
            EXPECT_GE(ra1.AsNumber(), 0.0);
            EXPECT_LT(ra1.AsNumber(), 360.0);
            EXPECT_LE(std::fabs(dec1.AsNumber()), 90.0);
          }
        }
        for (uint32_t i = 0; i < a.FieldCount(); ++i) {
          const std::string& name = node.fields[i].name;
          const Value fa = a.FieldAt(i), fb = b.FieldAt(i);
          if (moved && (static_cast<int>(i) == ra || static_cast<int>(i) == dec)) continue;
          const bool source = IsSourceIdName(name), object = IsObjectIdName(name);
          if ((source || object) && fa.type() == Type::kLong) {
            ASSERT_EQ(fb.type(), Type::kLong) << where << " " << name;
            Id(source ? 0 : 1, std::to_string(fa.AsLong()), std::to_string(fb.AsLong()), copy);
            continue;
          }
          if (name == "objectId" && fa.type() == Type::kString) {
            ASSERT_EQ(fb.type(), Type::kString) << where;
            const std::string now(fb.AsString());
            EXPECT_TRUE(std::regex_match(now, std::regex("ZTF[0-9]{2}[a-z]{7}"))) << now;
            Id(2, std::string(fa.AsString()), now, copy);
            continue;
          }
          Walk(fa, fb, copy, off);
        }
        return;
      }
      case Type::kArray:
      case Type::kMap:
        ASSERT_EQ(a.Size(), b.Size()) << where;
        for (uint32_t i = 0; i < a.Size(); ++i) {
          if (a.type() == Type::kMap) {
            ASSERT_EQ(a.KeyAt(i), b.KeyAt(i)) << where;
            Walk(a.ValueAt(i), b.ValueAt(i), copy, off);
          } else {
            Walk(a.At(i), b.At(i), copy, off);
          }
        }
        return;
      default: {
        std::string x, y;
        codec::EncodeValue(a, &x);
        codec::EncodeValue(b, &y);
        EXPECT_EQ(x, y) << where << ": an unchanged field differs";
      }
    }
  }
};

// A detection's diaObjectId; -1 when absent or null.
int64_t ObjectOf(const alert::Detection& d) {
  const auto v = d.raw.Get("diaObjectId");
  return v && v->kind == alert::FieldKind::kInt ? v->i : -1;
}

struct Decoded {
  std::vector<alert::Alert> alerts;
  std::vector<codec::DecodedRecord> records;
};

Decoded DecodeAll(survey::AlertDecoder* decoder, const std::string& bytes, Status* st) {
  Decoded d;
  *st = decoder->Decode(std::make_shared<const std::string>(bytes),
                        [&](alert::Alert&& a, const codec::DecodedRecord& r) {
                          d.alerts.push_back(std::move(a));
                          d.records.push_back(r);
                        });
  return d;
}

std::vector<std::string> RealFiles(const std::string& root) {
  std::vector<std::string> out;
  for (const char* dir : {"/ztf/alerts/native", "/ztf/alerts/fink_spark", "/ztf/alerts/fink_multi",
                          "/lsst/alerts"}) {
    auto files = ExpandPaths({root + dir}, {".avro"});
    EXPECT_TRUE(files.ok()) << files.status().ToString();
    if (files.ok()) out.insert(out.end(), files->begin(), files->end());
  }
  return out;
}

TEST(Multiplier, EveryRealPacket) {
  const std::string root = codec::test_data::SharedDataDir();
  if (root.empty()) GTEST_SKIP() << "LANTERN_SHARED_DATA is not set";
  const std::vector<std::string> files = RealFiles(root);
  ASSERT_EQ(files.size(), 318u + 1086u + 3u + 221u);  // README.md of the data
  codec::SchemaCache cache;
  codec::SchemaDirectory schemas(root + "/lsst/schema");
  survey::AlertDecoder decoder(&cache, &schemas);
  Multiplier mult(&schemas);
  Multiplier again(&schemas);  // same calls → same bytes
  Multiplier other_run(&schemas, {.copy_base = 25});
  Checker check;
  uint64_t copies = 0, rubin_confluent = 0;
  for (size_t fi = 0; fi < files.size(); ++fi) {
    const std::string& file = files[fi];
    auto bytes = ReadFile(file);
    ASSERT_TRUE(bytes.ok()) << file;
    Status st;
    const Decoded orig = DecodeAll(&decoder, *bytes, &st);
    ASSERT_TRUE(st.ok()) << file << ": " << st.ToString();
    const int n = fi % 40 == 0 ? 25 : 9;
    const double spacing = fi % 2 ? 2.0 : 15.0;
    auto out = mult.Multiply(*bytes, n, spacing);
    ASSERT_TRUE(out.ok()) << file << ": " << out.status().ToString();
    auto same = again.Multiply(*bytes, n, spacing);
    ASSERT_TRUE(same.ok());
    EXPECT_TRUE(*out == *same) << file << ": the same input gave different bytes";
    const auto offsets = GridOffsets(n, spacing).value();
    std::vector<std::string> runs[2] = {std::move(out).value(), {}};
    if (fi % 50 == 0) {  // a second run with another copy base: ids must not meet the first's
      auto second = other_run.Multiply(*bytes, n, spacing);
      ASSERT_TRUE(second.ok());
      runs[1] = std::move(second).value();
    }
    for (int run = 0; run < 2; ++run) {
      for (size_t c = 0; c < runs[run].size(); ++c) {
        const std::string& packet = runs[run][c];
        const uint64_t id_copy = c + (run ? 25 : 0);
        check.where = fmt::format("{} copy {}", file, id_copy);
        const Decoded copy = DecodeAll(&decoder, packet, &st);
        ASSERT_TRUE(st.ok()) << check.where << ": " << st.ToString();
        ASSERT_EQ(copy.alerts.size(), orig.alerts.size()) << check.where;
        ++copies;
        for (size_t r = 0; r < orig.alerts.size(); ++r) {
          const alert::Alert& a = orig.alerts[r];
          const alert::Alert& b = copy.alerts[r];
          EXPECT_EQ(copy.records[r].framing, orig.records[r].framing) << check.where;
          EXPECT_EQ(copy.records[r].schema_id, orig.records[r].schema_id) << check.where;
          EXPECT_EQ(b.survey, a.survey);
          EXPECT_EQ(b.prv_detections.size(), a.prv_detections.size()) << check.where;
          EXPECT_EQ(b.forced.size(), a.forced.size()) << check.where;
          EXPECT_EQ(b.nondetections.size(), a.nondetections.size()) << check.where;
          EXPECT_EQ(b.cutouts.size(), a.cutouts.size()) << check.where;
          EXPECT_NE(b.alert_id, a.alert_id) << check.where;
          EXPECT_NE(b.object_id, a.object_id) << check.where;
          // The Rubin object of the alert is the object of its history.
          if (a.survey == alert::Survey::kLsst) {
            for (size_t h = 0; h < a.prv_detections.size(); ++h) {
              if (ObjectOf(a.prv_detections[h]) == ObjectOf(a.detection)) {
                EXPECT_EQ(ObjectOf(b.prv_detections[h]), ObjectOf(b.detection)) << check.where;
              }
            }
          }
          check.Walk(orig.records[r].datum->root(), copy.records[r].datum->root(), id_copy,
                     offsets[c]);
        }
        if (orig.records[0].framing == codec::Framing::kConfluent) {
          ++rubin_confluent;
          EXPECT_EQ(packet.substr(0, 5), bytes->substr(0, 5)) << check.where;
        } else {
          EXPECT_EQ(packet.substr(0, 4), std::string("Obj\x01", 4)) << check.where;
        }
      }
    }
  }
  // No new id is an original id.
  for (const auto& [kind_new, key] : check.inverse)
    EXPECT_FALSE(check.originals.count(kind_new)) << "new id " << kind_new.second
                                                  << " is also an original id";
  EXPECT_GT(copies, 15000u);
  EXPECT_EQ(rubin_confluent, 10u * 9u);  // the 10 pittgoogle files
  EXPECT_GT(check.positions, 100000u);
  EXPECT_GT(check.inverse.size(), 100000u);
  std::printf("%llu copies, %llu positions, %llu ids (%zu distinct new)\n",
              static_cast<unsigned long long>(copies),
              static_cast<unsigned long long>(check.positions),
              static_cast<unsigned long long>(check.ids), check.inverse.size());
}

}  // namespace
}  // namespace lantern::stream
