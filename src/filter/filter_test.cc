// Unit tests of the filter dialect: parsing, binding and typing errors, three-valued logic,
// joined tables, ORDER BY, the time budget, and refusal of hostile input with the offending
// token and its byte offset. The differential test against SQLite is tests/filter_sqlite_test.cc.
#include "filter/filter.h"

#include <gtest/gtest.h>

#include <string>

#include "filter/parser.h"

namespace lantern::filter {
namespace {

// Three ZTF objects: ZTF1 bright g with 5 detections, ZTF2 no g, ZTF3 faint with NULLs.
Batch ThreeObjects() {
  BatchBuilder b(Schema::Ztf());
  features::Features f1, f2, f3;
  f1.Add("ncand", int64_t{5});
  f1.AddDouble("gmag", 16.5);
  f1.AddDouble("rmag", 17.0);
  f1.AddDouble("jdmax", 2460000.5);
  f1.Add("ssnamenr", std::string("12345"));
  f2.Add("ncand", int64_t{1});
  f2.AddDouble("rmag", 18.2);
  f2.AddDouble("jdmax", 2460001.5);
  f3.Add("ncand", int64_t{2});
  f3.AddDouble("gmag", 20.25);
  f3.AddDouble("jdmax", 2459990.5);
  const size_t r0 = b.AddObject("ZTF1", f1, 0, 0, R"({"classification":"SN","z":0.05})");
  b.AddObject("ZTF2", f2);
  const size_t r2 = b.AddObject("ZTF3", f3, 0, 0, R"({"classification":"VS"})");
  b.AddWatchlistHit(7, r0, 2.5, "far");
  b.AddWatchlistHit(7, r0, 1.5, "near");
  b.AddWatchlistHit(7, r2, 0.3, "three");
  b.AddAreaHit(1, r0);
  b.AddAreaHit(2, r0);
  b.AddAreaHit(2, r2);
  b.AddAnnotation("fastfinder", r2, {{"classification", "kilonova"},
                                     {"classdict", R"({"size": 5, "color": "red"})"}});
  return b.Finish();
}

std::vector<uint32_t> Rows(std::string_view selected, std::string_view tables,
                           std::string_view conditions, const Batch& batch) {
  auto f = CompileFilter(selected, tables, conditions, Schema::Ztf());
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  if (!f.ok()) return {};
  RunOptions opt;
  opt.now_mjd = 60000.0;
  auto m = f->Run(batch, opt);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? m->rows : std::vector<uint32_t>{};
}

using V = std::vector<uint32_t>;

TEST(FilterTest, ComparisonsAndNulls) {
  const Batch b = ThreeObjects();
  EXPECT_EQ(Rows("objectId", "objects", "gmag < 18", b), V{0});
  EXPECT_EQ(Rows("objectId", "objects", "gmag < 18 OR rmag < 19", b), (V{0, 1}));
  EXPECT_EQ(Rows("objectId", "objects", "NOT gmag < 18", b), V{2});  // NULL stays NULL
  EXPECT_EQ(Rows("objectId", "objects", "gmag IS NULL", b), V{1});
  EXPECT_EQ(Rows("objectId", "objects", "rmag IS NOT NULL AND ncand > 1", b), V{0});
  EXPECT_EQ(Rows("objectId", "objects", "ncand IN (1, 2)", b), (V{1, 2}));
  EXPECT_EQ(Rows("objectId", "objects", "ncand NOT IN (1, NULL)", b), V{});
  EXPECT_EQ(Rows("objectId", "objects", "ncand BETWEEN 2 AND 5", b), (V{0, 2}));
  EXPECT_EQ(Rows("objectId", "objects", "objectId LIKE 'ztf_'", b), (V{0, 1, 2}));
  EXPECT_EQ(Rows("objectId", "objects", "ssnamenr LIKE '%34%'", b), V{0});
  EXPECT_EQ(Rows("objectId", "objects", "objects.objectId = \"ztf2\"", b), V{1});
  EXPECT_EQ(Rows("objectId", "objects", "ncand % 2 = 0 AND ncand / 4 = 0.5", b), V{2});
  EXPECT_EQ(Rows("objectId", "objects", "jdnow() - jdmax < 10", b), (V{0, 1}));
  EXPECT_EQ(Rows("objectId", "objects", "ROUND(gmag) = 20 AND FLOOR(gmag) = 20", b), V{2});
  EXPECT_EQ(Rows("objectId", "objects", "GREATEST(gmag, rmag) > 16.9", b), V{0});
  EXPECT_EQ(Rows("objectId", "objects", "ABS(-ncand) = 5 AND SQRT(-1) IS NULL", b), V{0});
}

TEST(FilterTest, JoinedTables) {
  const Batch b = ThreeObjects();
  EXPECT_EQ(Rows("objectId", "objects, sherlock_classifications",
                 "sherlock_classifications.classification IN ('SN', 'NT')", b),
            V{0});
  EXPECT_EQ(Rows("objectId", "objects, sherlock_classifications",
                 "classification = 'ORPHAN'", b),
            V{1});
  EXPECT_EQ(Rows("objectId", "objects,watchlist:7", "", b), (V{0, 2}));
  EXPECT_EQ(Rows("objectId", "objects,watchlists:7", "watchlist_hits.name = 'near'", b), V{0});
  EXPECT_EQ(Rows("objectId", "objects,area:1&2", "", b), V{0});
  EXPECT_EQ(Rows("objectId", "objects,area:2", "", b), (V{0, 2}));
  EXPECT_EQ(Rows("objectId", "objects,watchlist:8", "", b), V{});  // no hits in this batch
  EXPECT_EQ(Rows("objectId", "objects,annotator:fastfinder",
                 "JSON_EXTRACT(fastfinder.classdict, '$.size') > 4 AND "
                 "JSON_EXTRACT(classdict, '$.color') = 'red'",
                 b),
            V{2});
  auto ambiguous = CompileFilter("objectId", "objects,sherlock_classifications,annotator:ff",
                                 "classification = 'SN'", Schema::Ztf());
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_NE(ambiguous.status().message().find("ambiguous"), std::string::npos);
}

TEST(FilterTest, SelectAndOrder) {
  const Batch b = ThreeObjects();
  auto f = CompileFilter("objects.objectId, jdnow()-objects.jdmax AS since, gmag",
                         "objects", "ncand > 0 ORDER BY objects.gmag DESC", Schema::Ztf());
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->column_names(),
            (std::vector<std::string>{"objects.objectId", "since", "gmag"}));
  RunOptions opt;
  opt.now_mjd = 60000.0;
  auto m = f->Run(b, opt);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->rows, (V{2, 0, 1}));  // NULL last in DESC
  EXPECT_EQ(std::get<std::string>(m->values(0)[0]), "ZTF3");
  EXPECT_DOUBLE_EQ(std::get<double>(m->values(1)[1]), 60000.0 + 2400000.5 - 2460000.5);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(m->values(2)[2]));
  // Conditions that are only an ORDER BY.
  EXPECT_EQ(Rows("objectId", "objects", "ORDER BY jdmax", b), (V{2, 0, 1}));
  auto q = ParseSelect("SELECT objectId FROM objects WHERE ncand >= 2 ORDER BY ncand");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  auto g = CompiledFilter::Compile(*q, Schema::Ztf());
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->Run(b)->rows, (V{2, 0}));
}

// What `lantern query` does with ORDER BY over several batches: Append the matches of each
// Run, then Sort them all; each row keeps its own selected values.
TEST(FilterTest, AppendAndSortAcrossRuns) {
  const Batch b = ThreeObjects();
  auto f = CompileFilter("objectId, ncand", "objects", "ncand > 0 ORDER BY gmag", Schema::Ztf());
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  Matches all;
  for (int run = 0; run < 2; ++run) {
    auto m = f->Run(b);
    ASSERT_TRUE(m.ok());
    CompiledFilter::Append(std::move(*m), &all);
  }
  f->Sort(&all);
  // gmag: ZTF2 NULL (first), ZTF1 16.5, ZTF3 20.25; ties keep the order of the runs.
  EXPECT_EQ(all.rows, (V{1, 1, 0, 0, 2, 2}));
  ASSERT_EQ(all.size(), 6u);
  const std::vector<std::string> ids = {"ZTF2", "ZTF2", "ZTF1", "ZTF1", "ZTF3", "ZTF3"};
  const std::vector<int64_t> ncand = {1, 1, 5, 5, 2, 2};
  for (size_t i = 0; i < all.size(); ++i) {
    ASSERT_EQ(all.values(i).size(), 2u);
    EXPECT_EQ(std::get<std::string>(all.values(i)[0]), ids[i]);
    EXPECT_EQ(std::get<int64_t>(all.values(i)[1]), ncand[i]);
  }
}

TEST(FilterTest, TypeAndNameErrors) {
  struct Case {
    const char* conditions;
    const char* expect;
  };
  const Case cases[] = {
      {"gmag < 'x'", "byte 7: compares a string with a number"},
      {"nosuch > 1", "byte 0: 'nosuch' is not a column"},
      {"sherlock_classifications.z > 1", "byte 0: 'sherlock_classifications.z' names a table"},
      {"SLEEP(5) = 0", "byte 0: 'SLEEP' is not a function"},
      {"ROUND() > 1", "'ROUND' takes 1 to 2 arguments"},
      {"objectId + 1 > 2", "byte 0: '+' needs a number"},
      {"objectId", "the condition is a string"},
      {"gmag < 1 LIMIT 5", "byte 9: 'LIMIT' is not allowed in the text"},
  };
  for (const Case& c : cases) {
    auto f = CompileFilter("objectId", "objects", c.conditions, Schema::Ztf());
    ASSERT_FALSE(f.ok()) << c.conditions;
    EXPECT_NE(f.status().message().find(c.expect), std::string::npos)
        << c.conditions << " → " << f.status().message();
  }
  auto t = CompileFilter("objectId", "objects, users", "", Schema::Ztf());
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("'users' is not a table"), std::string::npos);
}

TEST(FilterTest, HostileInputIsRefusedWithTokenAndOffset) {
  struct Case {
    std::string conditions;
    std::string expect;
  };
  std::vector<Case> cases = {
      {"ncand > 1; DROP TABLE objects", "conditions byte 9: ';' is not allowed"},
      {"ncand > 1 -- comment", "conditions byte 10: '--' is not allowed"},
      {"ncand > 1 /* x */", "conditions byte 10: '/*' is not allowed"},
      {"ncand > 1 # x", "conditions byte 10: '#' is not allowed"},
      {"ncand IN (SELECT ncand FROM objects)", "conditions byte 10: 'SELECT' is not allowed"},
      {"ncand > 1 UNION SELECT 1", "conditions byte 10: 'UNION' is not allowed"},
      {"EXISTS (SELECT 1)", "conditions byte 0: 'EXISTS' is not allowed"},
      {"objectId = 'a\\' OR 1=1", "conditions byte 13: '\\' is not allowed"},
      {"ncand > 1 || 1", "conditions byte 10: '||' is not allowed"},
      {"`ncand` > 1", "conditions byte 0: '`' is not part of the filter dialect"},
      {"@a := 1", "conditions byte 0: '@' is not part of the filter dialect"},
      {"objectId = 'never ends", "conditions byte 11: ''never ends' is a string that never"},
  };
  // 1 MB expression.
  std::string big = "ncand > 0";
  while (big.size() < (1 << 20)) big += " OR ncand > 0";
  cases.push_back({big, "conditions byte 65536: "});
  // 10,000-deep nesting: parentheses, NOT, unary minus, and a long operator chain.
  cases.push_back({std::string(10000, '(') + "1" + std::string(10000, ')'),
                   "nested too deeply"});
  std::string nots;
  for (int i = 0; i < 10000; ++i) nots += "NOT ";
  cases.push_back({nots + "1", "nested too deeply"});
  std::string minuses;
  for (int i = 0; i < 10000; ++i) minuses += "- ";
  cases.push_back({minuses + "1 > 0", "nested too deeply"});
  std::string chain = "1";
  for (int i = 0; i < 10000; ++i) chain += "+1";
  cases.push_back({chain + " > 0", "nested too deeply"});
  for (const Case& c : cases) {
    auto f = CompileFilter("objectId", "objects", c.conditions, Schema::Ztf());
    ASSERT_FALSE(f.ok()) << c.conditions.substr(0, 80);
    EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(f.status().message().find(c.expect), std::string::npos)
        << c.conditions.substr(0, 80) << " → " << f.status().message();
  }
  auto s = CompileFilter("objectId; DELETE", "objects", "", Schema::Ztf());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("selected byte 8: ';'"), std::string::npos);
  auto t = CompileFilter("objectId", "objects; DROP", "", Schema::Ztf());
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("tables byte 7: ';'"), std::string::npos);
  auto u = ParseSelect("SELECT objectId FROM objects WHERE 1=1 UNION SELECT 2");
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.status().message().find("query byte 39: 'UNION'"), std::string::npos)
      << u.status().message();
}

TEST(FilterTest, DeadlineGivesDistinctStatus) {
  BatchBuilder b(Schema::Ztf());
  features::Features f;
  f.Add("ncand", int64_t{3});
  for (int i = 0; i < 10000; ++i) b.AddObject("ZTF" + std::to_string(i), f);
  const Batch batch = b.Finish();
  auto filter = CompileFilter("objectId", "objects", "ncand > 1", Schema::Ztf());
  ASSERT_TRUE(filter.ok());
  RunOptions opt;
  opt.deadline = Deadline::After(std::chrono::nanoseconds(-1));  // already passed
  opt.chunk_rows = 1000;
  auto m = filter->Run(batch, opt);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(filter->Run(batch)->rows.size(), 10000u);
}

TEST(FilterTest, IntegerOverflowIsAnError) {
  const Batch b = ThreeObjects();
  auto f = CompileFilter("objectId", "objects", "ncand * 9223372036854775807 > 0", Schema::Ztf());
  ASSERT_TRUE(f.ok());
  auto m = f->Run(b);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("integer overflow"), std::string::npos);
}

}  // namespace
}  // namespace lantern::filter
