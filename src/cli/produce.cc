// `lantern produce --to kafka://HOST:PORT/TOPIC [--partitions P] [--rate R] [--count N]
// FILES|DIRS|--simulate N`: replays alert packets into a Kafka topic, one packet per message
// as the surveys publish them (a ZTF container file per alert; Rubin Confluent messages with
// their 5-byte framing kept), or simulated alerts, each as a one-record Avro container in
// Lantern's schema. Creates the topic when missing. Key = the packet's object id when it
// decodes (one object per packet), else no key. Progress on stderr, summary on stdout.
#include <chrono>
#include <cstdio>
#include <fmt/format.h>
#include <optional>
#include <thread>

#include "cli/commands.h"
#include "codec/container.h"
#include "codec/schema_source.h"
#include "core/file.h"
#include "stream/kafka.h"
#include "stream/simulator.h"
#include "survey/alert_decoder.h"
#include "survey/lantern_schema.h"

namespace lantern::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct ProduceOptions {
  std::string to;
  int partitions = 1;
  int replication = 1;
  double rate = 0;  // alerts/s per partition; 0 = as fast as possible
  uint64_t count = 0;
  std::vector<std::string> paths;
  uint64_t simulate = 0;
  std::string survey = "ztf";
  uint64_t seed = 1;
  std::string compression = "lz4";
  int linger_ms = 5;
  std::string schema_dir;
  bool no_key = false;
};

// The object id shared by every alert in the packet; none when it does not decode or holds
// several objects.
std::optional<std::string> ObjectKey(survey::AlertDecoder* decoder,
                                     const std::shared_ptr<const std::string>& packet,
                                     const std::shared_ptr<const codec::Schema>& bare_schema) {
  std::optional<std::string> key;
  bool mixed = false;
  auto on_alert = [&](alert::Alert&& a, const codec::DecodedRecord&) {
    if (!key) key = a.object_id;
    else if (*key != a.object_id) mixed = true;
  };
  const Status st = bare_schema ? decoder->DecodeBare(bare_schema, packet, on_alert)
                                : decoder->Decode(packet, on_alert);
  if (!st.ok() || mixed || (key && key->empty())) return std::nullopt;
  return key;
}

// Where the packets come from: files (cycled when --count asks for more) or the simulator.
class PacketSource {
 public:
  virtual ~PacketSource() = default;
  // The next packet and its key; false when done.
  virtual Result<bool> Next(std::string* value, std::optional<std::string>* key) = 0;
};

class FilePackets : public PacketSource {
 public:
  FilePackets(std::vector<std::string> files, uint64_t total, survey::AlertDecoder* decoder,
              bool keys)
      : files_(std::move(files)), keys_(files_.size()), total_(total), decoder_(decoder),
        want_keys_(keys) {}
  Result<bool> Next(std::string* value, std::optional<std::string>* key) override {
    if (next_ >= total_) return false;
    const size_t i = next_++ % files_.size();
    ASSIGN_OR_RETURN(*value, ReadFile(files_[i]));
    if (want_keys_ && !keys_[i]) {
      auto shared = std::make_shared<const std::string>(*value);
      keys_[i] = ObjectKey(decoder_, shared, nullptr).value_or("");
    }
    *key = keys_[i] && !keys_[i]->empty() ? keys_[i] : std::nullopt;
    return true;
  }

 private:
  std::vector<std::string> files_;
  std::vector<std::optional<std::string>> keys_;  // "" = the packet gives no key
  uint64_t total_;
  uint64_t next_ = 0;
  survey::AlertDecoder* decoder_;
  bool want_keys_;
};

class SimulatedPackets : public PacketSource {
 public:
  SimulatedPackets(stream::SimulatorOptions options, uint64_t total,
                   survey::AlertDecoder* decoder, bool keys)
      : sim_(options), total_(total), decoder_(decoder), want_keys_(keys) {}
  Result<bool> Next(std::string* value, std::optional<std::string>* key) override {
    if (next_ >= total_) return false;
    ++next_;
    ASSIGN_OR_RETURN(std::string datum, sim_.NextDatum());
    key->reset();
    if (want_keys_) {
      *key = ObjectKey(decoder_, std::make_shared<const std::string>(datum), sim_.schema());
    }
    codec::ContainerWriter writer(std::string(survey::LanternAlertSchema()), codec::Codec::kNull);
    writer.Append(datum);
    ASSIGN_OR_RETURN(*value, writer.Finish());
    return true;
  }

 private:
  stream::Simulator sim_;
  uint64_t total_;
  uint64_t next_ = 0;
  survey::AlertDecoder* decoder_;
  bool want_keys_;
};

int RunProduce(const ProduceOptions& opt) {
  auto fail = [](int code, const std::string& msg) {
    fmt::print(stderr, "lantern produce: {}\n", msg);
    return code;
  };
  auto url = stream::ParseKafkaUrl(opt.to);
  if (!url.ok()) return fail(2, url.status().message());
  if (url->topic.empty()) return fail(2, fmt::format("--to {} names no topic", opt.to));
  if (opt.paths.empty() == (opt.simulate == 0)) {
    return fail(2, "give alert FILES/DIRS or --simulate N (one of the two)");
  }
  if (opt.rate < 0) return fail(2, "--rate must be >= 0");

  codec::SchemaCache cache;
  std::unique_ptr<codec::SchemaResolver> resolver;
  if (!opt.schema_dir.empty()) resolver = codec::MakeSchemaResolver(opt.schema_dir);
  survey::AlertDecoder decoder(&cache, resolver.get());
  std::unique_ptr<PacketSource> source;
  uint64_t total = 0;
  if (opt.simulate) {
    total = opt.count ? std::min(opt.count, opt.simulate) : opt.simulate;
    stream::SimulatorOptions sim;
    sim.survey = opt.survey == "lsst" ? alert::Survey::kLsst : alert::Survey::kZtf;
    sim.seed = opt.seed;
    source = std::make_unique<SimulatedPackets>(sim, total, &decoder, !opt.no_key);
  } else {
    auto files = ExpandPaths(opt.paths, {".avro"});
    if (!files.ok()) return fail(2, files.status().message());
    if (files->empty()) return fail(2, "no .avro files found");
    total = opt.count ? opt.count : files->size();
    source = std::make_unique<FilePackets>(std::move(files).value(), total, &decoder, !opt.no_key);
  }

  auto admin = stream::Admin::Create(url->bootstrap);
  if (!admin.ok()) return fail(2, admin.status().message());
  Status created = (*admin)->CreateTopic({url->topic, opt.partitions, opt.replication, {}},
                                         /*if_missing=*/true);
  if (!created.ok()) return fail(1, created.message());
  auto partitions = (*admin)->PartitionCount(url->topic);
  if (!partitions.ok()) return fail(1, partitions.status().message());
  if (*partitions != opt.partitions) {
    fmt::print(stderr, "lantern produce: topic {} exists with {} partitions (not {})\n",
               url->topic, *partitions, opt.partitions);
  }

  stream::ProducerOptions po;
  po.bootstrap = url->bootstrap;
  po.compression = opt.compression;
  po.linger_ms = opt.linger_ms;
  po.message_timeout_ms = 120000;
  auto producer = stream::Producer::Create(po);
  if (!producer.ok()) return fail(2, producer.status().message());

  // --rate is per partition, so the whole topic gets rate × partitions alerts/s.
  const double total_rate = opt.rate * *partitions;
  const auto start = Clock::now();
  auto last_progress = start;
  uint64_t sent = 0, bytes = 0, unkeyed = 0;
  int failed = 0;
  std::string value;
  std::optional<std::string> key;
  auto progress = [&](bool final) {
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    fmt::print(stderr, "\rproduce: {}/{} alerts, {:.1f} MB, {:.0f} alerts/s, {:.1f} MB/s{}", sent,
               total, bytes / 1e6, sent / std::max(s, 1e-9), bytes / 1e6 / std::max(s, 1e-9),
               final ? "\n" : "");
  };
  for (;;) {
    Result<bool> more = source->Next(&value, &key);
    if (!more.ok()) {
      fmt::print(stderr, "\nlantern produce: {}\n", more.status().message());
      ++failed;
      if (opt.simulate) break;  // the simulator cannot go on after an error
      continue;
    }
    if (!*more) break;
    if (total_rate > 0) std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(sent / total_rate)));
    Status st = (*producer)->Produce(url->topic, key.value_or(""), value);
    if (!st.ok()) return fail(1, st.message());
    ++sent;
    bytes += value.size();
    if (!key) ++unkeyed;
    if (Clock::now() - last_progress > std::chrono::milliseconds(500)) {
      last_progress = Clock::now();
      progress(false);
    }
  }
  Status flushed = (*producer)->Flush(120000);
  progress(true);
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  const stream::ProducerStats stats = (*producer)->stats();
  fmt::print("produced {} messages ({} without key), {} bytes in {:.2f} s ({:.0f} msg/s, "
             "{:.1f} MB/s) to {} ({} partitions); delivered {}, failed {}\n",
             sent, unkeyed, bytes, s, sent / std::max(s, 1e-9), bytes / 1e6 / std::max(s, 1e-9),
             url->topic, *partitions, stats.delivered, stats.failed);
  if (!flushed.ok()) return fail(1, flushed.message());
  return failed ? 1 : 0;
}

}  // namespace

void AddProduce(CLI::App& app) {
  auto opt = std::make_shared<ProduceOptions>();
  CLI::App* cmd = app.add_subcommand(
      "produce", "Replay alert files (or simulated alerts) into a Kafka topic");
  cmd->add_option("--to", opt->to, "kafka://HOST:PORT/TOPIC")->required();
  cmd->add_option("--partitions", opt->partitions, "Partitions of the topic if it is created")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--replication", opt->replication, "Replication factor if it is created")
      ->check(CLI::Range(1, 100));
  cmd->add_option("--rate", opt->rate, "Alerts/s per partition (0: as fast as possible)");
  cmd->add_option("--count", opt->count,
                  "Messages to send (files are cycled; default: every file once)");
  cmd->add_option("--simulate", opt->simulate, "Send N simulated alerts instead of files");
  cmd->add_option("--survey", opt->survey, "Simulated survey: ztf or lsst")
      ->check(CLI::IsMember({"ztf", "lsst"}));
  cmd->add_option("--seed", opt->seed, "Simulator seed");
  cmd->add_option("--compression", opt->compression, "none, lz4, zstd, snappy or gzip");
  cmd->add_option("--linger-ms", opt->linger_ms, "Producer batching delay");
  cmd->add_option("--schema-dir", opt->schema_dir,
                  "Schemas of Confluent-framed packets (folder or registry URL), for keys");
  cmd->add_flag("--no-key", opt->no_key, "Send without keys (skips decoding)");
  cmd->add_option("paths", opt->paths, "Alert files or directories (searched for *.avro)");
  cmd->callback([opt] { SetExitCode(RunProduce(*opt)); });
}

}  // namespace lantern::cli
