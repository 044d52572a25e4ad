// `lantern produce --to kafka://HOST:PORT/TOPIC [--partitions P] [--rate R] [--count N]
// [--multiply N [--offset-arcsec S]] FILES|DIRS|--simulate N`: replays alert packets into a
// Kafka topic, one packet per message as the surveys publish them (a ZTF container file per
// alert; Rubin Confluent messages with their 5-byte framing kept), or simulated alerts, each as
// a one-record Avro container in Lantern's schema. --multiply sends N = k² new alerts per packet
// (stream::Multiplier: a k × k grid S arcsec apart, new ids). Creates the topic when missing.
// Key = the message's object id when it decodes (one object per packet), else no key.
// Threads: one makes the messages (reads, multiplies, decodes keys), the calling thread
// produces them; a bounded queue lies between. Progress on stderr, summary on stdout.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <fmt/format.h>
#include <mutex>
#include <optional>
#include <thread>

#include "cli/commands.h"
#include "cli/kafka_options.h"
#include "codec/container.h"
#include "codec/schema_source.h"
#include "core/file.h"
#include "stream/kafka.h"
#include "stream/multiply.h"
#include "stream/simulator.h"
#include "survey/alert_decoder.h"
#include "survey/lantern_schema.h"

namespace lantern::cli {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kMaxCopies = 1000 * 1000;  // --multiply

// CPU time the calling thread has used.
double ThreadCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + t.tv_nsec * 1e-9;
}

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
  std::vector<std::string> kafka_config;  // -X NAME=VALUE
  int linger_ms = 5;
  std::string schema_dir;
  bool no_key = false;
  int multiply = 1;           // copies per packet, k²
  double offset_arcsec = 2;   // grid spacing of the copies
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
  // Where the last packet came from, for messages.
  virtual std::string origin() const = 0;
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
    last_ = i;
    ASSIGN_OR_RETURN(*value, ReadFile(files_[i]));
    if (want_keys_ && !keys_[i]) {
      auto shared = std::make_shared<const std::string>(*value);
      keys_[i] = ObjectKey(decoder_, shared, nullptr).value_or("");
    }
    *key = keys_[i] && !keys_[i]->empty() ? keys_[i] : std::nullopt;
    return true;
  }
  std::string origin() const override { return files_[last_]; }

 private:
  std::vector<std::string> files_;
  std::vector<std::optional<std::string>> keys_;  // "" = the packet gives no key
  uint64_t total_;
  uint64_t next_ = 0;
  size_t last_ = 0;
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
  std::string origin() const override { return fmt::format("simulated alert {}", next_); }

 private:
  stream::Simulator sim_;
  uint64_t total_;
  uint64_t next_ = 0;
  survey::AlertDecoder* decoder_;
  bool want_keys_;
};

// N = k² copies of each packet of `inner` (stream::Multiplier on the grid of GridOffsets); copy
// i of every packet is copy number i, so the copies of one object's packets share the copy's
// new object id. Keys come from decoding each copy.
class MultipliedPackets : public PacketSource {
 public:
  MultipliedPackets(std::unique_ptr<PacketSource> inner, std::vector<stream::SkyOffset> offsets,
                    codec::SchemaResolver* resolver, survey::AlertDecoder* decoder, bool keys)
      : inner_(std::move(inner)), offsets_(std::move(offsets)), multiplier_(resolver),
        decoder_(decoder), want_keys_(keys) {}
  Result<bool> Next(std::string* value, std::optional<std::string>* key) override {
    if (source_ == nullptr || next_copy_ == offsets_.size()) {
      std::string packet;
      std::optional<std::string> unused;
      ASSIGN_OR_RETURN(const bool more, inner_->Next(&packet, &unused));
      if (!more) return false;
      source_.reset();  // a packet that does not parse is skipped whole
      auto parsed = multiplier_.Parse(packet);
      if (!parsed.ok()) return parsed.status().WithContext(inner_->origin());
      source_ = *std::move(parsed);
      next_copy_ = 0;
    }
    const size_t copy = next_copy_++;
    auto made = multiplier_.Copy(*source_, copy, offsets_[copy]);
    if (!made.ok()) {
      return made.status().WithContext(fmt::format("{}: copy {}", inner_->origin(), copy));
    }
    *value = *std::move(made);
    *key = want_keys_
               ? ObjectKey(decoder_, std::make_shared<const std::string>(*value), nullptr)
               : std::nullopt;
    return true;
  }
  std::string origin() const override { return inner_->origin(); }

 private:
  std::unique_ptr<PacketSource> inner_;
  std::vector<stream::SkyOffset> offsets_;
  stream::Multiplier multiplier_;
  survey::AlertDecoder* decoder_;
  bool want_keys_;
  std::shared_ptr<const stream::Multiplier::Source> source_;
  size_t next_copy_ = 0;
};

// One message on its way from the maker thread to the producer, or the error that replaced it.
struct Outgoing {
  Status error;
  std::string value;
  std::optional<std::string> key;
};

// Bounded FIFO between the maker thread and the producing thread: Push blocks while the queue
// holds max_items messages or max_bytes bytes (one message always fits an empty queue).
class OutgoingQueue {
 public:
  OutgoingQueue(size_t max_items, size_t max_bytes)
      : max_items_(max_items), max_bytes_(max_bytes) {}
  // False when the consumer has cancelled: the maker stops.
  bool Push(Outgoing m) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] {
      return cancelled_ || items_.empty() ||
             (items_.size() < max_items_ && bytes_ + m.value.size() <= max_bytes_);
    });
    if (cancelled_) return false;
    bytes_ += m.value.size();
    items_.push_back(std::move(m));
    not_empty_.notify_one();
    return true;
  }
  // False once the maker has finished and everything was taken.
  bool Pop(Outgoing* m) {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return finished_ || !items_.empty(); });
    if (items_.empty()) return false;
    *m = std::move(items_.front());
    items_.pop_front();
    bytes_ -= m->value.size();
    not_full_.notify_one();
    return true;
  }
  void Finish() {
    std::lock_guard lock(mu_);
    finished_ = true;
    not_empty_.notify_all();
  }
  void Cancel() {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    not_full_.notify_all();
  }

 private:
  const size_t max_items_, max_bytes_;
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Outgoing> items_;
  size_t bytes_ = 0;
  bool finished_ = false, cancelled_ = false;
};

int RunProduce(const ProduceOptions& opt) {
  auto fail = [](int code, const std::string& msg) {
    fmt::print(stderr, "lantern produce: {}\n", msg);
    return code;
  };
  auto url = stream::ParseKafkaUrl(opt.to);
  if (!url.ok()) return fail(2, url.status().message());
  if (url->topic.empty()) return fail(2, fmt::format("--to {} names no topic", opt.to));
  auto kafka_config = stream::ParseKafkaConfig(opt.kafka_config);
  if (!kafka_config.ok()) return fail(2, kafka_config.status().message());
  if (opt.paths.empty() == (opt.simulate == 0)) {
    return fail(2, "give alert FILES/DIRS or --simulate N (one of the two)");
  }
  if (opt.rate < 0) return fail(2, "--rate must be >= 0");
  // Copy numbers stay well inside the Multiplier's id layout (ZTF-like names: < 2^23).
  if (opt.multiply > kMaxCopies) {
    return fail(2, fmt::format("--multiply {} is more than {} copies", opt.multiply, kMaxCopies));
  }
  auto offsets = stream::GridOffsets(opt.multiply, opt.offset_arcsec);
  if (!offsets.ok()) {
    return fail(2, fmt::format("--multiply {} --offset-arcsec {}: {}", opt.multiply,
                               opt.offset_arcsec, offsets.status().message()));
  }

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
    source = std::make_unique<SimulatedPackets>(sim, total, &decoder,
                                                !opt.no_key && opt.multiply == 1);
  } else {
    auto files = ExpandPaths(opt.paths, {".avro"});
    if (!files.ok()) return fail(2, files.status().message());
    if (files->empty()) return fail(2, "no .avro files found");
    total = opt.count ? opt.count : files->size();
    source = std::make_unique<FilePackets>(std::move(files).value(), total, &decoder,
                                           !opt.no_key && opt.multiply == 1);
  }
  const uint64_t packets = total;
  if (opt.multiply > 1) {
    total *= static_cast<uint64_t>(opt.multiply);
    source = std::make_unique<MultipliedPackets>(std::move(source), std::move(offsets).value(),
                                                 resolver.get(), &decoder, !opt.no_key);
  }

  auto admin = stream::Admin::Create(url->bootstrap, *kafka_config);
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
  po.extra = *kafka_config;
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
  auto progress = [&](bool final) {
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    fmt::print(stderr, "\rproduce: {}/{} alerts, {:.1f} MB, {:.0f} alerts/s, {:.1f} MB/s{}", sent,
               total, bytes / 1e6, sent / std::max(s, 1e-9), bytes / 1e6 / std::max(s, 1e-9),
               final ? "\n" : "");
  };
  // The maker thread: reading, multiplying and key decoding, CPU-heavy, overlap producing.
  OutgoingQueue queue(256, 64 << 20);
  double maker_cpu_s = 0;  // written by the maker, read after join
  std::thread maker([&] {
    for (;;) {
      Outgoing m;
      Result<bool> more = source->Next(&m.value, &m.key);
      if (more.ok() && !*more) break;
      if (!more.ok()) m.error = more.status();
      if (!queue.Push(std::move(m))) break;
      if (!more.ok() && opt.simulate) break;  // the simulator cannot go on after an error
    }
    maker_cpu_s = ThreadCpuSeconds();  // not wall time: the maker also waits for a full queue
    queue.Finish();
  });
  struct Joiner {  // every return below stops the maker first
    OutgoingQueue* queue;
    std::thread* thread;
    ~Joiner() {
      queue->Cancel();
      if (thread->joinable()) thread->join();
    }
  } joiner{&queue, &maker};
  Outgoing m;
  while (queue.Pop(&m)) {
    if (!m.error.ok()) {
      fmt::print(stderr, "\nlantern produce: {}\n", m.error.message());
      ++failed;
      continue;
    }
    const std::string& value = m.value;
    const std::optional<std::string>& key = m.key;
    if (total_rate > 0) {
      std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(
                                                std::chrono::duration<double>(sent / total_rate)));
    }
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
  maker.join();  // Pop returned false: the maker has finished
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  const stream::ProducerStats stats = (*producer)->stats();
  fmt::print("produced {} messages ({} without key), {} bytes in {:.2f} s ({:.0f} msg/s, "
             "{:.1f} MB/s) to {} ({} partitions); delivered {}, failed {}\n",
             sent, unkeyed, bytes, s, sent / std::max(s, 1e-9), bytes / 1e6 / std::max(s, 1e-9),
             url->topic, *partitions, stats.delivered, stats.failed);
  if (stats.delivered_without_offset > 0) {
    fmt::print("  {} of them acknowledged without an offset (the broker took a retried request "
               "for a duplicate)\n",
               stats.delivered_without_offset);
  }
  if (opt.multiply > 1) {
    fmt::print("multiplied {} packets x {} ({} arcsec apart): {} copies made with {:.2f} s of "
               "CPU on the maker thread ({:.0f} copies per CPU second)\n",
               packets, opt.multiply, opt.offset_arcsec, sent, maker_cpu_s,
               sent / std::max(maker_cpu_s, 1e-9));
  }
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
  AddKafkaConfigOption(cmd, &opt->kafka_config);
  cmd->add_option("--linger-ms", opt->linger_ms, "Producer batching delay");
  cmd->add_option("--schema-dir", opt->schema_dir,
                  "Schemas of Confluent-framed packets (folder or registry URL), for keys "
                  "and --multiply");
  cmd->add_flag("--no-key", opt->no_key, "Send without keys (skips decoding)");
  cmd->add_option("--multiply", opt->multiply,
                  "Send N = k*k new alerts per packet on a k x k sky grid, with new ids "
                  "(Rubin Confluent packets need --schema-dir)");
  cmd->add_option("--offset-arcsec", opt->offset_arcsec,
                  "Spacing of the --multiply grid in arcsec (default 2)");
  cmd->add_option("paths", opt->paths, "Alert files or directories (searched for *.avro)");
  cmd->callback([opt] { SetExitCode(RunProduce(*opt)); });
}

}  // namespace lantern::cli
