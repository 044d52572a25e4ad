// The store's parts: key encodings sort as their values, object records round-trip, tables
// are separate and writes atomic, rows and packets keep the survey's bytes, cone search finds
// exactly the objects within the radius (RA 0/360 and the poles included), cutout modes,
// digests and dead-letter reason classes.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "codec/encoder.h"
#include "codec/schema.h"
#include "sky/geometry.h"
#include "sky/zones.h"
#include "store/cutouts.h"
#include "store/keys.h"
#include "store/object_record.h"
#include "store/queries.h"
#include "store/rows.h"
#include "store/store.h"
#include "stream/simulator.h"
#include "survey/alert_decoder.h"

namespace lantern::store {
namespace {

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("lantern-store-test-" + std::to_string(std::random_device{}()));
    std::filesystem::remove_all(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(KeysTest, OrderedDoublesSortLikeNumbers) {
  std::vector<double> values = {-1e300, -5.5, -1.0, -1e-300, 0.0, 1e-300, 0.5, 1.0, 60000.25,
                                1e300};
  std::vector<std::string> keys;
  for (double v : values) {
    std::string k;
    AppendOrderedDouble(v, &k);
    EXPECT_EQ(ReadOrderedDouble(k), v);
    keys.push_back(k);
  }
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  std::string minus_zero, zero;
  AppendOrderedDouble(-0.0, &minus_zero);
  AppendOrderedDouble(0.0, &zero);
  EXPECT_EQ(minus_zero, zero);
}

TEST(KeysTest, DetectionKeysGroupByObjectThenTime) {
  const std::string a = ObjectKey(alert::Survey::kZtf, "ZTF18aaa");
  const std::string ab = ObjectKey(alert::Survey::kZtf, "ZTF18aaab");  // a prefix of the text
  EXPECT_LT(DetectionKey(a, 60001, 5), DetectionKey(a, 60002, 1));
  EXPECT_LT(DetectionKey(a, 60001, -5), DetectionKey(a, 60001, 3));
  // Every row of "ZTF18aaa" sorts before any of "ZTF18aaab" and does not share its prefix.
  EXPECT_LT(DetectionKey(a, 1e9, 1), DetectionKey(ab, 0, 0));
  EXPECT_NE(DetectionKey(ab, 0, 0).substr(0, a.size()), a);
  alert::Survey survey;
  std::string_view id, rest;
  const std::string key = DetectionKey(a, 1, 2);
  ASSERT_TRUE(ParseObjectKey(key, &survey, &id, &rest));
  EXPECT_EQ(id, "ZTF18aaa");
  EXPECT_EQ(rest.size(), 16u);
  EXPECT_FALSE(ParseObjectKey("x", &survey, &id));
}

TEST(ObjectRecordTest, RoundTripsAndRejectsDamage) {
  ObjectRecord rec;
  rec.light_curve.survey = alert::Survey::kLsst;
  rec.light_curve.object_id = "1234567";
  features::LightCurvePoint p;
  p.source_id = 42;
  p.mjd = 60000.5;
  p.ra = 10;
  p.dec = -20;
  p.band = "r";
  p.flux = 1234.5;
  p.nid = 7;
  p.has_ps1 = true;
  p.sgscore1 = 0.25;
  p.has_ssnamenr = true;
  p.ssnamenr = "123";
  rec.light_curve.detections = {p, p};
  rec.light_curve.detections[1].source_id = 43;
  rec.light_curve.detections[1].nid.reset();
  alert::NonDetection n;
  n.mjd = 59999;
  n.band = "g";
  n.limiting_mag = 20.5;
  rec.light_curve.nondetections = {n};
  rec.features.Add("nDiaSources", int64_t{2});
  rec.features.Add("glat", 12.5);
  rec.features.Add("name", std::string("x"));
  rec.features.Add("none", std::monostate{});
  rec.ra = 10;
  rec.dec = -20;
  rec.latest_alert_id = 43;
  rec.context_json = R"({"classification":"SN"})";
  const std::string bytes = SerializeObject(rec);
  auto back = ParseObject(bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(SerializeObject(*back), bytes);
  EXPECT_EQ(back->light_curve.detections[0].nid, std::optional<int64_t>(7));
  EXPECT_FALSE(back->light_curve.detections[1].nid.has_value());
  EXPECT_EQ(back->light_curve.detections[0].ssnamenr, std::optional<std::string>("123"));
  EXPECT_EQ(back->features.columns().size(), 4u);
  EXPECT_EQ(back->context_json, rec.context_json);
  for (size_t cut = 0; cut < bytes.size(); cut += 7) {
    EXPECT_FALSE(ParseObject(std::string_view(bytes).substr(0, cut)).ok()) << cut;
  }
}

TEST(StoreTest, TablesAreSeparateAndWritesAtomic) {
  TempDir dir;
  auto db = Store::Open(dir.str());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  WriteSet ws(**db);
  ws.Put(Table::kObjects, "k", "object");
  ws.Put(Table::kDetections, "k", "detection");
  ws.Put(Table::kDetections, "k2", "d2");
  ws.Delete(Table::kDetections, "k2");
  EXPECT_FALSE((*db)->Get(Table::kObjects, "k")->has_value());  // nothing before Write
  ASSERT_TRUE((*db)->Write(&ws).ok());
  EXPECT_EQ(**(*db)->Get(Table::kObjects, "k"), "object");
  EXPECT_EQ(**(*db)->Get(Table::kDetections, "k"), "detection");
  EXPECT_EQ(*(*db)->Count(Table::kDetections), 1u);
  std::vector<bool> found;
  const std::vector<std::string> keys = {"k", "k2", "nope"};
  ASSERT_TRUE((*db)->Exists(Table::kDetections, keys, &found).ok());
  EXPECT_EQ(found, (std::vector<bool>{true, false, false}));
  db->reset();
  // Reopened (also read-only) the rows are there.
  StoreOptions ro;
  ro.read_only = true;
  auto again = Store::Open(dir.str(), ro);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(**(*again)->Get(Table::kObjects, "k"), "object");
  const std::string digest = *TableDigest(**again, Table::kDetections);
  EXPECT_EQ(digest.size(), 64u);
  EXPECT_NE(digest, *TableDigest(**again, Table::kObjects));
}

// Tables flushed past the page cache (O_DIRECT, the default where the file system takes it)
// and through it hold the same rows, across several flushes and a reopen.
TEST(StoreTest, DirectAndBufferedFlushesKeepTheSameRows) {
  std::vector<std::string> digests;
  for (const bool direct : {true, false}) {
    TempDir dir;
    StoreOptions options;
    options.wal = false;  // every row reaches the tables through a flush
    options.direct_io = direct;
    auto db = Store::Open(dir.str(), options);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    // The test's temporary directory is on ext4 or tmpfs here, both take O_DIRECT.
    EXPECT_EQ((*db)->direct_io(), direct);
    std::mt19937_64 rng(7);
    for (int flush = 0; flush < 3; ++flush) {
      WriteSet ws(**db);
      for (int i = 0; i < 5000; ++i) {
        std::string value(1 + rng() % 3000, static_cast<char>('a' + rng() % 26));
        ws.Put(Table::kDetections, "d" + std::to_string(flush * 5000 + i), value);
        ws.Put(Table::kObjects, "o" + std::to_string(i), value.substr(0, 50));
      }
      ASSERT_TRUE((*db)->Write(&ws).ok());
      ASSERT_TRUE((*db)->Flush().ok());
    }
    EXPECT_EQ(*(*db)->Count(Table::kDetections), 15000u);
    db->reset();
    StoreOptions ro;
    ro.read_only = true;
    auto again = Store::Open(dir.str(), ro);
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(*(*again)->Count(Table::kDetections), 15000u);
    EXPECT_EQ(*(*again)->Count(Table::kObjects), 5000u);
    digests.push_back(*TableDigest(**again, Table::kDetections) +
                      *TableDigest(**again, Table::kObjects));
  }
  EXPECT_EQ(digests[0], digests[1]);
}

// With background work paused, writes still land (in the memtables) and nothing is flushed;
// once resumed, a flush writes them out and a reopen finds them.
TEST(StoreTest, PausedBackgroundWorkHoldsFlushesUntilResumed) {
  TempDir dir;
  StoreOptions options;
  options.wal = false;
  auto db = Store::Open(dir.str(), options);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE((*db)->PauseBackgroundWork().ok());
  WriteSet ws(**db);
  for (int i = 0; i < 1000; ++i) ws.Put(Table::kDetections, "d" + std::to_string(i), "row");
  ASSERT_TRUE((*db)->Write(&ws).ok());
  EXPECT_EQ(*(*db)->Count(Table::kDetections), 1000u);
  ASSERT_TRUE((*db)->Flush(/*wait=*/false).ok());  // scheduled, not run while paused
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a flush of 1000 rows: ~1 ms
  auto table_files = [&] {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.str())) {
      n += e.path().extension() == ".sst";
    }
    return n;
  };
  EXPECT_EQ(table_files(), 0);
  ASSERT_TRUE((*db)->ResumeBackgroundWork().ok());
  ASSERT_TRUE((*db)->Flush().ok());
  db->reset();
  auto again = Store::Open(dir.str(), options);  // without the log: only flushed rows survive
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*(*again)->Count(Table::kDetections), 1000u);
}

// Rows and stored packets keep the survey's bytes: decoded with the stored schema they encode
// back to the original record; the stored packet lacks only the cutout bytes.
TEST(RowsTest, RowsAndPacketsReadBackByName) {
  TempDir dir;
  auto db = Store::Open(dir.str());
  ASSERT_TRUE(db.ok());
  stream::SimulatorOptions so;
  so.survey = alert::Survey::kZtf;
  stream::Simulator sim(so);
  codec::SchemaCache cache;
  survey::AlertDecoder decoder(&cache, nullptr);
  RowEncoder encoder;
  WriteSet ws(**db);
  int checked = 0;
  for (int i = 0; i < 40; ++i) {
    auto datum = sim.NextDatum();
    ASSERT_TRUE(datum.ok());
    auto bytes = std::make_shared<const std::string>(std::move(datum).value());
    ASSERT_TRUE(decoder.DecodeBare(sim.schema(), bytes, [&](alert::Alert&& a,
                                                            const codec::DecodedRecord& r) {
      std::string row;
      ASSERT_TRUE(encoder.EncodeRow(a.detection.raw, a.detection.mjd, a.detection.band, &ws,
                                    &row).ok());
      std::string packet;
      ASSERT_TRUE(encoder.EncodePacket(*r.datum, a, &ws, &packet).ok());
      ASSERT_TRUE((*db)->Write(&ws).ok());
      ws.Clear();
      RowReader reader(db->get());
      auto back = reader.Read(row);
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      EXPECT_EQ(back->mjd, a.detection.mjd);
      EXPECT_EQ(back->band, a.detection.band);
      EXPECT_EQ(back->record->root().Field("sourceId").AsLong(), a.detection.source_id);
      auto stored = reader.ReadPacket(packet);
      ASSERT_TRUE(stored.ok()) << stored.status().ToString();
      size_t cutout_bytes = 0;
      for (const auto& c : a.cutouts) cutout_bytes += c.bytes.size();
      EXPECT_GT(cutout_bytes, 1000u);
      EXPECT_LT((*stored)->bytes().size() + cutout_bytes, r.datum->bytes().size() + 1);
      EXPECT_EQ((*stored)->root().Field("alertId").AsLong(), a.alert_id);
      // The history lives in its own tables: the compact packet's arrays are empty, and
      // every other top-level field is as sent.
      const codec::Value original = r.datum->root();
      const codec::Value compact = (*stored)->root();
      for (uint32_t i = 0; i < original.FieldCount(); ++i) {
        const codec::Value f = compact.FieldAt(i);
        const codec::Value o = original.FieldAt(i);
        if (o.in_union()) EXPECT_EQ(f.branch(), o.branch());
        if (f.type() == codec::Type::kArray) {
          EXPECT_EQ(f.Size(), 0u);
        } else if (f.type() != codec::Type::kBytes) {
          std::string a_bytes, b_bytes;
          codec::EncodeValue(f, &a_bytes);
          codec::EncodeValue(o, &b_bytes);
          EXPECT_EQ(a_bytes, b_bytes) << original.node().fields[i].name;
        }
      }
      ++checked;
    }).ok());
  }
  EXPECT_EQ(checked, 40);
}

TEST(ConeTest, FindsExactlyTheObjectsWithinTheRadius) {
  TempDir dir;
  auto db = Store::Open(dir.str());
  ASSERT_TRUE(db.ok());
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(-1, 1);
  struct Obj {
    std::string id;
    double ra, dec;
  };
  std::vector<Obj> objects;
  const std::vector<sky::SkyPoint> centers = {{0.0, 0.0}, {359.999, 30}, {45, 89.99},
                                              {200, -89.995}, {120, 45}};
  WriteSet ws(**db);
  for (const auto& c : centers) {
    for (int i = 0; i < 300; ++i) {
      Obj o{"o" + std::to_string(objects.size()),
            sky::WrapRaDeg(c.ra_deg + u(rng) * 0.05 / std::max(0.01, std::cos(c.dec_deg * sky::kDegToRad))),
            std::clamp(c.dec_deg + u(rng) * 0.05, -90.0, 90.0)};
      const double d = o.dec;  // the value is the dec, as the pipeline writes it
      const std::string dec(reinterpret_cast<const char*>(&d), 8);
      ws.Put(Table::kPositions, PositionKey(o.ra, o.dec, ObjectKey(alert::Survey::kZtf, o.id)), dec);
      objects.push_back(o);
    }
  }
  ASSERT_TRUE((*db)->Write(&ws).ok());
  for (const auto& c : centers) {
    for (double r : {1.0, 60.0, 150.0}) {
      auto hits = Cone(**db, c.ra_deg, c.dec_deg, r);
      ASSERT_TRUE(hits.ok()) << hits.status().ToString();
      std::vector<std::string> want;
      for (const Obj& o : objects) {
        const double sep = sky::HaversineRadians(c.ra_deg, c.dec_deg, o.ra, o.dec) * sky::kRadToArcsec;
        if (sep <= r * (1 - 1e-12)) want.push_back(o.id);
      }
      std::vector<std::string> got;
      for (const ConeHit& h : *hits) got.push_back(h.object_id);
      EXPECT_TRUE(std::is_sorted(hits->begin(), hits->end(), [](const ConeHit& a, const ConeHit& b) {
        return a.sep_arcsec < b.sep_arcsec;
      }));
      std::sort(got.begin(), got.end());
      std::sort(want.begin(), want.end());
      EXPECT_EQ(got, want) << c.ra_deg << "," << c.dec_deg << " r=" << r;
    }
  }
  EXPECT_FALSE(Cone(**db, 0, 91, 1).ok());
  EXPECT_FALSE(Cone(**db, 0, 0, 4000).ok());
}

TEST(CutoutStoreTest, EveryModeKeepsOrCountsTheBytes) {
  TempDir dir;
  auto db = Store::Open(dir.str() + "/db");
  ASSERT_TRUE(db.ok());
  const std::string bytes(5000, 'x');
  alert::Cutout c;
  c.kind = alert::CutoutKind::kDifference;
  c.format = alert::CutoutFormat::kFits;
  c.bytes = bytes;
  for (CutoutMode mode : {CutoutMode::kRocksDb, CutoutMode::kFiles, CutoutMode::kCount}) {
    CutoutStore store(db->get(), mode, dir.str() + "/tree");
    WriteSet ws(**db);
    const int64_t id = 100 + static_cast<int>(mode);
    auto ref = store.Put(alert::Survey::kZtf, id, c, &ws);
    ASSERT_TRUE(ref.ok());
    ASSERT_TRUE((*db)->Write(&ws).ok());
    EXPECT_EQ(store.bytes(), bytes.size());
    auto back = store.Get(alert::Survey::kZtf, id, alert::CutoutKind::kDifference);
    ASSERT_TRUE(back.ok());
    if (mode == CutoutMode::kCount) {
      EXPECT_FALSE(back->has_value());
    } else {
      ASSERT_TRUE(back->has_value()) << CutoutModeName(mode);
      EXPECT_EQ(**back, bytes);
    }
    if (mode == CutoutMode::kFiles) EXPECT_EQ(ref->substr(0, 7), "sha256:");
  }
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_FALSE(ParseCutoutMode("s3").ok());
}

TEST(DeadLetterTest, ReasonClassDropsLocationsAndNumbers) {
  EXPECT_EQ(ReasonClass("byte 4711: record 3: input ends inside a float"),
            "input ends inside a float");
  EXPECT_EQ(ReasonClass("byte 0: unknown framing (first byte 0x07: neither an Avro container)"),
            "unknown framing (first byte #x##: neither an Avro container)");
  EXPECT_EQ(ReasonClass("block of 512 bytes runs past the end"), "block of ### bytes runs past the end");
}

}  // namespace
}  // namespace lantern::store
