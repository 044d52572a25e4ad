#include "pipeline/source.h"

#include <deque>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "core/file.h"

namespace lantern::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

class FileSource final : public Source {
 public:
  FileSource(FileSourceOptions options, codec::SchemaCache* cache)
      : options_(std::move(options)), cache_(cache) {}

  Status Init() {
    ASSIGN_OR_RETURN(files_, ExpandPaths(options_.paths, {".avro"}));
    seen_.insert(files_.begin(), files_.end());
    return Status::Ok();
  }

  Result<bool> Next(size_t max, Clock::time_point deadline, std::vector<Message>* out) override {
    while (out->size() < max) {
      if (!pending_.empty()) {
        out->push_back(std::move(pending_.front()));
        pending_.pop_front();
        continue;
      }
      if (next_file_ < files_.size()) {
        ReadFile(files_[next_file_++]);
        continue;
      }
      if (!options_.follow) return !pending_.empty() || !out->empty();
      if (!out->empty() || Clock::now() >= deadline) return true;
      // --follow: look for new files once a second.
      std::this_thread::sleep_until(std::min(deadline, Clock::now() + std::chrono::seconds(1)));
      auto now = ExpandPaths(options_.paths, {".avro"});
      if (now.ok()) {
        for (const std::string& f : *now) {
          if (seen_.insert(f).second) files_.push_back(f);
        }
      }
    }
    return true;
  }

  std::string Describe() const override {
    return fmt::format("files {}/{}", next_file_, files_.size());
  }

  std::vector<std::pair<Message, std::string>> TakeFailures() override {
    return std::exchange(failures_, {});
  }

 private:
  bool Done(const std::string& origin, uint64_t position) const {
    return options_.is_done && options_.is_done(origin, position);
  }

  void Fail(Message m, std::string reason) { failures_.emplace_back(std::move(m), std::move(reason)); }

  void ReadFile(const std::string& path) {
    Message m;
    m.origin = "file:" + path;
    auto bytes = lantern::ReadFile(path);
    if (!bytes.ok()) {
      m.bytes = std::make_shared<const std::string>();
      Fail(std::move(m), bytes.status().message());
      return;
    }
    m.bytes = std::make_shared<const std::string>(std::move(bytes).value());
    if (!codec::LooksLikeContainer(*m.bytes)) {
      if (!Done(m.origin, 0)) pending_.push_back(std::move(m));
      return;
    }
    auto reader = codec::ContainerReader::Open(m.bytes);
    if (!reader.ok()) {
      Fail(std::move(m), reader.status().message());
      return;
    }
    auto schema = cache_->FromText(reader->header().schema_json);
    if (!schema.ok()) {
      Fail(std::move(m), "writer schema in the container header: " + schema.status().message());
      return;
    }
    uint64_t index = 0;
    for (;;) {
      Message b = m;
      b.kind = Message::Kind::kBlock;
      b.schema = *schema;
      const size_t at = reader->position();
      auto more = reader->Next(&b.block);
      if (!more.ok()) {
        // The rest of the file is unreadable: one dead letter with its bytes.
        b.kind = Message::Kind::kPacket;
        b.position = index;
        b.bytes = std::make_shared<const std::string>(m.bytes->substr(at));
        Fail(std::move(b), more.status().message());
        return;
      }
      if (!*more) return;
      b.position = index;
      b.count = static_cast<uint64_t>(b.block.count);
      index += b.count;
      if (b.count == 0 || Done(b.origin, b.position)) continue;
      pending_.push_back(std::move(b));
    }
  }

  FileSourceOptions options_;
  codec::SchemaCache* cache_;
  std::vector<std::string> files_;
  std::set<std::string> seen_;
  size_t next_file_ = 0;
  std::deque<Message> pending_;
  std::vector<std::pair<Message, std::string>> failures_;
};

class SimulatorSource final : public Source {
 public:
  explicit SimulatorSource(SimulatorSourceOptions options)
      : options_(options), sim_(options.simulator) {
    origin_ = fmt::format("sim:{}:{}", alert::SurveyName(options.simulator.survey),
                          options.simulator.seed);
  }

  Result<bool> Next(size_t max, Clock::time_point deadline, std::vector<Message>* out) override {
    // A restarted run regenerates (same seed, same stream) and drops what is stored.
    for (; produced_ < options_.skip; ++produced_) RETURN_IF_ERROR(sim_.NextDatum().status());
    if (!started_) {
      started_ = true;
      start_ = Clock::now();
    }
    while (out->size() < max) {
      if (options_.count && produced_ >= options_.count) return !out->empty();
      if (options_.rate > 0) {
        const auto due = start_ + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(
                                          static_cast<double>(produced_ - options_.skip) /
                                          options_.rate));
        if (due > Clock::now()) {
          if (!out->empty()) return true;
          if (due > deadline) {
            std::this_thread::sleep_until(deadline);
            return true;
          }
          std::this_thread::sleep_until(due);
        }
      }
      Message m;
      m.kind = Message::Kind::kBare;
      m.schema = sim_.schema();
      ASSIGN_OR_RETURN(std::string datum, sim_.NextDatum());
      m.bytes = std::make_shared<const std::string>(std::move(datum));
      m.origin = origin_;
      m.position = produced_++;
      out->push_back(std::move(m));
    }
    return true;
  }

  std::string Describe() const override { return fmt::format("simulated {}", produced_); }

 private:
  SimulatorSourceOptions options_;
  stream::Simulator sim_;
  std::string origin_;
  uint64_t produced_ = 0;
  bool started_ = false;
  Clock::time_point start_;  // the rate is kept from here (after skipping)
};

class MemorySource final : public Source {
 public:
  explicit MemorySource(std::vector<Message> messages) : messages_(std::move(messages)) {}
  Result<bool> Next(size_t max, Clock::time_point, std::vector<Message>* out) override {
    while (out->size() < max && next_ < messages_.size()) out->push_back(messages_[next_++]);
    return next_ < messages_.size() || !out->empty();
  }
  std::string Describe() const override {
    return fmt::format("memory {}/{}", next_, messages_.size());
  }

 private:
  std::vector<Message> messages_;
  size_t next_ = 0;
};

}  // namespace

Result<std::unique_ptr<Source>> MakeFileSource(FileSourceOptions options,
                                               codec::SchemaCache* cache) {
  auto source = std::make_unique<FileSource>(std::move(options), cache);
  RETURN_IF_ERROR(source->Init());
  return std::unique_ptr<Source>(std::move(source));
}

std::unique_ptr<Source> MakeSimulatorSource(SimulatorSourceOptions options) {
  return std::make_unique<SimulatorSource>(options);
}

std::unique_ptr<Source> MakeMemorySource(std::vector<Message> messages) {
  return std::make_unique<MemorySource>(std::move(messages));
}

}  // namespace lantern::pipeline
