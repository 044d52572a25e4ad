#include "sky/context.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>

#include "sky/test_util.h"

namespace lantern::sky {
namespace {

using testing::Offset;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Row {
  const char* id;
  double ra, dec;
  ObjectCategory category;
  double mag = kNaN, z = kNaN, major_arcsec = kNaN, dist_mpc = kNaN;
};

ContextCatalog MakeCatalog(std::string name, const std::vector<Row>& rows) {
  std::vector<double> ra, dec;
  std::vector<std::string> ids;
  ContextCatalog c;
  c.name = std::move(name);
  for (const Row& r : rows) {
    ra.push_back(r.ra);
    dec.push_back(r.dec);
    ids.push_back(r.id);
    c.category.push_back(r.category);
    c.mag.push_back(r.mag);
    c.z.push_back(r.z);
    c.major_axis_arcsec.push_back(r.major_arcsec);
    c.distance_mpc.push_back(r.dist_mpc);
  }
  c.catalog = *Catalog::FromPositions(ra, dec, IdColumn::Strings(ids));
  c.mag_filter = "V";
  return c;
}

SkyPoint Arcsec(SkyPoint p, double arcsec, double pa_deg) {
  return Offset(p, arcsec / 3600.0, pa_deg);
}

// Synthetic sky: a faint star, a bright star, a galaxy with redshift, a QSO, a CV, a galaxy with
// a direct distance, an "other" object, each far from the others.
class ContextSyntheticTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cc = ContextClassifier::Build({MakeCatalog(
        "synth", {
                     {"faint", 10.0, 10.0, ObjectCategory::kStar, 15.0},
                     {"bright", 20.0, 10.0, ObjectCategory::kStar, 8.0},
                     {"gal", 30.0, 10.0, ObjectCategory::kGalaxy, 14.0, 0.02, 60.0},
                     {"qso", 40.0, 10.0, ObjectCategory::kQso, 17.0, 1.5},
                     {"cv", 50.0, 10.0, ObjectCategory::kCv},
                     {"near", 60.0, 10.0, ObjectCategory::kGalaxy, kNaN, kNaN, kNaN, 10.0},
                     {"nebula", 70.0, 10.0, ObjectCategory::kOther},
                 })});
    ASSERT_TRUE(cc.ok()) << cc.status().ToString();
    classifier_ = std::move(cc).value();
  }
  Context One(SkyPoint p) {
    auto r = classifier_.Classify({&p, 1});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? (*r)[0] : Context();
  }
  ContextClassifier classifier_;
};

TEST_F(ContextSyntheticTest, EachClass) {
  const Context vs = One(Arcsec({10, 10}, 0.4, 30));
  EXPECT_EQ(vs.classification, ContextClass::kVs);
  EXPECT_EQ(vs.association_type(), "VS");
  EXPECT_EQ(vs.catalogue_object_id, "faint");
  EXPECT_EQ(vs.catalogue_object_type, "star");
  EXPECT_EQ(vs.catalogue_table_name, "synth");
  EXPECT_NEAR(vs.separationArcsec, 0.4, 1e-6);
  EXPECT_EQ(vs.Mag, 15.0);
  EXPECT_EQ(vs.MagFilter, "V");
  EXPECT_FALSE(vs.best_distance);
  EXPECT_FALSE(vs.physical_separation_kpc);
  EXPECT_NE(vs.description.find("synonymous with synth faint"), std::string::npos)
      << vs.description;

  // A 15th-magnitude star has no halo: 5″ away is nothing.
  EXPECT_EQ(One(Arcsec({10, 10}, 5.0, 30)).classification, ContextClass::kOrphan);

  // An 8th-magnitude star: halo 10″ · 10^(0.2·5) = 100″.
  EXPECT_DOUBLE_EQ(BrightStarRadiusArcsec(ContextRules(), 8.0), 100.0);
  const Context bs = One(Arcsec({20, 10}, 90.0, 200));
  EXPECT_EQ(bs.classification, ContextClass::kBs);
  EXPECT_EQ(bs.catalogue_object_id, "bright");
  EXPECT_EQ(One(Arcsec({20, 10}, 110.0, 200)).classification, ContextClass::kOrphan);
  EXPECT_EQ(One(Arcsec({20, 10}, 0.5, 200)).classification, ContextClass::kVs);

  const Context nt = One(Arcsec({30, 10}, 0.3, 100));
  EXPECT_EQ(nt.classification, ContextClass::kNt);
  EXPECT_EQ(nt.catalogue_object_type, "galaxy");
  EXPECT_EQ(nt.z, 0.02);

  // Galaxy with a 60″ major axis: SN radius 1.5 × 30″ = 45″.
  EXPECT_EQ(One(Arcsec({30, 10}, 44.0, 10)).classification, ContextClass::kSn);
  EXPECT_EQ(One(Arcsec({30, 10}, 46.0, 10)).classification, ContextClass::kOrphan);

  const Context agn = One(Arcsec({40, 10}, 0.8, 300));
  EXPECT_EQ(agn.classification, ContextClass::kAgn);
  EXPECT_EQ(agn.catalogue_object_type, "qso");
  // A QSO without a measured extent is no host.
  EXPECT_EQ(One(Arcsec({40, 10}, 3.0, 300)).classification, ContextClass::kOrphan);

  EXPECT_EQ(One(Arcsec({50, 10}, 0.9, 0)).classification, ContextClass::kCv);
  EXPECT_EQ(One(Arcsec({50, 10}, 1.1, 0)).classification, ContextClass::kOrphan);
  EXPECT_EQ(One(Arcsec({70, 10}, 0.1, 0)).classification, ContextClass::kOrphan);

  const Context orphan = One({200, -40});
  EXPECT_EQ(orphan.classification, ContextClass::kOrphan);
  EXPECT_EQ(orphan.association_type(), "ORPHAN");
  EXPECT_TRUE(orphan.catalogue_object_id.empty());
  EXPECT_NE(orphan.description.find("not obviously associated"), std::string::npos);
}

TEST_F(ContextSyntheticTest, PhysicalSeparationFromRedshiftAndDirectDistance) {
  // z = 0.02: D = 299792.458 · 0.02 / 70 = 85.6550 Mpc; 5″ = 2.42407e-5 rad → 2.07634 kpc.
  const Context sn = One(Arcsec({30, 10}, 5.0, 0));
  ASSERT_EQ(sn.classification, ContextClass::kSn);
  ASSERT_TRUE(sn.distance && sn.best_distance && sn.physical_separation_kpc);
  EXPECT_NEAR(*sn.distance, 85.65499, 1e-4);
  EXPECT_FALSE(sn.direct_distance);
  EXPECT_NEAR(*sn.physical_separation_kpc, 2.07634, 1e-4);
  EXPECT_EQ(sn.major_axis_arcsec, 60.0);
  EXPECT_NE(sn.description.find("2.08 kpc"), std::string::npos) << sn.description;

  // No size, direct distance 10 Mpc: SN radius = 20 kpc at 10 Mpc = 412.5″.
  EXPECT_NEAR(GalaxyRadiusArcsec(ContextRules(), kNaN, 10.0), 412.53, 0.01);
  const Context near = One(Arcsec({60, 10}, 400.0, 45));
  ASSERT_EQ(near.classification, ContextClass::kSn);
  EXPECT_EQ(near.direct_distance, 10.0);
  EXPECT_EQ(near.best_distance, 10.0);
  EXPECT_FALSE(near.distance);
  EXPECT_NEAR(*near.physical_separation_kpc, 400.0 * kArcsecToRad * 10.0e3, 1e-9);
  EXPECT_EQ(One(Arcsec({60, 10}, 420.0, 45)).classification, ContextClass::kOrphan);
}

TEST(ContextOffsetsTest, NorthEastSignsAtEquatorPoleAndRaWrap) {
  auto cc = ContextClassifier::Build({MakeCatalog(
      "stars", {
                   {"eq", 100.0, 0.0, ObjectCategory::kStar},
                   {"pole", 250.0, 89.9999, ObjectCategory::kStar},
                   {"wrap", 359.99995, -20.0, ObjectCategory::kStar},
               })});
  ASSERT_TRUE(cc.ok());
  const SkyPoint alerts[] = {
      {100.0 + 0.5 / 3600.0, 0.0},           // 0.5″ east
      {100.0, -0.5 / 3600.0},                // 0.5″ south
      Arcsec({250.0, 89.9999}, 0.6, 90.0),   // east of a star 0.36″ from the pole
      Arcsec({250.0, 89.9999}, 0.6, 180.0),  // south of it
      Arcsec({359.99995, -20.0}, 0.7, 60.0),  // across RA 0: ra ≈ 0.0001
  };
  auto ctx = cc->Classify(alerts);
  ASSERT_TRUE(ctx.ok());
  const auto& c = *ctx;
  EXPECT_EQ(c[0].catalogue_object_id, "eq");
  EXPECT_NEAR(c[0].eastSeparationArcsec, 0.5, 1e-6);
  EXPECT_NEAR(c[0].northSeparationArcsec, 0.0, 1e-6);
  EXPECT_NEAR(c[1].eastSeparationArcsec, 0.0, 1e-6);
  EXPECT_NEAR(c[1].northSeparationArcsec, -0.5, 1e-6);
  EXPECT_EQ(c[2].catalogue_object_id, "pole");
  EXPECT_NEAR(c[2].eastSeparationArcsec, c[2].separationArcsec, 1e-9);
  EXPECT_NEAR(c[2].northSeparationArcsec, 0.0, 1e-5);
  // Offset() itself is good to ~1e-5″ this close to the pole (asin near 1), so compare the
  // direction with the separation actually found.
  EXPECT_NEAR(c[3].separationArcsec, 0.6, 1e-4);
  EXPECT_NEAR(c[3].eastSeparationArcsec, 0.0, 1e-6);
  EXPECT_NEAR(c[3].northSeparationArcsec, -c[3].separationArcsec, 1e-9);
  EXPECT_EQ(c[4].catalogue_object_id, "wrap");
  EXPECT_LT(alerts[4].ra_deg, 1.0);
  EXPECT_NEAR(c[4].eastSeparationArcsec, 0.7 * std::sin(60.0 * kDegToRad), 1e-6);
  EXPECT_NEAR(c[4].northSeparationArcsec, 0.7 * std::cos(60.0 * kDegToRad), 1e-6);
  for (const Context& x : c) {
    EXPECT_NEAR(std::hypot(x.northSeparationArcsec, x.eastSeparationArcsec), x.separationArcsec,
                1e-9);
  }
}

TEST(ContextPrecedenceTest, ExactMatchesBeatNucleusBeatsStarBeatsHostBeatsHalo) {
  // All objects around one position, across two catalogs: each removal reveals the next class.
  const SkyPoint p{150.0, -30.0};
  const SkyPoint star = Arcsec(p, 0.3, 0);
  const Row gal{"gal", p.ra_deg, p.dec_deg, ObjectCategory::kGalaxy, kNaN, 0.05, 20.0};
  const Row qso{"qso", star.ra_deg, star.dec_deg, ObjectCategory::kQso};
  const Row vs{"vs", star.ra_deg, star.dec_deg, ObjectCategory::kStar, 14.0};
  const SkyPoint far = Arcsec(p, 60.0, 90);
  const Row bright{"bright", far.ra_deg, far.dec_deg, ObjectCategory::kStar, 5.0};
  const SkyPoint alert = Arcsec(p, 0.2, 180);  // 0.2″ from gal, 0.5″ from qso/vs

  auto classify = [&](std::vector<Row> a, std::vector<Row> b) {
    auto cc = ContextClassifier::Build({MakeCatalog("a", a), MakeCatalog("b", b)});
    EXPECT_TRUE(cc.ok());
    return (*cc->Classify({&alert, 1}))[0];
  };
  EXPECT_EQ(classify({gal, vs, bright}, {qso}).classification, ContextClass::kAgn);
  EXPECT_EQ(classify({gal, vs}, {bright}).classification, ContextClass::kNt);
  EXPECT_EQ(classify({vs}, {bright}).classification, ContextClass::kVs);
  const SkyPoint off = Arcsec(p, 5.0, 180);  // outside the nucleus, inside the 15″ host radius
  auto cc = ContextClassifier::Build({MakeCatalog("a", {gal, vs}), MakeCatalog("b", {bright})});
  ASSERT_TRUE(cc.ok());
  EXPECT_EQ((*cc->Classify({&off, 1}))[0].classification, ContextClass::kSn);
  auto halo_only = ContextClassifier::Build({MakeCatalog("b", {bright})});
  EXPECT_EQ((*halo_only->Classify({&off, 1}))[0].classification, ContextClass::kBs);
}

TEST(ContextBuildTest, RejectsInconsistentInput) {
  ContextCatalog c = MakeCatalog("x", {{"a", 1, 2, ObjectCategory::kStar}});
  c.mag.push_back(3.0);
  auto bad = ContextClassifier::Build({c});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("catalog 'x': 2 mag values for 1 rows"),
            std::string::npos)
      << bad.status().message();
  ContextCatalog r = MakeCatalog("y", {{"a", 1, 2, ObjectCategory::kStar}});
  r.rules.point_match_arcsec = -1;
  EXPECT_FALSE(ContextClassifier::Build({r}).ok());
  auto ok = ContextClassifier::Build({MakeCatalog("z", {{"a", 1, 2, ObjectCategory::kStar}})});
  ASSERT_TRUE(ok.ok());
  const SkyPoint bad_alert{1, 100};
  EXPECT_FALSE(ok->Classify({&bad_alert, 1}).ok());
  EXPECT_FALSE(BuiltinContextSpec("nope").ok());
}

// ---- Real catalogs (../shared/data/catalogs) ----

std::string CatalogPath(const char* file) {
  const char* env = std::getenv("LANTERN_SHARED_DATA");
  return std::string(env != nullptr && *env != '\0' ? env : "../shared/data") + "/catalogs/" +
         file;
}

ContextCatalog LoadBuiltin(const char* name, const char* file) {
  auto spec = BuiltinContextSpec(name);
  EXPECT_TRUE(spec.ok());
  auto c = LoadContextCatalogCsv(CatalogPath(file), *spec);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(c).value() : ContextCatalog();
}

size_t Count(const ContextCatalog& c, ObjectCategory k) {
  return std::count(c.category.begin(), c.category.end(), k);
}

TEST(ContextRealCatalogsTest, LoadsBuiltinSpecs) {
  const ContextCatalog ngc = LoadBuiltin("openngc", "openngc_2023-10-05.csv.gz");
  ASSERT_EQ(ngc.catalog.size(), 14026u);
  EXPECT_EQ(Count(ngc, ObjectCategory::kGalaxy), 10521u);  // Type G
  EXPECT_EQ(Count(ngc, ObjectCategory::kStar), 546u);      // Type *
  EXPECT_EQ(Count(ngc, ObjectCategory::kCv), 3u);          // Type Nova
  EXPECT_EQ(ngc.catalog.IdString(1), "IC0002");
  EXPECT_NEAR(ngc.major_axis_arcsec[1], 0.98 * 60.0, 1e-9);
  EXPECT_NEAR(ngc.z[1], 0.02286, 1e-9);

  const ContextCatalog dso = LoadBuiltin("stellarium_dso", "stellarium_dso_v3.16.csv.gz");
  ASSERT_EQ(dso.catalog.size(), 94663u);
  EXPECT_EQ(Count(dso, ObjectCategory::kGalaxy), 75025u + 2474u);
  EXPECT_EQ(Count(dso, ObjectCategory::kQso), 1854u + 600u + 23u + 8u + 17u + 20u);
  // M 40 (row 0) is a star at 0.156 kpc.
  EXPECT_EQ(dso.category[0], ObjectCategory::kStar);
  EXPECT_NEAR(dso.distance_mpc[0], 0.156e-3, 1e-12);
}

TEST(ContextRealCatalogsTest, TychoStarsAreVsAndOffsetGalaxiesAreSn) {
  ContextCatalog tycho = LoadBuiltin("tycho2", "tycho2_astrometry_index4109.csv.gz");
  ContextCatalog dso = LoadBuiltin("stellarium_dso", "stellarium_dso_v3.16.csv.gz");
  ContextCatalog ngc = LoadBuiltin("openngc", "openngc_2023-10-05.csv.gz");
  ASSERT_GT(tycho.catalog.size(), 700000u);

  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  // Alerts 0.3″ from 3000 random Tycho-2 stars.
  std::vector<SkyPoint> alerts;
  std::vector<size_t> star_rows;
  for (int i = 0; i < 3000; ++i) {
    const size_t j = rng() % tycho.catalog.size();
    star_rows.push_back(j);
    alerts.push_back(Arcsec({tycho.catalog.ra()[j], tycho.catalog.dec()[j]}, 0.3, 360 * u(rng)));
  }
  // Alerts 3″ from stellarium galaxies (type 0) with z > 0.005 and no direct distance whose host
  // radius exceeds 4″.
  std::vector<size_t> gal_rows;
  for (size_t j = 0; j < dso.catalog.size() && gal_rows.size() < 2000; j += 7) {
    if (dso.category[j] != ObjectCategory::kGalaxy || !(dso.z[j] > 0.005) ||
        std::isfinite(dso.distance_mpc[j])) {
      continue;
    }
    if (GalaxyRadiusArcsec(dso.rules, dso.major_axis_arcsec[j], HubbleDistanceMpc(dso.z[j])) <=
        4.0) {
      continue;
    }
    gal_rows.push_back(j);
    alerts.push_back(Arcsec({dso.catalog.ra()[j], dso.catalog.dec()[j]}, 3.0, 360 * u(rng)));
  }
  ASSERT_GT(gal_rows.size(), 1000u);
  // Far from everything. (Not (0, 0): the Tycho-2 subset has a row there, id 489537.)
  alerts.push_back({123.4, -56.7});

  auto cc = ContextClassifier::Build({std::move(tycho), std::move(dso), std::move(ngc)});
  ASSERT_TRUE(cc.ok()) << cc.status().ToString();
  auto ctx = cc->Classify(alerts);
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();

  size_t vs_right = 0;
  for (size_t i = 0; i < star_rows.size(); ++i) {
    const Context& c = (*ctx)[i];
    if (c.classification == ContextClass::kVs && c.catalogue_table_name == "tycho2" &&
        c.row == star_rows[i]) {
      ++vs_right;
      EXPECT_NEAR(c.separationArcsec, 0.3, 1e-6);
    }
  }
  EXPECT_GE(vs_right, star_rows.size() * 99 / 100);

  size_t sn = 0, sn_right = 0;
  for (size_t i = 0; i < gal_rows.size(); ++i) {
    const Context& c = (*ctx)[star_rows.size() + i];
    if (c.classification != ContextClass::kSn) continue;
    ++sn;
    if (c.catalogue_table_name != "stellarium_dso" || c.row != gal_rows[i]) continue;
    ++sn_right;
    ASSERT_TRUE(c.physical_separation_kpc && c.z);
    EXPECT_NEAR(c.separationArcsec, 3.0, 1e-6);
    const double d_mpc = 299792.458 * *c.z / 70.0;
    EXPECT_NEAR(*c.physical_separation_kpc, 3.0 / 206264.806 * d_mpc * 1000.0, 1e-6);
  }
  // Some alerts land on a Tycho star or nearer, relative to size, to the OpenNGC copy of
  // the same galaxy; nearly all must be SN and most of them on the Stellarium galaxy itself.
  EXPECT_GE(sn, gal_rows.size() * 97 / 100);
  EXPECT_GE(sn_right, gal_rows.size() * 60 / 100);
  EXPECT_EQ(ctx->back().classification, ContextClass::kOrphan);
}

}  // namespace
}  // namespace lantern::sky
