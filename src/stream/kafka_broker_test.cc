// Kafka wrappers against a real broker (scripts/kafka start; LANTERN_KAFKA = its bootstrap
// address, the test is skipped without it): topics with partitions, idempotent keyed
// produce, a consumer group with explicit commits, and transactions (an aborted batch stays
// invisible to read_committed consumers). Each test uses its own topic and group names.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fmt/format.h>
#include <map>
#include <set>

#include "stream/kafka.h"

namespace lantern::stream {
namespace {

std::string Bootstrap() {
  const char* env = std::getenv("LANTERN_KAFKA");
  return env ? env : "";
}

std::string UniqueName(std::string_view what) {
  return fmt::format("lantern-test-{}-{}-{}", what, ::getpid(),
                     std::chrono::steady_clock::now().time_since_epoch().count());
}

class KafkaBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Bootstrap().empty()) GTEST_SKIP() << "LANTERN_KAFKA is not set (scripts/kafka start)";
    auto admin = Admin::Create(Bootstrap());
    ASSERT_TRUE(admin.ok()) << admin.status().message();
    admin_ = std::move(admin).value();
  }

  std::string MakeTopic(int partitions, std::map<std::string, std::string> configs = {}) {
    std::string topic = UniqueName("t");
    Status st = admin_->CreateTopic({topic, partitions, 1, std::move(configs)});
    EXPECT_TRUE(st.ok()) << st.message();
    topics_.push_back(topic);
    return topic;
  }

  void TearDown() override {
    for (const std::string& t : topics_) EXPECT_TRUE(admin_->DeleteTopic(t).ok()) << t;
  }

  // Reads until `expected` messages came or 30 s passed, committing after each batch.
  std::vector<KafkaMessage> ConsumeAll(Consumer* c, size_t expected) {
    std::vector<KafkaMessage> all;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (all.size() < expected && std::chrono::steady_clock::now() < deadline) {
      auto batch = c->PollBatch(100, 500);
      EXPECT_TRUE(batch.ok()) << batch.status().message();
      if (!batch.ok()) break;
      EXPECT_TRUE(c->Commit(Consumer::NextOffsets(*batch)).ok());
      for (KafkaMessage& m : *batch) all.push_back(std::move(m));
    }
    return all;
  }

  std::unique_ptr<Admin> admin_;
  std::vector<std::string> topics_;
};

TEST_F(KafkaBrokerTest, TopicAdministration) {
  const std::string topic = MakeTopic(4, {{"cleanup.policy", "compact"}});
  EXPECT_EQ(*admin_->PartitionCount(topic), 4);
  EXPECT_TRUE(admin_->CreateTopic({topic, 4, 1, {}}, /*if_missing=*/true).ok());
  Status again = admin_->CreateTopic({topic, 4, 1, {}});
  EXPECT_FALSE(again.ok());
  EXPECT_NE(again.message().find("already exists"), std::string::npos) << again.message();
  Status too_many = admin_->CreateTopic({UniqueName("rf"), 1, 5, {}});
  EXPECT_FALSE(too_many.ok());
  EXPECT_NE(too_many.message().find("eplication"), std::string::npos) << too_many.message();
  Status bad_config = admin_->CreateTopic({UniqueName("cfg"), 1, 1, {{"cleanup.policy", "x"}}});
  EXPECT_FALSE(bad_config.ok());
  EXPECT_EQ(admin_->PartitionCount(UniqueName("missing")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(admin_->DeleteTopic(UniqueName("missing")).code(), StatusCode::kNotFound);
}

TEST_F(KafkaBrokerTest, ProduceAndConsumeInAGroupWithCommits) {
  const std::string topic = MakeTopic(4);
  ProducerOptions po;
  po.bootstrap = Bootstrap();
  po.compression = "lz4";
  auto producer = Producer::Create(po);
  ASSERT_TRUE(producer.ok()) << producer.status().message();
  constexpr int kMessages = 400;
  for (int i = 0; i < kMessages; ++i) {
    const std::string key = fmt::format("ZTF{:04d}", i % 37);
    ASSERT_TRUE((*producer)->Produce(topic, key, fmt::format("alert {} of {}", i, key)).ok());
  }
  ASSERT_TRUE((*producer)->Produce(topic, "", "unkeyed", 2).ok());
  ASSERT_TRUE((*producer)->Flush(30000).ok());
  EXPECT_EQ((*producer)->stats().delivered, kMessages + 1u);
  EXPECT_EQ((*producer)->stats().failed, 0u);
  EXPECT_EQ(*admin_->MessageCount(topic), kMessages + 1);

  ConsumerOptions co;
  co.bootstrap = Bootstrap();
  co.group_id = UniqueName("g");
  auto consumer = Consumer::Create(co);
  ASSERT_TRUE(consumer.ok()) << consumer.status().message();
  std::vector<std::pair<RebalanceEvent, size_t>> rebalances;
  (*consumer)->SetRebalanceHook([&](RebalanceEvent e, const std::vector<TopicPartition>& tps) {
    rebalances.emplace_back(e, tps.size());
  });
  ASSERT_TRUE((*consumer)->Subscribe({topic}).ok());
  std::vector<KafkaMessage> got = ConsumeAll(consumer->get(), kMessages + 1);
  ASSERT_EQ(got.size(), kMessages + 1u);
  ASSERT_FALSE(rebalances.empty());
  EXPECT_EQ(rebalances[0].first, RebalanceEvent::kAssigned);
  EXPECT_EQ(rebalances[0].second, 4u);

  // One key, one partition; every message once; the unkeyed one where it was sent.
  std::map<std::string, std::set<int32_t>> partitions_of_key;
  std::set<std::string> values;
  for (const KafkaMessage& m : got) {
    values.insert(*m.value);
    EXPECT_GT(m.timestamp_ms, 0);
    if (m.key) {
      partitions_of_key[*m.key].insert(m.partition);
      EXPECT_EQ(m.value->substr(m.value->size() - m.key->size()), *m.key);
    } else {
      EXPECT_EQ(*m.value, "unkeyed");
      EXPECT_EQ(m.partition, 2);
    }
  }
  EXPECT_EQ(values.size(), kMessages + 1u);
  EXPECT_EQ(partitions_of_key.size(), 37u);
  for (const auto& [key, parts] : partitions_of_key) EXPECT_EQ(parts.size(), 1u) << key;

  // The group's committed offsets are the high watermarks.
  std::vector<TopicPartition> tps;
  for (int p = 0; p < 4; ++p) tps.push_back({topic, p});
  auto committed = (*consumer)->Committed(tps, 10000);
  ASSERT_TRUE(committed.ok()) << committed.status().message();
  for (const PartitionOffset& o : *committed) {
    EXPECT_EQ(o.offset, admin_->QueryWatermarks(topic, o.partition)->high) << o.partition;
  }
  (*consumer)->Close();

  // A new member of the same group starts from the commits: nothing left to read.
  auto again = Consumer::Create(co);
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE((*again)->Subscribe({topic}).ok());
  size_t more = 0;
  for (int i = 0; i < 6; ++i) more += (*again)->PollBatch(100, 500)->size();
  EXPECT_EQ(more, 0u);
}

TEST_F(KafkaBrokerTest, AbortedTransactionsStayInvisible) {
  const std::string in = MakeTopic(1);
  const std::string out = MakeTopic(2);
  ProducerOptions po;
  po.bootstrap = Bootstrap();
  po.transactional_id = UniqueName("txn");
  auto producer = Producer::Create(po);
  ASSERT_TRUE(producer.ok()) << producer.status().message();
  ASSERT_TRUE((*producer)->InitTransactions(30000).ok());

  // The input offsets are committed with the output (consume-transform-produce).
  ProducerOptions plain;
  plain.bootstrap = Bootstrap();
  auto feeder = Producer::Create(plain);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE((*feeder)->Produce(in, "", fmt::format("in{}", i)).ok());
  ASSERT_TRUE((*feeder)->Flush(30000).ok());
  ConsumerOptions co;
  co.bootstrap = Bootstrap();
  co.group_id = UniqueName("txn-group");
  auto source = Consumer::Create(co);
  ASSERT_TRUE((*source)->Subscribe({in}).ok());
  std::vector<KafkaMessage> batch;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (batch.size() < 10 && std::chrono::steady_clock::now() < deadline) {
    auto more = (*source)->PollBatch(10, 500);
    ASSERT_TRUE(more.ok()) << more.status().message();
    for (KafkaMessage& m : *more) batch.push_back(std::move(m));
  }
  ASSERT_EQ(batch.size(), 10u);

  ASSERT_TRUE((*producer)->BeginTransaction().ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*producer)->Produce(out, "", "aborted").ok());
  ASSERT_TRUE((*producer)->AbortTransaction(30000).ok());

  ASSERT_TRUE((*producer)->BeginTransaction().ok());
  for (const KafkaMessage& m : batch) {
    ASSERT_TRUE((*producer)->Produce(out, "", "out-" + *m.value).ok());
  }
  Status sent = (*producer)->SendOffsetsToTransaction(Consumer::NextOffsets(batch), **source, 30000);
  ASSERT_TRUE(sent.ok()) << sent.message();
  ASSERT_TRUE((*producer)->CommitTransaction(30000).ok());

  auto committed = (*source)->Committed({{in, 0}}, 10000);
  ASSERT_TRUE(committed.ok());
  EXPECT_EQ((*committed)[0].offset, 10);

  ConsumerOptions reader = co;
  reader.group_id = UniqueName("txn-reader");
  auto sink = Consumer::Create(reader);  // librdkafka reads read_committed by default
  ASSERT_TRUE((*sink)->Subscribe({out}).ok());
  std::vector<KafkaMessage> seen = ConsumeAll(sink->get(), 10);
  for (int i = 0; i < 4; ++i) {
    auto more = (*sink)->PollBatch(100, 250);
    ASSERT_TRUE(more.ok()) << more.status().message();
    for (KafkaMessage& m : *more) seen.push_back(std::move(m));
  }
  ASSERT_EQ(seen.size(), 10u);
  for (const KafkaMessage& m : seen) EXPECT_EQ(m.value->substr(0, 6), "out-in");
}

}  // namespace
}  // namespace lantern::stream
