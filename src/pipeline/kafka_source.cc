#include "pipeline/kafka_source.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <cstdio>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "stream/kafka.h"

namespace lantern::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

// --exit-when-idle waits at most this long for the rest of the group (below).
constexpr double kGroupIdleSeconds = 60;

std::string Origin(const std::string& topic, int32_t partition) {
  return fmt::format("kafka:{}/{}", topic, partition);
}

class KafkaSource final : public Source {
 public:
  KafkaSource(KafkaSourceOptions options, std::unique_ptr<stream::Consumer> consumer)
      : options_(std::move(options)), consumer_(std::move(consumer)),
        last_message_(Clock::now()) {
    consumer_->SetRebalanceHook(
        [this](stream::RebalanceEvent event, const std::vector<stream::TopicPartition>& parts) {
          OnRebalance(event, parts);
        });
  }

  // Leaves the group without a last commit: the runner made its final checkpoint, and what
  // `durable` refers to may be gone by now.
  ~KafkaSource() override {
    closing_ = true;
    consumer_->Close();
  }

  Result<bool> Next(size_t max, Clock::time_point deadline, std::vector<Message>* out) override {
    const auto wait =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    ASSIGN_OR_RETURN(std::vector<stream::KafkaMessage> polled,
                     consumer_->PollBatch(max, static_cast<int>(std::max<int64_t>(wait, 0))));
    RETURN_IF_ERROR(fatal_);  // set by the rebalance hook inside PollBatch
    if (polled.empty()) return options_.exit_when_idle_seconds <= 0 || !IdleLongEnough();
    last_message_ = Clock::now();
    waiting_reported_ = false;
    // One pending entry per partition of this batch, in the order batches are handed out.
    std::map<std::string, Pending> entries;
    for (stream::KafkaMessage& km : polled) {
      const std::string origin = Origin(km.topic, km.partition);
      auto [it, inserted] = entries.try_emplace(origin);
      Pending& p = it->second;
      if (inserted) {
        p.first = km.offset;
        p.partition = {km.topic, km.partition};
      }
      p.next = km.offset + 1;
      // With transactions a done mark may belong to a batch whose output was aborted: redo it
      // (the store takes the same rows again unchanged, and the sinks get them again).
      const bool done = options_.is_done &&
                        options_.is_done(origin, static_cast<uint64_t>(km.offset));
      if (done && !transactional()) {
        ++skipped_;
        continue;
      }
      Message m;
      m.redo = done;
      m.kind = Message::Kind::kPacket;
      m.bytes = std::move(km.value);
      m.origin = origin;
      m.position = static_cast<uint64_t>(km.offset);
      out->push_back(std::move(m));
      p.messages = true;
    }
    std::lock_guard lock(mu_);
    for (auto& [origin, p] : entries) {
      p.done = !p.messages;  // everything in it was stored before
      pending_[origin].push_back(p);
    }
    PopDoneLocked();
    return true;
  }

  void Completed(std::span<const Message> batch) override {
    std::map<std::string, int64_t> firsts;
    for (const Message& m : batch) {
      auto [it, inserted] = firsts.try_emplace(m.origin, static_cast<int64_t>(m.position));
      if (!inserted) it->second = std::min<int64_t>(it->second, m.position);
    }
    std::lock_guard lock(mu_);
    for (const auto& [origin, first] : firsts) {
      auto it = pending_.find(origin);
      if (it == pending_.end()) continue;  // the partition was lost meanwhile
      for (Pending& p : it->second) {
        if (first >= p.first && first < p.next) p.done = true;
      }
    }
    PopDoneLocked();
    cv_.notify_all();
  }

  // A failed checkpoint (broker away) changes nothing that is committed: it is retried at the
  // next one; the final one keeps trying for a while. A failed transactional one has aborted
  // the outputs of batches already marked completed: only a restart redoes them, so it ends
  // the run (librdkafka has retried within the sink's timeout already).
  Status Checkpoint(bool final) override {
    if (transactional()) {
      Status st = TryCheckpoint();
      if (!st.ok()) ++failed_checkpoints_;
      return st;
    }
    const auto give_up = Clock::now() + std::chrono::seconds(final ? 120 : 0);
    for (;;) {
      Status st = TryCheckpoint();
      if (st.ok()) return st;
      ++failed_checkpoints_;
      std::fprintf(stderr, "lantern run: kafka checkpoint failed%s: %s\n",
                   final ? "" : " (retried at the next)", st.ToString().c_str());
      if (Clock::now() >= give_up) return final ? st : Status::Ok();
      std::this_thread::sleep_for(std::chrono::seconds(2));
    }
  }

  Status TryCheckpoint() {
    // Transactions: no batch may be between its first output and Completed while the
    // transaction commits, or its output would be committed without its offset.
    std::unique_lock<std::shared_mutex> gate;
    if (transactional()) gate = std::unique_lock(*options_.batch_gate);
    std::vector<stream::PartitionOffset> offsets;
    {
      std::lock_guard lock(mu_);
      for (auto& [origin, c] : committable_) {
        if (c.offset > c.committed) {
          offsets.push_back({c.partition.topic, c.partition.partition, c.offset});
        }
      }
      if (transactional()) RETURN_IF_ERROR(CheckNothingCompletedPastCommittableLocked());
    }
    if (offsets.empty()) return Status::Ok();
    if (options_.durable) RETURN_IF_ERROR(options_.durable());
    if (transactional()) {
      RETURN_IF_ERROR(options_.commit_transaction(offsets, *consumer_));
    } else {
      RETURN_IF_ERROR(consumer_->Commit(offsets));
    }
    std::lock_guard lock(mu_);
    for (const stream::PartitionOffset& o : offsets) {
      Committable& c = committable_[Origin(o.topic, o.partition)];
      c.committed = std::max(c.committed, o.offset);
    }
    return Status::Ok();
  }

  std::string Describe() const override {
    const stream::ConsumerStats s = consumer_->stats();
    return fmt::format("kafka {} partitions {} skipped {} errors {} failed checkpoints {}",
                       options_.topic, consumer_->Assignment().size(), skipped_, s.errors,
                       failed_checkpoints_);
  }

 private:
  struct Pending {
    stream::TopicPartition partition;
    int64_t first = 0;
    int64_t next = 0;
    bool messages = false;
    bool done = false;
  };
  struct Committable {
    stream::TopicPartition partition;
    int64_t offset = -1;     // next offset to read: everything before is done
    int64_t committed = -1;  // what the group has
  };

  bool transactional() const { return static_cast<bool>(options_.commit_transaction); }

  // --exit-when-idle: no message for that long, and nothing of the topic left for the group.
  // Our partitions being drained is not enough: a member that died still holds its partitions
  // until its session expires (10 s) and the group rebalances, and the members that are left
  // must be there to take them. The group's progress is asked for at most once a second; after
  // kGroupIdleSeconds without a message the worker goes whatever the group's state (a topic
  // written by transactions ends in a marker that no commit passes, for one).
  bool IdleLongEnough() {
    const double idle = std::chrono::duration<double>(Clock::now() - last_message_).count();
    if (idle < options_.exit_when_idle_seconds) return false;
    if (idle >= std::max(options_.exit_when_idle_seconds, kGroupIdleSeconds)) return true;
    if (Clock::now() < next_group_check_) return false;
    next_group_check_ = Clock::now() + std::chrono::seconds(1);
    Result<std::vector<stream::PartitionProgress>> progress =
        consumer_->GroupProgress(options_.topic, 5000);
    if (!progress.ok()) return false;  // broker away: keep waiting, up to the limit
    std::vector<std::string> left;
    {
      std::lock_guard lock(mu_);
      for (const stream::PartitionProgress& p : *progress) {
        const int64_t from = std::max(p.committed, p.low);
        if (from >= p.end) continue;
        // Ours, drained and not committed yet: the final checkpoint commits it.
        const std::string origin = Origin(options_.topic, p.partition);
        auto c = committable_.find(origin);
        auto q = pending_.find(origin);
        if (c != committable_.end() && c->second.offset >= p.end &&
            (q == pending_.end() || q->second.empty())) {
          continue;
        }
        left.push_back(fmt::format("{} ({} messages)", p.partition, p.end - from));
      }
    }
    if (left.empty()) return true;
    if (!waiting_reported_) {
      waiting_reported_ = true;
      std::fprintf(stderr,
                   "lantern run: idle, but the group has not consumed partitions %s of %s yet "
                   "(a member that died holds its partitions until its session expires); "
                   "waiting up to %.0f s\n",
                   fmt::format("{}", fmt::join(left, ", ")).c_str(), options_.topic.c_str(),
                   std::max(options_.exit_when_idle_seconds, kGroupIdleSeconds));
    }
    return false;
  }

  // The transaction holds the output of every completed batch; committing it with offsets that
  // stop short of one (a batch completed behind one still in flight, which the gate and the
  // hand-out order rule out unless a worker failed) would make the next owner produce it
  // again.
  Status CheckNothingCompletedPastCommittableLocked() const {
    for (const auto& [origin, queue] : pending_) {
      for (const Pending& p : queue) {
        if (p.done) {
          return Internal(fmt::format(
              "kafka transaction not committed: {} offsets {}..{} completed behind a batch "
              "still in flight (a worker failed?)",
              origin, p.first, p.next - 1));
        }
      }
    }
    return Status::Ok();
  }

  // Moves each partition's leading completed batches into what may be committed.
  void PopDoneLocked() {
    for (auto& [origin, queue] : pending_) {
      while (!queue.empty() && queue.front().done) {
        Committable& c = committable_[origin];
        c.partition = queue.front().partition;
        c.offset = std::max(c.offset, queue.front().next);
        queue.pop_front();
      }
    }
  }

  // Runs on the reader thread, inside PollBatch.
  void OnRebalance(stream::RebalanceEvent event,
                   const std::vector<stream::TopicPartition>& partitions) {
    if (event == stream::RebalanceEvent::kAssigned) {
      last_message_ = Clock::now();  // new partitions: the idle time starts again
      return;
    }
    std::vector<std::string> origins;
    for (const stream::TopicPartition& tp : partitions) {
      origins.push_back(Origin(tp.topic, tp.partition));
    }
    if (event == stream::RebalanceEvent::kLost && transactional() && fatal_.ok()) {
      // The open transaction holds their output, and their offsets can no longer go with it.
      fatal_ = IoError(fmt::format(
          "kafka: the group took {} partitions away without a revoke (session timeout?); the "
          "open transaction is aborted, restart to redo it from the committed offsets",
          partitions.size()));
    }
    if (event == stream::RebalanceEvent::kRevoked && !closing_) {
      // Finish what is in flight for these partitions, then commit it while they are ours.
      // (Bounded: if the workers stopped on an error, give the partitions up uncommitted.)
      bool drained;
      {
        std::unique_lock lock(mu_);
        drained = cv_.wait_for(lock, std::chrono::seconds(120), [&] {
          for (const std::string& o : origins) {
            auto it = pending_.find(o);
            if (it != pending_.end() && !it->second.empty()) return false;
          }
          return true;
        });
      }
      // If it fails, the next owner redoes the batches — and with transactions so must we.
      Status st = drained ? Checkpoint(/*final=*/false)
                          : IoError("kafka: partitions revoked while their batches were still "
                                    "in flight after 120 s");
      if (transactional() && !st.ok() && fatal_.ok()) fatal_ = st;
    }
    std::lock_guard lock(mu_);
    for (const std::string& o : origins) {
      pending_.erase(o);
      committable_.erase(o);
    }
  }

  KafkaSourceOptions options_;
  std::unique_ptr<stream::Consumer> consumer_;
  Clock::time_point last_message_;
  Clock::time_point next_group_check_;
  bool waiting_reported_ = false;
  uint64_t skipped_ = 0;
  bool closing_ = false;
  uint64_t failed_checkpoints_ = 0;
  Status fatal_;  // transactions: why the run cannot go on (reader thread only)
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::deque<Pending>> pending_;  // by origin, in hand-out order
  std::map<std::string, Committable> committable_;
};

}  // namespace

Result<std::unique_ptr<Source>> MakeKafkaSource(KafkaSourceOptions options) {
  if (options.topic.empty()) return InvalidArgument("kafka source: no topic given");
  if (options.commit_transaction && options.batch_gate == nullptr) {
    return InvalidArgument("kafka source: transactions need the runner's batch gate");
  }
  stream::ConsumerOptions co;
  co.bootstrap = options.bootstrap;
  co.group_id = options.group;
  // A member that died is noticed after 10 s (librdkafka's default is 45 s), so its partitions
  // move to the others sooner.
  co.extra = {{"session.timeout.ms", "10000"}, {"heartbeat.interval.ms", "2000"}};
  co.extra.insert(co.extra.end(), options.config.begin(), options.config.end());
  ASSIGN_OR_RETURN(std::unique_ptr<stream::Consumer> consumer, stream::Consumer::Create(co));
  RETURN_IF_ERROR(consumer->Subscribe({options.topic}));
  return std::unique_ptr<Source>(new KafkaSource(std::move(options), std::move(consumer)));
}

}  // namespace lantern::pipeline
