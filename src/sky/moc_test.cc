// Moc: parsing of the three serialisations, errors on malformed input, round trips, area and
// membership (cells computed by healpix_cxx, checked here at known points and by pix2ang).
#include "sky/moc.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fitsio.h>
#include <fmt/format.h>
#include <healpix_base.h>
#include <random>

#include "sky/geometry.h"

namespace lantern::sky {
namespace {

constexpr int kShift3 = 2 * (kMocMaxOrder - 3);

// A FITS MOC built in memory by cfitsio: one K column of `values`, with these string and
// integer header keywords.
std::string MakeFits(const std::vector<long long>& values,
                     const std::vector<std::pair<const char*, const char*>>& strings,
                     const std::vector<std::pair<const char*, long long>>& ints) {
  size_t size = 2880;
  void* mem = std::malloc(size);
  fitsfile* f = nullptr;
  int status = 0;
  fits_create_memfile(&f, &mem, &size, 2880, std::realloc, &status);
  fits_create_img(f, BYTE_IMG, 0, nullptr, &status);
  char ttype[] = "UNIQ", tform[] = "1K";
  char* ttypes[] = {ttype};
  char* tforms[] = {tform};
  fits_create_tbl(f, BINARY_TBL, 0, 1, ttypes, tforms, nullptr, "MOC", &status);
  for (const auto& [k, v] : strings) {
    fits_update_key(f, TSTRING, k, const_cast<char*>(v), nullptr, &status);
  }
  for (const auto& [k, v] : ints) {
    long long value = v;
    fits_update_key(f, TLONGLONG, k, &value, nullptr, &status);
  }
  std::vector<long long> copy = values;
  if (!copy.empty()) fits_write_col(f, TLONGLONG, 1, 1, 1, copy.size(), copy.data(), &status);
  fits_close_file(f, &status);
  EXPECT_EQ(status, 0);
  std::string out(static_cast<const char*>(mem), size);
  std::free(mem);
  // cfitsio pads to 2880-byte blocks; the memfile size can exceed the written bytes.
  return out;
}

uint64_t Uniq(int order, uint64_t cell) { return (uint64_t{4} << (2 * order)) + cell; }

TEST(MocTest, ParsesAsciiWithRangesEmptyOrdersAndAnySeparators) {
  auto moc = Moc::ParseAscii("3/1-3 10\n4/20,21\t 5/ \n");
  ASSERT_TRUE(moc.ok()) << moc.status().ToString();
  EXPECT_EQ(moc->max_order(), 5);
  const std::vector<MocRange> want = {
      {uint64_t{1} << kShift3, uint64_t{4} << kShift3},
      {uint64_t{20} << (kShift3 - 2), uint64_t{22} << (kShift3 - 2)},  // inside order-3 cell 5
      {uint64_t{10} << kShift3, uint64_t{11} << kShift3}};
  EXPECT_EQ(std::vector<MocRange>(moc->ranges().begin(), moc->ranges().end()), want);
  // 4/12 is inside 3/3 and merges; order 3 cell 4 is adjacent to 3 and merges too.
  auto merged = Moc::ParseAscii("3/1-3 4/12 3/4");
  ASSERT_TRUE(merged.ok());
  ASSERT_EQ(merged->ranges().size(), 1u);
  EXPECT_EQ(merged->ranges()[0], (MocRange{uint64_t{1} << kShift3, uint64_t{5} << kShift3}));
  // The whole sky at order 0, and nothing.
  auto all = Moc::ParseAscii("0/0-11");
  ASSERT_TRUE(all.ok());
  EXPECT_NEAR(all->AreaDeg2(), 41252.961249419, 1e-6);
  auto none = Moc::ParseAscii("  ");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(none->AreaDeg2(), 0.0);
}

TEST(MocTest, MalformedAsciiNamesTheByteAndToken) {
  struct Case {
    const char* text;
    const char* expect;
  };
  for (const Case& c : {Case{"12", "byte 0: '12': cells before any 'order/'"},
                        Case{"3/1 x", "byte 4: 'x'"},
                        Case{"3/1 30/2", "byte 4: '30/2': expected an order 0..29"},
                        Case{"2/5-3", "range 5-3 is decreasing"},
                        Case{"1/48", "cell 48 does not exist at order 1 (0..47)"},
                        Case{"3/1--2", "byte 0"},
                        Case{"3/99999999999999999999999", "expected a cell number"},
                        Case{"a/1", "expected an order"}}) {
    auto moc = Moc::ParseAscii(c.text);
    ASSERT_FALSE(moc.ok()) << c.text;
    EXPECT_NE(moc.status().message().find(c.expect), std::string::npos)
        << c.text << " -> " << moc.status().message();
  }
}

TEST(MocTest, ParsesJsonAndRejectsMalformed) {
  auto moc = Moc::ParseJson(R"({"3":[1,2,3],"4":[20], "6": []})");
  ASSERT_TRUE(moc.ok()) << moc.status().ToString();
  EXPECT_EQ(moc->max_order(), 6);
  auto ascii = Moc::ParseAscii("3/1-3 4/20 6/");
  ASSERT_TRUE(ascii.ok());
  EXPECT_EQ(*moc, *ascii);
  struct Case {
    const char* text;
    const char* expect;
  };
  for (const Case& c : {Case{R"({"3":[1,2,)", "byte 11"},
                        Case{R"([1,2])", "expected an object"},
                        Case{R"({"x":[1]})", "key \"x\": expected an order"},
                        Case{R"({"3":7})", "key \"3\": expected an array"},
                        Case{R"({"3":[1,-2]})", "element 1: -2 is not a cell number"},
                        Case{R"({"3":[1.5]})", "element 0"},
                        Case{R"({"0":[12]})", "cell 12 does not exist at order 0"}}) {
    auto bad = Moc::ParseJson(c.text);
    ASSERT_FALSE(bad.ok()) << c.text;
    EXPECT_NE(bad.status().message().find(c.expect), std::string::npos)
        << c.text << " -> " << bad.status().message();
  }
}

TEST(MocTest, ParsesFitsNuniqAndRange) {
  auto want = Moc::ParseAscii("3/1-3 4/20 29/5 8/");
  ASSERT_TRUE(want.ok());
  // NUNIQ, MOC 1.x style (MOCORDER), deepest cell at order 29; the header order governs.
  const std::string nuniq =
      MakeFits({static_cast<long long>(Uniq(3, 1)), static_cast<long long>(Uniq(3, 2)),
                static_cast<long long>(Uniq(3, 3)), static_cast<long long>(Uniq(4, 20)),
                static_cast<long long>(Uniq(29, 5))},
               {{"ORDERING", "NUNIQ"}, {"MOCDIM", "SPACE"}}, {{"MOCORDER", 29}});
  auto a = Moc::ParseFits(nuniq);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->ranges().size(), want->ranges().size());
  EXPECT_EQ(std::vector<MocRange>(a->ranges().begin(), a->ranges().end()),
            std::vector<MocRange>(want->ranges().begin(), want->ranges().end()));
  EXPECT_EQ(a->max_order(), 29);
  EXPECT_EQ(Moc::DetectFormat(nuniq), MocFormat::kFits);
  // MOC 2.0 RANGE at order 29 with MOCORD_S.
  std::vector<long long> bounds;
  auto four = Moc::ParseAscii("3/1-3 4/20 8/");
  for (const MocRange& r : four->ranges()) {
    bounds.push_back(static_cast<long long>(r.begin));
    bounds.push_back(static_cast<long long>(r.end));
  }
  auto b = Moc::Parse(MakeFits(bounds, {{"ORDERING", "RANGE"}, {"MOCDIM", "SPACE"}},
                               {{"MOCORD_S", 8}}));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(*b, *four);
}

TEST(MocTest, MalformedFitsIsAnErrorNeverACrash) {
  struct Case {
    std::string bytes;
    const char* expect;
  };
  const std::string good = MakeFits({static_cast<long long>(Uniq(3, 1))},
                                    {{"ORDERING", "NUNIQ"}}, {{"MOCORDER", 3}});
  std::vector<Case> cases = {
      {"SIMPLE  =   nonsense", "not a readable FITS file"},
      {good.substr(0, 2880), "HDU 2"},
      {good.substr(0, 2880 + 100), ""},
      {MakeFits({3}, {{"ORDERING", "NUNIQ"}}, {}), "row 1: 3 is not a NUNIQ cell"},
      {MakeFits({static_cast<long long>(Uniq(5, 1))}, {{"ORDERING", "NUNIQ"}},
                {{"MOCORDER", 3}}),
       "deeper than the header's order 3"},
      {MakeFits({1, 2, 3}, {{"ORDERING", "RANGE"}}, {{"MOCORD_S", 29}}), "odd row count"},
      {MakeFits({5, 2}, {{"ORDERING", "RANGE"}}, {{"MOCORD_S", 29}}), "rows 1-2"},
      {MakeFits({1, 2}, {{"ORDERING", "RANGE"}}, {{"MOCORD_S", 3}}), "not on the grid"},
      {MakeFits({1}, {{"ORDERING", "NESTED"}}, {}), "ORDERING = 'NESTED'"},
      {MakeFits({1}, {{"MOCDIM", "TIME"}}, {}), "only SPACE"},
      {MakeFits({1}, {}, {{"MOCORDER", 31}}), "outside 0..29"},
  };
  // A row count far beyond the bytes.
  std::string huge = good;
  const size_t naxis2 = huge.find("NAXIS2  =");
  ASSERT_NE(naxis2, std::string::npos);
  huge.replace(naxis2 + 10, 20, fmt::format("{:>20}", 1000000000));
  cases.push_back({huge, "rows do not fit"});
  for (const Case& c : cases) {
    auto moc = Moc::ParseFits(c.bytes);
    ASSERT_FALSE(moc.ok()) << c.expect;
    EXPECT_NE(moc.status().message().find(c.expect), std::string::npos)
        << moc.status().message();
    EXPECT_EQ(moc.status().message().rfind("MOC FITS", 0), 0u) << moc.status().message();
  }
}

TEST(MocTest, AsciiAndJsonRoundTrip) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    const int order = static_cast<int>(rng() % 30);
    std::vector<MocRange> ranges;
    const int shift = 2 * (kMocMaxOrder - order);
    const uint64_t cells = uint64_t{12} << (2 * order);
    for (int k = 0; k < 20; ++k) {
      const uint64_t a = rng() % cells;
      const uint64_t b = std::min(cells, a + 1 + rng() % 50);
      ranges.push_back({a << shift, b << shift});
    }
    auto moc = Moc::FromRanges(ranges, order);
    ASSERT_TRUE(moc.ok());
    auto ascii = Moc::ParseAscii(moc->ToAscii());
    auto json = Moc::ParseJson(moc->ToJson());
    ASSERT_TRUE(ascii.ok() && json.ok()) << moc->ToAscii();
    EXPECT_EQ(*ascii, *moc) << moc->ToAscii();
    EXPECT_EQ(*json, *moc) << moc->ToJson();
    EXPECT_EQ(Moc::Parse(moc->ToJson())->max_order(), order);
  }
  // The minimal form: four order-4 children collapse into their order-3 parent.
  auto moc = Moc::ParseAscii("4/4-7 4/9 5/");
  ASSERT_TRUE(moc.ok());
  EXPECT_EQ(moc->ToAscii(), "3/1 4/9 5/\n");
  EXPECT_EQ(moc->ToJson(), "{\"3\":[1],\"4\":[9],\"5\":[]}\n");
}

TEST(MocTest, HealpixCellsAtOrder29AreExact) {
  // Centres of random order-29 cells map back to themselves, also near the poles, where
  // healpix_cxx switches to sin θ.
  const T_Healpix_Base<int64_t> base(kMocMaxOrder, NEST);
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20000; ++i) {
    int64_t pix = static_cast<int64_t>(rng() % kMocCells29);
    if (i % 4 == 0) pix = static_cast<int64_t>(rng() % 1000);  // face 0 corner: north pole
    if (i % 4 == 1) pix = static_cast<int64_t>(kMocCells29 - 1 - rng() % 1000);  // south pole
    const pointing p = base.pix2ang(pix);
    const double ra = p.phi * kRadToDeg;
    const double dec = 90.0 - p.theta * kRadToDeg;
    ASSERT_EQ(HealpixNested29(ra, dec), static_cast<uint64_t>(pix)) << ra << " " << dec;
  }
  // Base cells: 0-3 touch the north pole, 4-7 straddle the equator (4 centred on ra 0),
  // 8-11 touch the south pole.
  EXPECT_EQ(HealpixNested29(45.0, 90.0) >> (2 * kMocMaxOrder), 0u);
  EXPECT_EQ(HealpixNested29(45.0, -90.0) >> (2 * kMocMaxOrder), 8u);
  EXPECT_EQ(HealpixNested29(0.0, 0.0) >> (2 * kMocMaxOrder), 4u);
}

TEST(MocTest, ContainsFollowsTheCells) {
  // Base cell 4 (centred on ra 0, dec 0) at order 0, one order-10 cell elsewhere.
  const uint64_t cell10 = 123456;
  auto moc = Moc::ParseAscii(fmt::format("0/4 10/{}", cell10));
  ASSERT_TRUE(moc.ok());
  EXPECT_TRUE(moc->Contains(0.0, 0.0));
  EXPECT_TRUE(moc->Contains(359.9, 1.0));
  EXPECT_TRUE(moc->Contains(-0.1, -1.0));  // RA wraps
  EXPECT_FALSE(moc->Contains(180.0, 0.0));
  EXPECT_FALSE(moc->Contains(0.0, 95.0));
  EXPECT_FALSE(moc->Contains(std::nan(""), 0.0));
  const T_Healpix_Base<int64_t> base10(10, NEST);
  const pointing p = base10.pix2ang(static_cast<int64_t>(cell10));
  const double ra = p.phi * kRadToDeg, dec = 90.0 - p.theta * kRadToDeg;
  EXPECT_TRUE(moc->Contains(ra, dec));
  // Cell size at order 10 is about 3.4'; 0.2° away is outside.
  EXPECT_FALSE(moc->Contains(ra, dec + 0.2));
  std::vector<uint8_t> flags;
  const std::vector<SkyPoint> pts = {{0.0, 0.0}, {180.0, 0.0}, {ra, dec}};
  moc->ContainsBatch(pts, &flags);
  EXPECT_EQ(flags, (std::vector<uint8_t>{1, 0, 1}));
  EXPECT_NEAR(moc->AreaDeg2(), 41252.961249419 / 12.0 * (1.0 + 1.0 / (1 << 20)), 1e-6);
}

}  // namespace
}  // namespace lantern::sky
