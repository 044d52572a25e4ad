#include "filter/registry.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace lantern::filter {
namespace {

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("registry_test." + std::to_string(::getpid()) + "." + std::to_string(counter_++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Path(const std::string& name) const { return (path_ / name).string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

FilterSpec Bright() {
  FilterSpec f;
  f.owner = "alice";
  f.name = "bright";
  f.selected = "objectId, gmag";
  f.conditions = "gmag < 18 ORDER BY gmag";
  return f;
}

TEST(RegistryTest, MissingFileIsEmpty) {
  TempDir dir;
  auto filters = LoadRegistry(RegistryPath(dir.Path("")));
  ASSERT_TRUE(filters.ok()) << filters.status().ToString();
  EXPECT_TRUE(filters->empty());
  EXPECT_EQ(RegistryPath("/data"), "/data/filters.json");
}

TEST(RegistryTest, SaveLoadRoundTrip) {
  TempDir dir;
  const std::string path = dir.Path("filters.json");
  FilterSpec a = Bright();
  FilterSpec b;
  b.owner = "bob-2";
  b.name = "lsst_faint";
  b.survey = alert::Survey::kLsst;
  b.selected = "diaObjectId";
  b.tables = "objects";
  b.conditions = "nDiaSources >= 5";
  b.active = false;
  b.mode = OutputMode::kFull;
  b.daily_quota_bytes = 5ull << 30;
  ASSERT_TRUE(SaveRegistry(path, {a, b}).ok());
  auto loaded = LoadRegistry(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->size(), 2u);
  const FilterSpec& lb = (*loaded)[1];
  EXPECT_EQ((*loaded)[0].owner, "alice");
  EXPECT_EQ((*loaded)[0].conditions, "gmag < 18 ORDER BY gmag");
  EXPECT_TRUE((*loaded)[0].active);
  EXPECT_EQ((*loaded)[0].mode, OutputMode::kPlain);
  EXPECT_EQ(lb.owner, "bob-2");
  EXPECT_EQ(lb.name, "lsst_faint");
  EXPECT_EQ(lb.survey, alert::Survey::kLsst);
  EXPECT_EQ(lb.selected, "diaObjectId");
  EXPECT_FALSE(lb.active);
  EXPECT_EQ(lb.mode, OutputMode::kFull);
  EXPECT_EQ(lb.daily_quota_bytes, 5ull << 30);
  EXPECT_EQ(lb.topic(), "lantern.filter.bob-2.lsst_faint");
}

TEST(RegistryTest, SaveReplacesAtomicallyAndLeavesNoTemporary) {
  TempDir dir;
  const std::string path = dir.Path("filters.json");
  ASSERT_TRUE(SaveRegistry(path, {Bright()}).ok());
  // A reader holding the old file keeps reading the old contents: rename swaps the inode.
  std::ifstream old_reader(path, std::ios::binary);
  FilterSpec other = Bright();
  other.name = "other";
  ASSERT_TRUE(SaveRegistry(path, {Bright(), other}).ok());
  std::stringstream old_text;
  old_text << old_reader.rdbuf();
  EXPECT_EQ(old_text.str().find("other"), std::string::npos);
  EXPECT_NE(Read(path).find("\"other\""), std::string::npos);
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.Path(""))) {
    ++files;
    EXPECT_EQ(e.path().filename(), "filters.json");
  }
  EXPECT_EQ(files, 1u);
  auto loaded = LoadRegistry(path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->size(), 2u);
}

TEST(RegistryTest, SaveIntoMissingDirectoryFails) {
  TempDir dir;
  Status st = SaveRegistry(dir.Path("no/such/filters.json"), {Bright()});
  EXPECT_EQ(st.code(), StatusCode::kIoError);
}

TEST(RegistryTest, CorruptFileNamesFileAndEntry) {
  TempDir dir;
  const std::string path = dir.Path("filters.json");
  Write(path, "[{\"owner\": \"a\", ");
  auto bad = LoadRegistry(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(path), std::string::npos);
  EXPECT_NE(bad.status().message().find("not valid JSON"), std::string::npos);

  Write(path, "{\"owner\": \"a\"}");
  bad = LoadRegistry(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("JSON array"), std::string::npos);

  Write(path,
        "[{\"owner\":\"a\",\"name\":\"ok\",\"selected\":\"objectId\"},"
        " {\"owner\":\"a\",\"name\":\"b\",\"selected\":\"objectId\",\"mode\":\"loud\"}]");
  bad = LoadRegistry(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("entry 1 (a/b)"), std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("loud"), std::string::npos);

  Write(path, "[{\"owner\":\"a\",\"name\":\"b\"}]");
  bad = LoadRegistry(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("entry 0"), std::string::npos);
  EXPECT_NE(bad.status().message().find("missing \"selected\""), std::string::npos);

  Write(path, "[{\"owner\":\"a b\",\"name\":\"c\",\"selected\":\"objectId\"}]");
  EXPECT_FALSE(LoadRegistry(path).ok());

  Write(path,
        "[{\"owner\":\"a\",\"name\":\"c\",\"selected\":\"objectId\"},"
        " {\"owner\":\"a\",\"name\":\"c\",\"selected\":\"objectId\"}]");
  bad = LoadRegistry(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("duplicate filter a/c"), std::string::npos);

  Write(path, "[{\"owner\":\"a\",\"name\":\"c\",\"selected\":\"x\",\"daily_quota_bytes\":-1}]");
  EXPECT_FALSE(LoadRegistry(path).ok());
}

TEST(RegistryTest, ValidateChecksNamesAndCompiles) {
  EXPECT_TRUE(ValidateFilter(Bright()).ok());
  FilterSpec f = Bright();
  f.owner = "";
  EXPECT_EQ(ValidateFilter(f).code(), StatusCode::kInvalidArgument);
  f = Bright();
  f.name = "a.b";
  EXPECT_NE(ValidateFilter(f).message().find("'a.b'"), std::string::npos);
  f = Bright();
  f.name = std::string(65, 'x');
  EXPECT_FALSE(ValidateFilter(f).ok());
  f.name = std::string(64, 'x');
  EXPECT_TRUE(ValidateFilter(f).ok());
  f = Bright();
  f.conditions = "gmag < 18; DROP TABLE objects";
  Status st = ValidateFilter(f);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("';'"), std::string::npos) << st.message();
  f = Bright();
  f.conditions = "no_such_column > 1";
  EXPECT_FALSE(ValidateFilter(f).ok());
  // Compiled against the filter's own survey: a ZTF column is unknown to LSST.
  f = Bright();
  f.survey = alert::Survey::kLsst;
  EXPECT_FALSE(ValidateFilter(f).ok());
}

TEST(RegistryTest, OutputModeNames) {
  for (OutputMode m : {OutputMode::kPlain, OutputMode::kLite, OutputMode::kFull}) {
    auto parsed = ParseOutputMode(OutputModeName(m));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, m);
  }
  EXPECT_FALSE(ParseOutputMode("Full").ok());
}

TEST(RegistryTest, PythonFiltersRoundTripAndDisable) {
  TempDir dir;
  const std::string path = dir.Path("filters.json");
  FilterSpec py;
  py.owner = "bob";
  py.name = "fn";
  py.kind = FilterKind::kPython;
  py.python = "def filter(alert):\n    return True\n";
  py.mode = OutputMode::kLite;
  ASSERT_TRUE(ValidateFilter(py).ok());
  ASSERT_TRUE(SaveRegistry(path, {Bright(), py}).ok());
  // SQL entries keep their old shape; the Python one names its kind and holds the source.
  EXPECT_EQ(SpecToJson(Bright()).find("kind"), std::string::npos);
  EXPECT_NE(SpecToJson(py).find("\"kind\":\"python\""), std::string::npos);

  ASSERT_TRUE(DisableInRegistry(path, "bob", "fn", "killed by SIGSEGV").ok());
  auto loaded = LoadRegistry(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ((*loaded)[0].kind, FilterKind::kSql);
  EXPECT_EQ((*loaded)[0].disabled_reason, "");
  EXPECT_EQ((*loaded)[1].kind, FilterKind::kPython);
  EXPECT_EQ((*loaded)[1].python, py.python);
  EXPECT_EQ((*loaded)[1].mode, OutputMode::kLite);
  EXPECT_EQ((*loaded)[1].disabled_reason, "killed by SIGSEGV");
  EXPECT_EQ(DisableInRegistry(path, "bob", "gone", "x").code(), StatusCode::kNotFound);

  FilterSpec empty = py;
  empty.python.clear();
  EXPECT_FALSE(ValidateFilter(empty).ok());
  Write(path, R"([{"owner":"a","name":"b","kind":"lua","python":"x"}])");
  auto bad = LoadRegistry(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("\"kind\" must be"), std::string::npos);
  Write(path, R"([{"owner":"a","name":"b","kind":"python"}])");
  bad = LoadRegistry(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("missing \"python\""), std::string::npos);
}

}  // namespace
}  // namespace lantern::filter
