// Kafka wrappers without a broker: URL parsing, option validation, and that a producer
// pointed at nothing reports undelivered messages instead of hanging or crashing.
#include "stream/kafka.h"

#include <gtest/gtest.h>

namespace lantern::stream {
namespace {

TEST(KafkaUrlTest, HostPortAndTopic) {
  auto url = ParseKafkaUrl("kafka://127.0.0.1:9092/ztf.alerts_2024-01");
  ASSERT_TRUE(url.ok()) << url.status().message();
  EXPECT_EQ(url->bootstrap, "127.0.0.1:9092");
  EXPECT_EQ(url->topic, "ztf.alerts_2024-01");
}

TEST(KafkaUrlTest, NoTopic) {
  for (const char* s : {"kafka://broker.example.org:9093", "kafka://broker.example.org:9093/"}) {
    auto url = ParseKafkaUrl(s);
    ASSERT_TRUE(url.ok()) << s << ": " << url.status().message();
    EXPECT_EQ(url->bootstrap, "broker.example.org:9093");
    EXPECT_EQ(url->topic, "");
  }
}

TEST(KafkaUrlTest, SeveralBrokersAndIpv6) {
  auto url = ParseKafkaUrl("kafka://a:9092,b:9093,[::1]:9094/t");
  ASSERT_TRUE(url.ok()) << url.status().message();
  EXPECT_EQ(url->bootstrap, "a:9092,b:9093,[::1]:9094");
  EXPECT_EQ(url->topic, "t");
}

TEST(KafkaUrlTest, RejectsMalformed) {
  struct Case {
    const char* url;
    const char* says;
  };
  for (const Case& c : {
           Case{"http://127.0.0.1:9092/t", "must look like kafka://"},
           Case{"127.0.0.1:9092", "must look like kafka://"},
           Case{"kafka://", "names no broker"},
           Case{"kafka:///t", "names no broker"},
           Case{"kafka://127.0.0.1/t", "has no :PORT"},
           Case{"kafka://127.0.0.1:0/t", "bad port '0'"},
           Case{"kafka://127.0.0.1:70000/t", "bad port '70000'"},
           Case{"kafka://127.0.0.1:90x2/t", "bad port '90x2'"},
           Case{"kafka://:9092/t", "empty host"},
           Case{"kafka://a:9092,/t", "has no :PORT"},
           Case{"kafka://a b:9092", "bad character ' ' in host"},
           Case{"kafka://a:9092/bad topic", "bad character ' ' in topic"},
           Case{"kafka://a:9092/x/y", "bad character '/' in topic"},
           Case{"kafka://a:9092/..", "invalid topic name '..'"},
       }) {
    auto url = ParseKafkaUrl(c.url);
    ASSERT_FALSE(url.ok()) << c.url;
    EXPECT_EQ(url.status().code(), StatusCode::kInvalidArgument) << c.url;
    EXPECT_NE(url.status().message().find(c.says), std::string::npos)
        << c.url << " → " << url.status().message();
  }
  EXPECT_FALSE(ParseKafkaUrl("kafka://a:1/" + std::string(250, 't')).ok());
  EXPECT_TRUE(ParseKafkaUrl("kafka://a:1/" + std::string(249, 't')).ok());
}

TEST(KafkaConfigTest, ProducerOptionsAreValidated) {
  ProducerOptions o;
  o.bootstrap = "127.0.0.1:1";
  EXPECT_TRUE(Producer::Create(o).ok());

  ProducerOptions none = o;
  none.bootstrap.clear();
  EXPECT_NE(Producer::Create(none).status().message().find("no bootstrap"), std::string::npos);

  ProducerOptions codec = o;
  codec.compression = "brotli";
  EXPECT_NE(Producer::Create(codec).status().message().find("unknown compression 'brotli'"),
            std::string::npos);

  ProducerOptions txn = o;
  txn.transactional_id = "t";
  txn.idempotent = false;
  EXPECT_NE(Producer::Create(txn).status().message().find("transactions need idempotence"),
            std::string::npos);

  ProducerOptions unknown = o;
  unknown.extra = {{"no.such.property", "1"}};
  auto p = Producer::Create(unknown);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(p.status().message().find("no.such.property"), std::string::npos)
      << p.status().message();

  ProducerOptions bad_value = o;
  bad_value.linger_ms = -5;
  EXPECT_NE(Producer::Create(bad_value).status().message().find("linger.ms=-5"), std::string::npos);

  for (const char* c : {"none", "lz4", "zstd", "snappy", "gzip"}) {
    ProducerOptions ok = o;
    ok.compression = c;
    EXPECT_TRUE(Producer::Create(ok).ok()) << c;
  }
}

TEST(KafkaConfigTest, ConsumerOptionsAreValidated) {
  ConsumerOptions o;
  o.bootstrap = "127.0.0.1:1";
  o.group_id = "g";
  EXPECT_TRUE(Consumer::Create(o).ok());

  ConsumerOptions no_group = o;
  no_group.group_id.clear();
  EXPECT_NE(Consumer::Create(no_group).status().message().find("group id is required"),
            std::string::npos);

  ConsumerOptions auto_commit = o;
  auto_commit.extra = {{"enable.auto.commit", "true"}};
  EXPECT_NE(Consumer::Create(auto_commit).status().message().find("committed explicitly"),
            std::string::npos);

  ConsumerOptions reset = o;
  reset.auto_offset_reset = "sometimes";
  EXPECT_NE(Consumer::Create(reset).status().message().find("auto.offset.reset=sometimes"),
            std::string::npos);

  EXPECT_FALSE(Admin::Create("").ok());

  ConsumerOptions unknown = o;
  unknown.extra = {{"no.such.property", "1"}};
  EXPECT_NE(Consumer::Create(unknown).status().message().find("no.such.property"),
            std::string::npos);
}

TEST(KafkaConfigTest, ParsesNameEqualsValue) {
  auto parsed = ParseKafkaConfig({"security.protocol=SASL_SSL", "sasl.password=a=b", "x="});
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const KafkaConfig want = {
      {"security.protocol", "SASL_SSL"}, {"sasl.password", "a=b"}, {"x", ""}};
  EXPECT_EQ(*parsed, want);
  for (const char* bad : {"security.protocol", "=SASL_SSL", ""}) {
    auto r = ParseKafkaConfig({bad});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("NAME=VALUE"), std::string::npos) << bad;
  }
}

TEST(KafkaOffsetsTest, NextOffsetsTakesTheLastMessagePerPartition) {
  auto msg = [](std::string topic, int32_t partition, int64_t offset) {
    KafkaMessage m;
    m.topic = std::move(topic);
    m.partition = partition;
    m.offset = offset;
    m.value = std::make_shared<const std::string>();
    return m;
  };
  auto next = Consumer::NextOffsets(
      {msg("a", 0, 5), msg("a", 1, 9), msg("a", 0, 6), msg("b", 0, 2), msg("a", 0, 7)});
  ASSERT_EQ(next.size(), 3u);
  EXPECT_EQ(next[0].topic, "a");
  EXPECT_EQ(next[0].partition, 0);
  EXPECT_EQ(next[0].offset, 8);
  EXPECT_EQ(next[1].offset, 10);
  EXPECT_EQ(next[2].topic, "b");
  EXPECT_EQ(next[2].offset, 3);
  EXPECT_TRUE(Consumer::NextOffsets({}).empty());
}

// Nothing listens on port 1: the message stays undelivered and Flush says so, the delivery
// fails once message.timeout.ms passes, and nothing crashes or blocks past the timeouts.
TEST(KafkaProducerTest, BrokerDownIsAnErrorNotACrash) {
  ProducerOptions o;
  o.bootstrap = "127.0.0.1:1";
  o.message_timeout_ms = 1500;
  std::vector<std::string> errors;
  o.on_error = [&](const std::string& e) { errors.push_back(e); };
  auto p = Producer::Create(o);
  ASSERT_TRUE(p.ok()) << p.status().message();
  ASSERT_TRUE((*p)->Produce("t", "key", "value").ok());
  Status early = (*p)->Flush(200);
  EXPECT_FALSE(early.ok());
  EXPECT_NE(early.message().find("not delivered after 200 ms"), std::string::npos)
      << early.message();
  Status late = (*p)->Flush(10000);
  ASSERT_FALSE(late.ok());
  EXPECT_NE(late.message().find("1 messages failed delivery"), std::string::npos)
      << late.message();
  EXPECT_EQ((*p)->stats().failed, 1u);
  EXPECT_EQ((*p)->stats().delivered, 0u);
  EXPECT_TRUE((*p)->Flush(100).ok());  // failures are reported once
  EXPECT_FALSE(errors.empty());        // the connection failure reached the hook
}

TEST(KafkaConsumerTest, BrokerDownGivesEmptyBatches) {
  ConsumerOptions o;
  o.bootstrap = "127.0.0.1:1";
  o.group_id = "g";
  o.on_error = [](const std::string&) {};
  auto c = Consumer::Create(o);
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_TRUE((*c)->Subscribe({"t"}).ok());
  auto batch = (*c)->PollBatch(10, 300);
  ASSERT_TRUE(batch.ok()) << batch.status().message();
  EXPECT_TRUE(batch->empty());
  (*c)->Close();
  EXPECT_FALSE((*c)->PollBatch(1, 0).ok());
}

}  // namespace
}  // namespace lantern::stream
