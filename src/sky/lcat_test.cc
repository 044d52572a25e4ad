// .lcat files: built from CSV (a small hand-made one and the real Tycho-2 subset), reopened
// with the same positions, ids, kept columns and crossmatch results as the CSV; damaged files
// are errors, never crashes.
#include "sky/lcat.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <cstring>
#include <random>

#include "core/file.h"
#include "sky/test_util.h"

namespace lantern::sky {
namespace {

std::string DataDir() {
  const char* env = std::getenv("LANTERN_SHARED_DATA");
  return env != nullptr && *env != '\0' ? env : "../shared/data";
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::path(::testing::TempDir()) / name).string();
}

// (query id, catalog id, separation) triples: comparable across row numberings.
std::vector<std::tuple<size_t, std::string, double>> Pairs(const LoadedCatalog& cat,
                                                           const std::vector<Match>& m) {
  std::vector<std::tuple<size_t, std::string, double>> out;
  for (const Match& x : m) out.emplace_back(x.query, cat.IdString(x.row), x.sep_arcsec);
  std::sort(out.begin(), out.end());
  return out;
}

constexpr char kSmallCsv[] =
    "name,ra,dec,mag,flag,note\n"
    "a,10.0,20.0,12.5,1,x\n"
    "b,10.001,20.0,,2,\"with, comma\"\n"
    "c,359.9999,-89.9,14,3,\n"
    "d,-0.5,0.0,1e3,-4,z\n"
    "e,180,90,7,5,w\n";

TEST(LcatTest, SmallCatalogKeepsIdsColumnsAndTypes) {
  const std::string csv = TempPath("small.csv");
  ASSERT_TRUE(WriteFile(csv, kSmallCsv).ok());
  const std::string lcat = TempPath("small.lcat");
  LcatBuildOptions opt;
  opt.id_col = "name";
  opt.keep = {"mag", "flag", "note"};
  auto stats = BuildLcat(csv, lcat, opt);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->rows, 5u);
  ASSERT_TRUE(IsLcatFile(lcat));
  auto cat = OpenCatalog(lcat);
  ASSERT_TRUE(cat.ok()) << cat.status().ToString();
  EXPECT_TRUE(cat->mapped());
  ASSERT_EQ(cat->size(), 5u);
  ASSERT_EQ(cat->columns().size(), 3u);
  const int mag = cat->FindColumn("mag"), flag = cat->FindColumn("flag");
  const int note = cat->FindColumn("note");
  ASSERT_TRUE(mag >= 0 && flag >= 0 && note >= 0);
  EXPECT_EQ(cat->columns()[mag].type, ColumnType::kDouble);
  EXPECT_EQ(cat->columns()[flag].type, ColumnType::kInt64);
  EXPECT_EQ(cat->columns()[note].type, ColumnType::kString);
  EXPECT_EQ(cat->ids().type, ColumnType::kString);
  // Rows are in index order; look each up by id.
  std::map<std::string, size_t> by_id;
  for (size_t r = 0; r < cat->size(); ++r) by_id[cat->IdString(r)] = r;
  ASSERT_EQ(by_id.size(), 5u);
  const size_t b = by_id.at("b"), d = by_id.at("d");
  EXPECT_EQ(cat->ra()[b], 10.001);
  EXPECT_EQ(cat->dec()[b], 20.0);
  EXPECT_TRUE(std::isnan(cat->columns()[mag].doubles[b]));
  EXPECT_EQ(cat->columns()[note].String(b), "with, comma");
  EXPECT_EQ(cat->ra()[d], 359.5);  // wrapped, as Catalog does
  EXPECT_EQ(cat->columns()[mag].doubles[d], 1000.0);
  EXPECT_EQ(cat->columns()[flag].ints[d], -4);
  EXPECT_EQ(cat->columns()[note].CellString(by_id.at("c")), "");
  // A cone around a finds a and b (3.4″ apart), nothing else.
  auto m = cat->index().Cone({10.0, 20.0}, 5.0);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ(cat->IdString((*m)[0].row), "a");
  EXPECT_EQ(cat->IdString((*m)[1].row), "b");
  // Without an id column the input row number is the id, as for CSV catalogs.
  opt.id_col.clear();
  opt.keep.clear();
  ASSERT_TRUE(BuildLcat(csv, lcat, opt).ok());
  auto rows = OpenCatalog(lcat);
  ASSERT_TRUE(rows.ok());
  auto m2 = rows->index().Cone({-0.5, 0.0}, 1.0);
  ASSERT_TRUE(m2.ok() && m2->size() == 1u);
  EXPECT_EQ(rows->IdString((*m2)[0].row), "3");
}

TEST(LcatTest, BuildErrorsNameTheLine) {
  const std::string csv = TempPath("bad.csv");
  ASSERT_TRUE(WriteFile(csv, "id,ra,dec\n1,10,20\n2,abc,20\n").ok());
  auto st = BuildLcat(csv, TempPath("bad.lcat"), {});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("line 3: column 'ra': 'abc'"), std::string::npos)
      << st.status().message();
  LcatBuildOptions opt;
  opt.keep = {"nope"};
  auto missing = BuildLcat(csv, TempPath("bad.lcat"), opt);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos);
}

TEST(LcatTest, DamagedFilesAreErrors) {
  const std::string csv = TempPath("dmg.csv");
  std::string text = "id,ra,dec\n";
  std::mt19937_64 rng(3);
  for (int i = 0; i < 2000; ++i) {
    text += fmt::format("{},{:.6f},{:.6f}\n", i, (rng() % 3600000) / 1e4,
                        (rng() % 1800000) / 1e4 - 90.0);
  }
  ASSERT_TRUE(WriteFile(csv, text).ok());
  const std::string lcat = TempPath("dmg.lcat");
  ASSERT_TRUE(BuildLcat(csv, lcat, {}).ok());
  auto good = ReadFile(lcat);
  ASSERT_TRUE(good.ok());
  const std::string bytes = *good;
  const std::string bad = TempPath("dmg_bad.lcat");
  auto open_with = [&](const std::string& b) {
    EXPECT_TRUE(WriteFile(bad, b).ok());
    return OpenLcat(bad);
  };
  auto expect_error = [&](const std::string& b, const std::string& what) {
    auto r = open_with(b);
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_NE(r.status().message().find(what), std::string::npos) << r.status().message();
  };
  for (size_t len : {size_t{0}, size_t{10}, size_t{100}, bytes.size() / 2, bytes.size() - 1}) {
    SCOPED_TRACE(len);
    auto r = open_with(bytes.substr(0, len));
    EXPECT_FALSE(r.ok());
  }
  expect_error(bytes.substr(0, bytes.size() - 1), "truncated");
  std::string b = bytes;
  b[0] = 'X';
  expect_error(b, "bad magic");
  b = bytes;
  b[20] ^= 1;  // row count
  expect_error(b, "checksum");
  b = bytes;
  b[8] = 9;  // version
  expect_error(b, "version 9");
  // The index directory is checked: a cell offset beyond the rows is caught at open.
  auto cat = OpenLcat(lcat);
  ASSERT_TRUE(cat.ok());
  const auto cells = cat->index().arrays().cell_start;
  b = bytes;
  // Find the cell_start section by content: its values are the mapped array's bytes.
  const std::string cell_bytes(reinterpret_cast<const char*>(cells.data()), cells.size_bytes());
  const size_t pos = bytes.find(cell_bytes);
  ASSERT_NE(pos, std::string::npos);
  const uint32_t huge = 1u << 30;
  std::memcpy(b.data() + pos + 4 * (cells.size() / 2), &huge, 4);
  expect_error(b, "cell offset");
  // Random damage anywhere after the header: open fails or every query still runs.
  for (int t = 0; t < 200; ++t) {
    b = bytes;
    for (int k = 0; k < 8; ++k) b[256 + rng() % (b.size() - 256)] ^= static_cast<char>(rng());
    auto r = open_with(b);
    if (!r.ok()) continue;
    std::vector<SkyPoint> q = {{10, 10}, {0, 89.99}, {359.99, -45}};
    EXPECT_TRUE(r->index().AllWithin(q, 3600.0).ok());
    for (size_t row = 0; row < r->size(); row += 97) r->IdString(row);
  }
}

TEST(LcatTest, Tycho2LcatMatchesCsv) {
  const std::string csv = DataDir() + "/catalogs/tycho2_astrometry_index4109.csv.gz";
  const std::string lcat = TempPath("tycho2.lcat");
  LcatBuildOptions opt;
  opt.keep = {"mag_vt"};
  uint64_t calls = 0;
  opt.progress = [&](const CsvLoadProgress&) { ++calls; };
  auto stats = BuildLcat(csv, lcat, opt);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_GT(calls, 5u);
  OpenCatalogOptions copt;
  copt.numeric_cols = {"mag_vt"};
  auto from_csv = OpenCatalog(csv, copt);
  auto from_lcat = OpenCatalog(lcat);
  ASSERT_TRUE(from_csv.ok() && from_lcat.ok()) << from_lcat.status().ToString();
  ASSERT_EQ(from_csv->size(), 723026u);
  ASSERT_EQ(from_lcat->size(), from_csv->size());
  EXPECT_FALSE(from_csv->mapped());
  EXPECT_TRUE(from_lcat->mapped());
  EXPECT_EQ(stats->hot_bytes, from_lcat->hot_bytes());
  EXPECT_LT(from_lcat->hot_bytes(), 26u * from_lcat->size());
  // Same positions, ids and magnitudes, row by row through the ids (1..N in the CSV).
  const int mag = from_lcat->FindColumn("mag_vt");
  ASSERT_GE(mag, 0);
  EXPECT_EQ(from_lcat->columns()[mag].type, ColumnType::kDouble);
  ASSERT_EQ(from_lcat->ids().type, ColumnType::kInt64);
  std::vector<bool> seen(from_csv->size(), false);
  for (size_t r = 0; r < from_lcat->size(); ++r) {
    const int64_t id = from_lcat->ids().ints[r];
    ASSERT_TRUE(id >= 1 && id <= static_cast<int64_t>(from_csv->size()));
    const size_t c = static_cast<size_t>(id - 1);
    ASSERT_FALSE(seen[c]);
    seen[c] = true;
    ASSERT_EQ(from_csv->IdString(c), std::to_string(id));
    ASSERT_EQ(from_lcat->ra()[r], from_csv->ra()[c]);
    ASSERT_EQ(from_lcat->dec()[r], from_csv->dec()[c]);
    ASSERT_EQ(from_lcat->columns()[mag].doubles[r], from_csv->columns()[0].doubles[c]);
  }
  // Same crossmatch: all pairs within 30″ and 1°, and nearest within 30″.
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<SkyPoint> queries;
  for (int i = 0; i < 20000; ++i) {
    const size_t j = rng() % from_csv->size();
    queries.push_back(i % 2 == 0 ? testing::Offset({from_csv->ra()[j], from_csv->dec()[j]},
                                                   20.0 / 3600.0 * u(rng), 360.0 * u(rng))
                                 : SkyPoint{360.0 * u(rng), std::asin(2.0 * u(rng) - 1.0) *
                                                                kRadToDeg});
  }
  for (const double r : {30.0, 3600.0}) {
    auto a = from_csv->index().AllWithin(queries, r);
    auto b = from_lcat->index().AllWithin(queries, r);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_GT(a->size(), queries.size() / 3);
    EXPECT_EQ(Pairs(*from_csv, *a), Pairs(*from_lcat, *b));
  }
  auto na = from_csv->index().NearestWithin(queries, 30.0);
  auto nb = from_lcat->index().NearestWithin(queries, 30.0);
  ASSERT_TRUE(na.ok() && nb.ok());
  EXPECT_EQ(Pairs(*from_csv, *na), Pairs(*from_lcat, *nb));
  // The 1-D layout over the same mapped arrays agrees.
  auto one_d = OpenLcat(lcat, ZoneLayout::kZones1d);
  ASSERT_TRUE(one_d.ok());
  auto c = one_d->index().AllWithin(queries, 30.0);
  auto b = from_lcat->index().AllWithin(queries, 30.0);
  ASSERT_TRUE(c.ok() && b.ok());
  EXPECT_EQ(*c, *b);
}

}  // namespace
}  // namespace lantern::sky
