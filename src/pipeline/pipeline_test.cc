// The pipeline on simulated alerts: N workers store every alert once, a rerun adds nothing,
// bad packets become dead letters while the rest flows, the demo sky yields context matches
// and watchlist hits, and the metrics endpoint serves Prometheus text.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <tuple>

#include <httplib.h>

#include "codec/test_data.h"
#include "core/file.h"
#include "pipeline/annotators.h"
#include "pipeline/level1.h"
#include "pipeline/runner.h"
#include "store/queries.h"

namespace lantern::pipeline {
namespace {

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("lantern-pipeline-test-" + std::to_string(std::random_device{}()));
    std::filesystem::remove_all(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

std::vector<Message> Simulated(const stream::SimulatorOptions& options, int n,
                               std::set<std::string>* objects) {
  stream::Simulator sim(options);
  codec::SchemaCache cache;
  survey::AlertDecoder decoder(&cache, nullptr);
  std::vector<Message> out;
  for (int i = 0; i < n; ++i) {
    Message m;
    m.kind = Message::Kind::kBare;
    m.schema = sim.schema();
    m.bytes = std::make_shared<const std::string>(*sim.NextDatum());
    m.origin = "test";
    m.position = static_cast<uint64_t>(i);
    (void)decoder.DecodeBare(m.schema, m.bytes, [&](alert::Alert&& a, const codec::DecodedRecord&) {
      objects->insert(a.object_id);
    });
    out.push_back(std::move(m));
  }
  return out;
}

RunnerOptions Quiet(int threads, size_t batch_size) {
  RunnerOptions ro;
  ro.threads = threads;
  ro.batch_size = batch_size;
  ro.progress_seconds = 0;
  return ro;
}

struct Fixture {
  explicit Fixture(const std::string& dir)
      : db(std::move(store::Store::Open(dir)).value()),
        cutouts(db.get(), store::CutoutMode::kRocksDb, dir + "/cutouts"),
        level1(db.get(), &cutouts, &cache, nullptr, &metrics, {}) {}
  std::unique_ptr<store::Store> db;
  store::CutoutStore cutouts;
  codec::SchemaCache cache;
  Metrics metrics;
  Level1 level1;
};

TEST(PipelineTest, StoresEveryAlertOnceAndARerunAddsNothing) {
  TempDir dir;
  Fixture f(dir.str());
  std::set<std::string> objects;
  auto messages = Simulated({}, 600, &objects);
  const RunnerOptions ro = Quiet(/*threads=*/2, /*batch_size=*/16);
  auto source = MakeMemorySource(messages);
  auto summary = pipeline::Run(source.get(), &f.level1, ro);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->alerts, 600u);
  EXPECT_EQ(summary->new_objects, objects.size());
  EXPECT_EQ(*f.db->Count(store::Table::kObjects), objects.size());
  EXPECT_EQ(*f.db->Count(store::Table::kAlerts), 600u);
  EXPECT_EQ(*f.db->Count(store::Table::kCutouts), 1800u);
  EXPECT_EQ(*f.db->Count(store::Table::kDetections), summary->new_detections);
  EXPECT_TRUE(f.level1.IsDone("test", 599));
  EXPECT_EQ(f.level1.DoneCount("test"), 600u);
  std::vector<std::string> before;
  for (int t = 0; t < store::kNumTables; ++t) {
    before.push_back(*store::TableDigest(*f.db, static_cast<store::Table>(t)));
  }
  auto again = MakeMemorySource(messages);
  auto second = pipeline::Run(again.get(), &f.level1, ro);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->new_objects, 0u);
  EXPECT_EQ(second->new_detections, 0u);
  for (int t = 0; t < store::kNumTables; ++t) {
    if (static_cast<store::Table>(t) == store::Table::kMeta) continue;
    EXPECT_EQ(*store::TableDigest(*f.db, static_cast<store::Table>(t)), before[t])
        << store::TableName(static_cast<store::Table>(t));
  }
}

// Level1Options::apply_writes = false (benchmarks): the alerts are processed and counted,
// and the store stays empty.
TEST(PipelineTest, DroppedWriteSetsLeaveTheStoreEmpty) {
  TempDir dir;
  auto db = std::move(store::Store::Open(dir.str())).value();
  store::CutoutStore cutouts(db.get(), store::CutoutMode::kCount, "");
  codec::SchemaCache cache;
  Metrics metrics;
  Level1Options options;
  options.apply_writes = false;
  Level1 level1(db.get(), &cutouts, &cache, nullptr, &metrics, options);
  std::set<std::string> objects;
  auto source = MakeMemorySource(Simulated({}, 200, &objects));
  auto summary = pipeline::Run(source.get(), &level1, Quiet(/*threads=*/2, /*batch_size=*/16));
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->alerts, 200u);
  EXPECT_GT(metrics.bytes_written.load(), 0u);  // the write sets were built
  for (int t = 0; t < store::kNumTables; ++t) {
    EXPECT_EQ(*db->Count(static_cast<store::Table>(t)), 0u)
        << store::TableName(static_cast<store::Table>(t));
  }
}

// Records, in the order sinks see them, the stream position of each object's alerts.
class OrderSink : public Sink {
 public:
  Status Write(const ProcessedBatch& batch) override {
    std::lock_guard lock(mu_);
    for (const ProcessedAlert& p : batch.alerts) {
      for (const Message& m : batch.messages) seen_[p.alert->object_id].push_back(m.position);
    }
    return Status::Ok();
  }
  Status Flush() override { return Status::Ok(); }
  std::map<std::string, std::vector<uint64_t>> seen() const { return seen_; }

 private:
  std::mutex mu_;
  std::map<std::string, std::vector<uint64_t>> seen_;
};

// Batches that share objects are processed in stream order, whichever worker decodes first:
// under "select, then insert only what is new", the first version of a detection stored is the
// one kept (a later packet's prv_candidate copy must not win over the candidate itself).
TEST(PipelineTest, BatchesOfOneObjectAreProcessedInStreamOrder) {
  TempDir dir;
  Fixture f(dir.str());
  OrderSink order;
  f.level1.add_sink(&order);
  std::set<std::string> objects;
  const auto alerts = Simulated({}, 100, &objects);
  std::vector<Message> messages;  // each alert four times in a row: one object, four batches
  for (const Message& a : alerts) {
    for (int k = 0; k < 4; ++k) {
      messages.push_back(a);
      messages.back().position = messages.size() - 1;
    }
  }
  auto source = MakeMemorySource(messages);
  auto summary = pipeline::Run(source.get(), &f.level1, Quiet(/*threads=*/4, /*batch_size=*/1));
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  size_t checked = 0;
  for (const auto& [object, positions] : order.seen()) {
    EXPECT_TRUE(std::is_sorted(positions.begin(), positions.end())) << object;
    checked += positions.size();
  }
  EXPECT_EQ(checked, messages.size());
}

// Records the forced-photometry and limit rows sinks receive, by (object, table, mjd, band).
class RowSink : public Sink {
 public:
  Status Write(const ProcessedBatch& batch) override {
    for (const StoredRow& r : batch.rows) {
      if (r.table == store::Table::kForced || r.table == store::Table::kNonDetections) {
        rows_.insert({r.alert->object_id, static_cast<int>(r.table), r.mjd, *r.band});
      }
    }
    return Status::Ok();
  }
  Status Flush() override { return Status::Ok(); }
  using Row = std::tuple<std::string, int, double, std::string>;
  const std::set<Row>& rows() const { return rows_; }
  void clear() { rows_.clear(); }

 private:
  std::set<Row> rows_;  // one worker in this test
};

// A redo message (stored by an attempt whose outputs may be lost) sends its rows to the sinks
// again even where the store has them, also when the same packet arrives a second time, not as
// a redo, in the same batch and first (real streams resend packets): duplicate rows in a batch
// are written once, and the row kept must carry the redo. Real ZTF packets: they carry limits.
TEST(PipelineTest, ARedoMessageRepublishesItsRowsBesideADuplicatePacket) {
  const std::string data = codec::test_data::SharedDataDir();
  ASSERT_FALSE(data.empty()) << "LANTERN_SHARED_DATA is not set (ctest sets it)";
  auto files = ExpandPaths({data + "/ztf/alerts/native"}, {".avro"});
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  std::vector<Message> packets;
  for (size_t i = 0; i < files->size() && i < 40; ++i) {
    Message m;
    auto bytes = codec::test_data::ReadShared((*files)[i]);
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    m.bytes = std::move(bytes).value();
    m.origin = "first";
    m.position = i;
    packets.push_back(std::move(m));
  }
  TempDir dir;
  Fixture f(dir.str());
  RowSink sink;
  f.level1.add_sink(&sink);
  auto source = MakeMemorySource(packets);
  ASSERT_TRUE(pipeline::Run(source.get(), &f.level1, Quiet(1, 1)).ok());
  const std::set<RowSink::Row> stored = sink.rows();
  ASSERT_FALSE(stored.empty());

  sink.clear();
  std::vector<Message> messages;  // per packet: the packet anew, then the redo (one batch)
  for (const Message& p : packets) {
    messages.push_back(p);
    messages.back().origin = "resent";
    messages.push_back(p);
    messages.back().redo = true;
  }
  source = MakeMemorySource(messages);
  ASSERT_TRUE(pipeline::Run(source.get(), &f.level1, Quiet(1, 2)).ok());
  size_t missing = 0;
  for (const RowSink::Row& row : stored) missing += !sink.rows().contains(row);
  EXPECT_EQ(missing, 0u) << "of " << stored.size() << " stored limit and forced rows";
}

TEST(PipelineTest, BadPacketsBecomeDeadLettersAndTheRestFlows) {
  TempDir dir;
  Fixture f(dir.str());
  std::set<std::string> objects;
  auto messages = Simulated({}, 50, &objects);
  Message garbage;
  garbage.bytes = std::make_shared<const std::string>("\x07garbage, not a packet");
  garbage.origin = "bad";
  messages.insert(messages.begin() + 10, garbage);
  Message truncated = messages[20];
  truncated.kind = Message::Kind::kBare;
  truncated.bytes = std::make_shared<const std::string>(messages[20].bytes->substr(0, 100));
  truncated.origin = "bad";
  truncated.position = 1;
  messages.push_back(truncated);
  RunnerOptions ro;
  ro.progress_seconds = 0;
  auto source = MakeMemorySource(messages);
  auto summary = pipeline::Run(source.get(), &f.level1, ro);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->alerts, 50u);
  EXPECT_EQ(summary->deadletters, 2u);
  EXPECT_EQ(*f.db->Count(store::Table::kDeadLetters), 2u);
  auto reasons = store::DeadLettersByReason(*f.db);
  ASSERT_TRUE(reasons.ok());
  EXPECT_EQ(reasons->size(), 2u);
  EXPECT_EQ(f.metrics.DeadLetterReasons().size(), 2u);
}

TEST(PipelineTest, DemoSkyGivesContextAndWatchlistHits) {
  TempDir dir;
  Fixture f(dir.str());
  stream::SimulatorOptions so;
  auto demo = MakeDemoSky(so, 400, 1000);
  ASSERT_TRUE(demo.ok()) << demo.status().ToString();
  auto classifier = sky::ContextClassifier::Build(std::move(demo->catalogs));
  ASSERT_TRUE(classifier.ok());
  SkyContextAnnotator context(std::move(classifier).value());
  auto wl = sky::Watchlist::Build(1, "demo", std::move(demo->watchlist));
  ASSERT_TRUE(wl.ok());
  SkyWatchlistMatcher watchlist(std::move(wl).value());
  f.level1.set_context(&context);
  f.level1.add_watchlists(&watchlist);
  std::set<std::string> objects;
  auto source = MakeMemorySource(Simulated(so, 400, &objects));
  RunnerOptions ro;
  ro.progress_seconds = 0;
  auto summary = pipeline::Run(source.get(), &f.level1, ro);
  ASSERT_TRUE(summary.ok());
  EXPECT_GT(summary->context_matches, 100u);
  EXPECT_GT(summary->watchlist_hits, 0u);
  EXPECT_EQ(*f.db->Count(store::Table::kWatchlistHits), summary->watchlist_hits);
}

TEST(MetricsTest, HistogramAndPrometheusEndpoint) {
  Metrics m;
  for (int i = 1; i <= 100; ++i) m.RecordStage(Stage::kDecode, 10, i * 1e-4);
  const double p50 = m.stage(Stage::kDecode).latency.Quantile(0.5);
  const double p99 = m.stage(Stage::kDecode).latency.Quantile(0.99);
  EXPECT_GE(p50, 5e-3 * 0.84);  // a bucket edge within 2^(1/4) of the true value
  EXPECT_LE(p50, 5e-3 * 1.19);
  EXPECT_GE(p99, p50);
  m.alerts = 7;
  m.CountDeadLetter("bad \"thing\"");
  auto server = ServeMetrics(&m, "127.0.0.1", 0);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  httplib::Client client("127.0.0.1", (*server)->port());
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("lantern_alerts_total 7\n"), std::string::npos);
  EXPECT_NE(res->body.find("lantern_stage_items_total{stage=\"decode\"} 1000"), std::string::npos);
  EXPECT_NE(res->body.find("reason=\"bad \\\"thing\\\"\"} 1"), std::string::npos);
}

}  // namespace
}  // namespace lantern::pipeline
