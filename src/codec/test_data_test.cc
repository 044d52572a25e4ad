// The MANIFEST.csv reader that the real-data tests count against: RFC 4180 quoting.
#include "codec/test_data.h"

#include <gtest/gtest.h>

namespace lantern::codec::test_data {
namespace {

TEST(ParseCsvTest, QuotedFieldsKeepCommasQuotesAndLineBreaks) {
  auto rows = ParseCsv("file,note,n\r\na.avro,\"x, \"\"y\"\"\nz\",3\r\nb.avro,,\n");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].at("file"), "a.avro");
  EXPECT_EQ((*rows)[0].at("note"), "x, \"y\"\nz");
  EXPECT_EQ((*rows)[0].at("n"), "3");
  EXPECT_EQ((*rows)[1].at("note"), "");
  EXPECT_EQ((*rows)[1].at("n"), "");
}

TEST(ParseCsvTest, LastLineWithoutNewlineCounts) {
  auto rows = ParseCsv("a,b\n1,2");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].at("b"), "2");
}

TEST(ParseCsvTest, RaggedRowsAndOpenQuotesAreErrors) {
  EXPECT_FALSE(ParseCsv("a,b\n1,2,3\n").ok());
  EXPECT_FALSE(ParseCsv("a,b\n\"1,2\n").ok());
  EXPECT_FALSE(ParseCsv("").ok());
}

}  // namespace
}  // namespace lantern::codec::test_data
