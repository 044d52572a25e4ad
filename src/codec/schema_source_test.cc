#include "codec/schema_source.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "codec/json_encoder.h"
#include "codec/packet.h"
#include "core/file.h"

namespace lantern::codec {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Json = nlohmann::json;
using namespace std::string_literals;

std::string RecordSchema(const std::string& name, const std::string& ns = "test") {
  return R"({"type": "record", "name": ")" + name + R"(", "namespace": ")" + ns +
         R"(", "fields": [{"name": "id", "type": "long"},)" +
         R"( {"name": "note", "type": ["null", "string"]}]})";
}

// --- SchemaCache ---------------------------------------------------------------------------

TEST(SchemaCacheTest, SameTextGivesTheSameSchema) {
  SchemaCache cache;
  const std::string text = RecordSchema("alert");
  auto a = cache.FromText(text);
  auto b = cache.FromText(std::string(text));  // equal text, different buffer
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->get(), b->get());
  auto other = cache.FromText(RecordSchema("other"));
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->get(), a->get());
  EXPECT_EQ((*other)->root().full_name, "test.other");
}

TEST(SchemaCacheTest, EqualLengthTextsDifferingInOneByteAreDifferentSchemas) {
  // The cache keys on a sampled fingerprint; texts that differ anywhere must still not be
  // confused, whichever bytes the fingerprint happens to read.
  SchemaCache cache;
  const std::string base = RecordSchema(std::string(200, 'a'));
  const size_t name_at = base.find("aaaa");
  std::vector<const Schema*> seen;
  for (size_t i = 0; i < 200; ++i) {
    std::string text = base;
    text[name_at + i] = 'b';
    auto s = cache.FromText(text);
    ASSERT_TRUE(s.ok());
    std::string expected(200, 'a');
    expected[i] = 'b';
    ASSERT_EQ((*s)->root().full_name, "test." + expected) << i;
    seen.push_back(s->get());
  }
  // And each is still found again.
  std::string again = base;
  again[name_at + 77] = 'b';
  EXPECT_EQ(cache.FromText(again)->get(), seen[77]);
}

TEST(SchemaCacheTest, InvalidTextIsAnErrorEveryTime) {
  SchemaCache cache;
  for (int i = 0; i < 2; ++i) {
    auto s = cache.FromText(
        R"({"type": "record", "name": "r", "fields": [{"name": "a", "type": "bogus"}]})");
    ASSERT_FALSE(s.ok());
    EXPECT_THAT(s.status().message(), HasSubstr("unknown type \"bogus\""));
  }
}

TEST(SchemaCacheTest, HoldsAtMostItsCapacityAndEvictsTheOldest) {
  SchemaCache cache(/*capacity=*/4);
  auto text = [](int i) {
    return "{\"type\": \"record\", \"name\": \"r" + std::to_string(i) +
           "\", \"fields\": [{\"name\": \"a\", \"type\": \"int\"}]}";
  };
  std::vector<std::shared_ptr<const Schema>> first;
  for (int i = 0; i < 10; ++i) {
    auto s = cache.FromText(text(i));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    first.push_back(*s);
  }
  EXPECT_EQ(cache.size(), 4u);
  EXPECT_EQ(cache.evictions(), 6u);
  // The newest are still cached (same object); the oldest is parsed again (a new object).
  EXPECT_EQ(cache.FromText(text(9))->get(), first[9].get());
  EXPECT_NE(cache.FromText(text(0))->get(), first[0].get());
}

// --- SchemaDirectory -----------------------------------------------------------------------

class SchemaDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "lantern_schema_dir_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void Write(const std::string& rel, const std::string& text) {
    const fs::path p = fs::path(dir_) / rel;
    fs::create_directories(p.parent_path());
    ASSERT_TRUE(WriteFile(p.string(), text).ok());
  }
  // Rubin layout: "<major>.<minor>/lsst.vM_m.<type>.avsc", the top level ending in alert.avsc.
  void WriteRubinFolder() {
    Write("7.1/lsst.v7_1.alert.avsc",
          R"({"namespace": "lsst.v7_1", "type": "record", "name": "alert", "fields": [
               {"name": "alertId", "type": "long"},
               {"name": "diaSource", "type": "lsst.v7_1.diaSource"}]})");
    Write("7.1/lsst.v7_1.diaSource.avsc",
          R"({"namespace": "lsst.v7_1", "type": "record", "name": "diaSource", "fields": [
               {"name": "diaSourceId", "type": "long"}]})");
    Write("7.1/README.txt", "not a schema");
  }
  std::string dir_;
};

TEST_F(SchemaDirectoryTest, FolderPerVersionLayout) {
  WriteRubinFolder();
  SchemaDirectory schemas(dir_);
  auto s = schemas.ById(701);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->root().full_name, "lsst.v7_1.alert");
  EXPECT_NE((*s)->FindNamed("lsst.v7_1.diaSource"), nullptr);
  // Cached: the same schema object on the next lookup.
  auto again = schemas.ById(701);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->get(), s->get());
}

TEST_F(SchemaDirectoryTest, PlainAlertAvscIsTheTopLevel) {
  Write("11.0/alert.avsc", RecordSchema("alert", "lsst.v11_0"));
  SchemaDirectory schemas(dir_);
  auto s = schemas.ById(1100);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->root().full_name, "lsst.v11_0.alert");
}

TEST_F(SchemaDirectoryTest, OneFilePerIdLayout) {
  Write("42.avsc", RecordSchema("fortytwo"));
  SchemaDirectory schemas(dir_);
  auto s = schemas.ById(42);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->root().full_name, "test.fortytwo");
}

TEST_F(SchemaDirectoryTest, UnknownIdIsNotFound) {
  WriteRubinFolder();
  SchemaDirectory schemas(dir_);
  auto s = schemas.ById(999);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(s.status().message(), HasSubstr("schema id 999 in " + dir_));
  EXPECT_THAT(s.status().message(), HasSubstr("9.99"));
  EXPECT_THAT(s.status().message(), HasSubstr("999.avsc"));
}

TEST_F(SchemaDirectoryTest, FolderWithoutAlertFileIsNotFound) {
  Write("9.0/lsst.v9_0.diaSource.avsc", RecordSchema("diaSource", "lsst.v9_0"));
  SchemaDirectory schemas(dir_);
  auto s = schemas.ById(900);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(s.status().message(), HasSubstr("no *alert.avsc"));
}

TEST_F(SchemaDirectoryTest, BrokenSchemaNamesTheId) {
  Write("5.avsc", "{broken");
  SchemaDirectory schemas(dir_);
  auto s = schemas.ById(5);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("schema id 5"));
  EXPECT_THAT(s.status().message(), HasSubstr("not valid JSON"));
}

std::string SharedData() {
  if (const char* env = std::getenv("LANTERN_SHARED_DATA"); env && *env) return env;
  // Default: ../shared/data next to the checkout (this file is <repo>/src/codec/...).
  return (fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path() / "shared" /
          "data").string();
}

TEST(SchemaDirectoryRealDataTest, ResolvesRubinIds) {
  const fs::path folder = fs::path(SharedData()) / "lsst" / "schema";
  if (!fs::is_directory(folder)) GTEST_SKIP() << "no Rubin schema folder at " << folder;
  SchemaDirectory schemas(folder.string());
  auto v11_1 = schemas.ById(1101);
  ASSERT_TRUE(v11_1.ok()) << v11_1.status().ToString();
  EXPECT_EQ((*v11_1)->root().full_name, "lsst.v11_1.alert");
  EXPECT_GE((*v11_1)->root().FieldIndex("diaSourceId"), 0);
  const Node* source = (*v11_1)->FindNamed("lsst.v11_1.diaSource");
  ASSERT_NE(source, nullptr);
  EXPECT_GE(source->FieldIndex("trail_flag"), 0);  // new in 11.1

  auto v7_1 = schemas.ById(701);
  ASSERT_TRUE(v7_1.ok()) << v7_1.status().ToString();
  EXPECT_EQ((*v7_1)->root().full_name, "lsst.v7_1.alert");
  EXPECT_GE((*v7_1)->root().FieldIndex("alertId"), 0);
  EXPECT_GE((*v7_1)->root().FieldIndex("prvDiaNondetectionLimits"), 0);
}

// --- SchemaRegistry against an in-process HTTP server --------------------------------------

// A Confluent-like registry on a loopback port: GET [prefix]/schemas/ids/<id>.
class FakeRegistry {
 public:
  FakeRegistry() {
    server_.Get(R"((/[a-z]+)?/schemas/ids/(-?\d+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  std::lock_guard lock(mu_);
                  paths_.push_back(req.path);
                  auto it = bodies_.find(std::stoi(req.matches[2].str()));
                  if (it == bodies_.end()) {
                    res.status = 404;
                    res.set_content(R"({"error_code": 40403, "message": "Schema not found"})",
                                    "application/json");
                    return;
                  }
                  res.set_content(it->second, "application/vnd.schemaregistry.v1+json");
                });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) return;  // tests check port() and fail
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() is a no-op until the accept loop runs; wait for it so the destructor can stop it.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeRegistry() {
    if (!thread_.joinable()) return;
    server_.stop();
    thread_.join();
  }

  void Serve(int id, const std::string& schema_text) {
    SetBody(id, Json{{"schema", schema_text}}.dump());
  }
  void SetBody(int id, const std::string& body) {
    std::lock_guard lock(mu_);
    bodies_[id] = body;
  }
  std::vector<std::string> paths() {
    std::lock_guard lock(mu_);
    return paths_;
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

 private:
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
  std::mutex mu_;
  std::map<int, std::string> bodies_;
  std::vector<std::string> paths_;
};

TEST(SchemaRegistryTest, FetchesAndCachesById) {
  FakeRegistry registry;
  ASSERT_GT(registry.port(), 0);
  registry.Serve(1101, RecordSchema("alert", "lsst.v11_1"));
  SchemaRegistry schemas(registry.url());
  auto s = schemas.ById(1101);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->root().full_name, "lsst.v11_1.alert");
  auto again = schemas.ById(1101);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->get(), s->get());
  EXPECT_EQ(registry.paths(), std::vector<std::string>{"/schemas/ids/1101"});  // asked once
}

TEST(SchemaRegistryTest, UnknownIdIsNotFound) {
  FakeRegistry registry;
  ASSERT_GT(registry.port(), 0);
  SchemaRegistry schemas(registry.url());
  auto s = schemas.ById(77);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(s.status().message(), HasSubstr("/schemas/ids/77"));
  EXPECT_THAT(s.status().message(), HasSubstr("HTTP 404"));
  // Errors are not cached: once the registry knows the id, it resolves.
  registry.Serve(77, RecordSchema("late"));
  EXPECT_TRUE(schemas.ById(77).ok());
}

TEST(SchemaRegistryTest, MalformedRepliesAreErrors) {
  FakeRegistry registry;
  ASSERT_GT(registry.port(), 0);
  registry.SetBody(1, "<html>not json</html>");
  registry.SetBody(2, R"({"schema": 5})");
  registry.SetBody(3, R"({"id": 3})");
  registry.Serve(
      4, R"({"type": "record", "name": "r", "fields": [{"name": "a", "type": "nope"}]})");
  SchemaRegistry schemas(registry.url());
  for (int id : {1, 2, 3}) {
    auto s = schemas.ById(id);
    ASSERT_FALSE(s.ok()) << id;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << id;
    EXPECT_THAT(s.status().message(), HasSubstr("reply has no \"schema\" string")) << id;
  }
  auto bad_schema = schemas.ById(4);
  ASSERT_FALSE(bad_schema.ok());
  EXPECT_THAT(bad_schema.status().message(), HasSubstr("schema id 4 from registry"));
  EXPECT_THAT(bad_schema.status().message(), HasSubstr("unknown type \"nope\""));
}

TEST(SchemaRegistryTest, UrlWithPathPrefix) {
  FakeRegistry registry;
  ASSERT_GT(registry.port(), 0);
  registry.Serve(5, RecordSchema("prefixed"));
  SchemaRegistry schemas(registry.url() + "/registry/");
  auto s = schemas.ById(5);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->root().full_name, "test.prefixed");
  EXPECT_EQ(registry.paths(), std::vector<std::string>{"/registry/schemas/ids/5"});
}

TEST(SchemaRegistryTest, UnreachableRegistryIsAnIoError) {
  std::string url;
  {
    FakeRegistry closed;
    url = closed.url();
  }  // stopped: its port now refuses connections
  SchemaRegistry schemas(url);
  auto s = schemas.ById(1);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kIoError);
  EXPECT_THAT(s.status().message(), HasSubstr(url));
}

TEST(MakeSchemaResolverTest, UrlIsARegistryAnythingElseADirectory) {
  EXPECT_NE(dynamic_cast<SchemaRegistry*>(MakeSchemaResolver("http://localhost:8081").get()),
            nullptr);
  EXPECT_NE(dynamic_cast<SchemaRegistry*>(MakeSchemaResolver("https://reg.example/x").get()),
            nullptr);
  EXPECT_NE(dynamic_cast<SchemaDirectory*>(MakeSchemaResolver("/data/schemas").get()), nullptr);
  EXPECT_NE(dynamic_cast<SchemaDirectory*>(MakeSchemaResolver("httpdocs").get()), nullptr);
}

// --- PacketDecoder with Confluent wire framing ---------------------------------------------

std::string Confluent(uint32_t id, const std::string& datum) {
  std::string out(1, '\0');
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(id >> shift));
  return out + datum;
}

std::string EncodeRecord(const std::string& schema_text, const Json& value) {
  auto schema = Schema::Parse(schema_text);
  EXPECT_TRUE(schema.ok());
  auto bytes = EncodeJsonDatum(**schema, value);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : "";
}

TEST(PacketDecoderConfluentTest, DecodesWithTheRegistrySchema) {
  FakeRegistry registry;
  ASSERT_GT(registry.port(), 0);
  // An id above 2^24 checks all four id bytes and their order.
  const uint32_t id = 0x01020304;
  const std::string schema_text = RecordSchema("alert", "lsst.v9_0");
  registry.Serve(static_cast<int>(id), schema_text);
  SchemaRegistry schemas(registry.url());
  SchemaCache cache;
  PacketDecoder decoder(&cache, &schemas);
  auto bytes = std::make_shared<const std::string>(
      Confluent(id, EncodeRecord(schema_text, Json{{"id", 170000000000000001}, {"note", "hi"}})));
  std::vector<DecodedRecord> records;
  const Status st =
      decoder.DecodeAll(bytes, [&](DecodedRecord&& r) { records.push_back(std::move(r)); });
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].framing, Framing::kConfluent);
  EXPECT_EQ(records[0].schema_id, static_cast<int32_t>(id));
  EXPECT_EQ(records[0].datum->root().Field("id").AsLong(), 170000000000000001);
  EXPECT_EQ(records[0].datum->root().Field("note").AsString(), "hi");
  EXPECT_EQ(registry.paths(), std::vector<std::string>{"/schemas/ids/16909060"});
}

TEST(PacketDecoderConfluentTest, Errors) {
  FakeRegistry registry;
  ASSERT_GT(registry.port(), 0);
  const std::string schema_text = RecordSchema("alert");
  registry.Serve(7, schema_text);
  SchemaRegistry schemas(registry.url());
  SchemaCache cache;
  PacketDecoder decoder(&cache, &schemas);
  auto noop = [](DecodedRecord&&) {};
  const std::string datum = EncodeRecord(schema_text, Json{{"id", 1}, {"note", "hello"}});

  auto packet = [](const std::string& bytes) { return std::make_shared<const std::string>(bytes); };
  Status st = decoder.DecodeAll(packet(Confluent(7, datum + "xy")), noop);
  EXPECT_EQ(st.message(),
            "byte " + std::to_string(5 + datum.size()) + ": 2 bytes left over after the datum");

  // Truncated datum: offsets count the 5-byte header.
  st = decoder.DecodeAll(packet(Confluent(7, datum.substr(0, 4))), noop);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("byte 8 in field note"));

  st = decoder.DecodeAll(std::make_shared<const std::string>(Confluent(8, datum)), noop);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("byte 1: "));
  EXPECT_THAT(st.message(), HasSubstr("HTTP 404"));

  PacketDecoder no_resolver(&cache, nullptr);
  st = no_resolver.DecodeAll(std::make_shared<const std::string>(Confluent(7, datum)), noop);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("schema id 7"));
}

TEST(PacketDecoderConfluentTest, RealRubinSchemaFolder) {
  const fs::path folder = fs::path(SharedData()) / "lsst" / "schema";
  if (!fs::is_directory(folder)) GTEST_SKIP() << "no Rubin schema folder at " << folder;
  SchemaDirectory schemas(folder.string());
  auto schema = schemas.ById(1101);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  // A datum whose only non-null content is the required diaSource record, built from the
  // schema itself so the test follows the real field list.
  Json source = Json::object();
  const Node* dia = (*schema)->FindNamed("lsst.v11_1.diaSource");
  ASSERT_NE(dia, nullptr);
  for (const Field& f : dia->fields) {
    if (f.node->type == Type::kUnion && f.node->null_branch >= 0) continue;
    switch (f.node->type) {
      case Type::kLong: case Type::kInt: source[f.name] = 3; break;
      case Type::kDouble: case Type::kFloat: source[f.name] = 1.5; break;
      case Type::kBoolean: source[f.name] = false; break;
      case Type::kString: source[f.name] = "r"; break;
      default: FAIL() << "unexpected required field type in diaSource: " << f.name;
    }
  }
  source["diaSourceId"] = 281323062375219200;
  auto datum = EncodeJsonDatum(
      **schema, Json{{"diaSourceId", 281323062375219200}, {"diaSource", source}});
  ASSERT_TRUE(datum.ok()) << datum.status().ToString();
  SchemaCache cache;
  PacketDecoder decoder(&cache, &schemas);
  int count = 0;
  const Status st = decoder.DecodeAll(
      std::make_shared<const std::string>(Confluent(1101, *datum)), [&](DecodedRecord&& r) {
        ++count;
        EXPECT_EQ(r.schema_id, 1101);
        EXPECT_EQ(r.datum->schema().root().full_name, "lsst.v11_1.alert");
        EXPECT_EQ(r.datum->root().Field("diaSource").Field("diaSourceId").AsLong(),
                  281323062375219200);
      });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(count, 1);
}

}  // namespace
}  // namespace lantern::codec
