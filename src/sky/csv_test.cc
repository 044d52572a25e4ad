#include "sky/csv.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "sky/catalog_csv.h"

namespace lantern::sky {
namespace {

std::vector<std::vector<std::string>> ReadAll(std::string text) {
  auto r = CsvReader::FromString(std::move(text));
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> f;
  for (;;) {
    auto more = r->Next(&f);
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    if (!more.ok() || !*more) break;
    rows.push_back(f);
  }
  return rows;
}

std::string TempPath(const std::string& name) {
  const auto dir = std::filesystem::path(testing::TempDir()) /
                   ("sky_csv_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(CsvReaderTest, Rfc4180Quoting) {
  const auto rows =
      ReadAll("a,b,c\r\n\"x,1\",\"say \"\"hi\"\"\",\r\n\"multi\nline\",2,3\n\nlast,,\n");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"x,1", "say \"hi\"", ""}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"multi\nline", "2", "3"}));
  EXPECT_EQ(rows[3], (std::vector<std::string>{"last", "", ""}));
}

TEST(CsvReaderTest, LastLineWithoutNewline) {
  const auto rows = ReadAll("a,b\n1,2");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1], (std::vector<std::string>{"1", "2"}));
}

TEST(CsvReaderTest, ErrorsNameTheLine) {
  std::vector<std::string> f;
  auto r = CsvReader::FromString("a\n\"open\n\nstill open");
  ASSERT_TRUE(r->Next(&f).ok());
  auto st = r->Next(&f);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("line 2"), std::string::npos) << st.status().message();

  r = CsvReader::FromString("a,b\n1,\"2\"x\n");
  ASSERT_TRUE(r->Next(&f).ok());
  st = r->Next(&f);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("line 2"), std::string::npos) << st.status().message();
}

TEST(CatalogCsvTest, LoadsIntIdsAndKeepsNumericColumns) {
  const std::string path = TempPath("ints.csv");
  WriteText(path, "name,dec,ra,radius\n7,10.5,359.5,2\n-3,-90,360,\n");
  CsvCatalogOptions opt;
  opt.id_col = "name";
  opt.numeric_cols = {"radius"};
  int calls = 0;
  opt.progress = [&](const CsvLoadProgress& p) {
    ++calls;
    EXPECT_EQ(p.bytes_read, p.total_bytes);
    EXPECT_EQ(p.rows, 2u);
  };
  auto loaded = LoadCatalogCsv(path, opt);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const Catalog& c = loaded->catalog;
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c.ids().kind(), IdColumn::Kind::kInt64);
  EXPECT_EQ(c.ids().Int(1), -3);
  EXPECT_EQ(c.ra()[0], 359.5);
  EXPECT_EQ(c.ra()[1], 0.0);  // 360 wraps to 0
  EXPECT_EQ(c.dec()[1], -90.0);
  EXPECT_EQ(loaded->numeric[0][0], 2.0);
  EXPECT_TRUE(std::isnan(loaded->numeric[0][1]));
  EXPECT_EQ(calls, 1);
}

TEST(CatalogCsvTest, LoadsGzipAndStringIds) {
  const std::string path = TempPath("strings.csv.gz");
  gzFile gz = gzopen(path.c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  const std::string text = "id,ra,dec\n\"NGC 224, M31\",10.68,41.27\n42,83.82,-5.39\n";
  gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
  gzclose(gz);
  auto loaded = LoadCatalogCsv(path, {});
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->catalog.ids().kind(), IdColumn::Kind::kString);
  EXPECT_EQ(loaded->catalog.IdString(0), "NGC 224, M31");
  EXPECT_EQ(loaded->catalog.IdString(1), "42");
  auto header = ReadCsvHeader(path);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(*header, (std::vector<std::string>{"id", "ra", "dec"}));
}

TEST(CatalogCsvTest, BadRowsAreErrorsWithLineNumbers) {
  struct Case {
    std::string text;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"id,ra,dec\n1,10,20\n2,abc,20\n", "line 3: column 'ra': 'abc' is not a finite number"},
      {"id,ra,dec\n1,10,20\n2,10\n", "line 3: 2 fields, but the header has 3"},
      {"id,ra,dec\n1,10,95\n", "line 2: column 'dec': dec 95 is outside [-90, 90]"},
      {"id,ra,dec\n1,nan,5\n", "line 2: column 'ra': 'nan' is not a finite number"},
      {"id,ra,decl\n1,10,20\n", "no column 'dec' in header (columns: id,ra,decl)"},
      {"", "empty file"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string path = TempPath("bad" + std::to_string(i) + ".csv");
    WriteText(path, cases[i].text);
    auto loaded = LoadCatalogCsv(path, {});
    ASSERT_FALSE(loaded.ok()) << cases[i].text;
    EXPECT_NE(loaded.status().message().find(cases[i].expect), std::string::npos)
        << loaded.status().message();
    EXPECT_NE(loaded.status().message().find(path), std::string::npos);
  }
  EXPECT_FALSE(LoadCatalogCsv(TempPath("missing.csv"), {}).ok());
}

TEST(CatalogTest, FromPositionsValidates) {
  EXPECT_FALSE(Catalog::FromPositions({1.0}, {91.0}).ok());
  EXPECT_FALSE(Catalog::FromPositions({NAN}, {0.0}).ok());
  EXPECT_FALSE(Catalog::FromPositions({1.0, 2.0}, {0.0}).ok());
  EXPECT_FALSE(Catalog::FromPositions({1.0}, {0.0}, IdColumn::Ints({1, 2})).ok());
  auto c = Catalog::FromPositions({-10.0}, {0.0});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->ra()[0], 350.0);
  EXPECT_EQ(c->IdString(0), "0");
}

}  // namespace
}  // namespace lantern::sky
