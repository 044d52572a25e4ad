#include "core/file.h"

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace lantern {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
class FileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "lantern_file_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string Path(const std::string& rel) const { return (fs::path(dir_) / rel).string(); }
  void Touch(const std::string& rel, const std::string& bytes = "x") {
    fs::create_directories(fs::path(Path(rel)).parent_path());
    ASSERT_TRUE(WriteFile(Path(rel), bytes).ok());
  }

  std::string dir_;
};

TEST_F(FileTest, WriteThenReadRoundTripsBinaryBytes) {
  const std::string bytes("Obj\x01\0\xff\n\r\x80 end", 13);
  ASSERT_TRUE(WriteFile(Path("a.bin"), bytes).ok());
  Result<std::string> read = ReadFile(Path("a.bin"));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, bytes);
}

TEST_F(FileTest, EmptyFileReadsAsEmpty) {
  ASSERT_TRUE(WriteFile(Path("empty"), "").ok());
  Result<std::string> read = ReadFile(Path("empty"));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, "");
}

TEST_F(FileTest, WriteReplacesLongerContent) {
  ASSERT_TRUE(WriteFile(Path("f"), "a long first version").ok());
  ASSERT_TRUE(WriteFile(Path("f"), "short").ok());
  EXPECT_EQ(*ReadFile(Path("f")), "short");
}

TEST_F(FileTest, ReadMissingFileNamesThePath) {
  Result<std::string> read = ReadFile(Path("missing.avro"));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kIoError);
  EXPECT_NE(read.status().message().find(Path("missing.avro")), std::string::npos)
      << read.status().message();
}

TEST_F(FileTest, WriteIntoMissingDirectoryFails) {
  const Status st = WriteFile(Path("no/such/dir/f"), "x");
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_NE(st.message().find(Path("no/such/dir/f")), std::string::npos) << st.message();
}

TEST_F(FileTest, ExpandPathsWalksDirectoriesRecursivelyInSortedOrder) {
  // Created out of order, at several depths.
  Touch("d/c.avro");
  Touch("d/b/z.avro");
  Touch("d/a.avro");
  Touch("d/b/deeper/y.avro");
  Result<std::vector<std::string>> paths = ExpandPaths({Path("d")}, {});
  ASSERT_TRUE(paths.ok()) << paths.status().ToString();
  const std::vector<std::string> expected = {Path("d/a.avro"), Path("d/b/deeper/y.avro"),
                                             Path("d/b/z.avro"), Path("d/c.avro")};
  EXPECT_EQ(*paths, expected);
}

TEST_F(FileTest, ExpandPathsFiltersDirectoryEntriesBySuffix) {
  Touch("d/one.avro");
  Touch("d/two.avro.bak");
  Touch("d/three.json");
  Touch("d/sub/four.avsc");
  Touch("d/avro");  // a name that is only the suffix without the dot
  Result<std::vector<std::string>> avro = ExpandPaths({Path("d")}, {".avro"});
  ASSERT_TRUE(avro.ok());
  EXPECT_EQ(*avro, std::vector<std::string>{Path("d/one.avro")});

  Result<std::vector<std::string>> either = ExpandPaths({Path("d")}, {".avro", ".avsc"});
  ASSERT_TRUE(either.ok());
  EXPECT_EQ(*either, (std::vector<std::string>{Path("d/one.avro"), Path("d/sub/four.avsc")}));
}

TEST_F(FileTest, ExpandPathsKeepsNamedFilesWhateverTheirSuffix) {
  Touch("packet.bin");
  Touch("d/x.avro");
  // Arguments keep their order; a file named explicitly is not filtered.
  Result<std::vector<std::string>> paths =
      ExpandPaths({Path("packet.bin"), Path("d")}, {".avro"});
  ASSERT_TRUE(paths.ok());
  EXPECT_EQ(*paths, (std::vector<std::string>{Path("packet.bin"), Path("d/x.avro")}));
}

TEST_F(FileTest, ExpandPathsSkipsSubdirectoriesThemselves) {
  fs::create_directories(Path("d/empty/inner"));
  Touch("d/f.avro");
  Result<std::vector<std::string>> paths = ExpandPaths({Path("d")}, {});
  ASSERT_TRUE(paths.ok());
  EXPECT_EQ(*paths, std::vector<std::string>{Path("d/f.avro")});
}

TEST_F(FileTest, ExpandPathsMissingPathIsNotFound) {
  Touch("d/f.avro");
  Result<std::vector<std::string>> paths = ExpandPaths({Path("d"), Path("nope")}, {});
  ASSERT_FALSE(paths.ok());
  EXPECT_EQ(paths.status().code(), StatusCode::kNotFound);
  EXPECT_NE(paths.status().message().find(Path("nope")), std::string::npos)
      << paths.status().message();
}

}  // namespace
}  // namespace lantern
