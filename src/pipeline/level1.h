// Level1: the work of one batch, run to completion by one worker — decode → cutouts →
// associate (objects, detections, forced photometry, non-detections, alerts) → features →
// crossmatch/context → watchlists → sinks — ending in one atomic store write that also marks
// the batch's source units done. Shared state (store, cutout store, annotators, sinks) is
// const or thread-safe; each worker owns a Level1::Worker with its decoder and row encoder.
// Alerts of one object are serialised across workers: a batch claims all its objects at once
// (waiting only while another batch holds one of the same objects) from reading them to writing
// them, so concurrent workers never lose an update. Batches claim in the order they were taken
// from the stream (their ticket, Level1::TakeTicket), so two batches of one object are
// processed in stream order whichever worker decodes first.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "alert/alert.h"
#include "codec/schema_source.h"
#include "pipeline/metrics.h"
#include "pipeline/source.h"
#include "sky/zones.h"
#include "store/cutouts.h"
#include "store/object_record.h"
#include "store/rows.h"
#include "store/store.h"
#include "survey/alert_decoder.h"

namespace lantern::pipeline {

enum class HistoryStrategy {
  kBlindUpsert,  // write every row the packet carries; the store overwrites identical rows
  kSelectNew,    // look the row keys up first, write only the rows not stored yet
};
Result<HistoryStrategy> ParseHistoryStrategy(std::string_view name);  // "upsert" | "select"

// Crossmatch against catalogues: one context per position, as a JSON object (empty string when
// nothing is associated). Implementations are immutable and thread-safe.
class ContextAnnotator {
 public:
  virtual ~ContextAnnotator() = default;
  virtual void Annotate(std::span<const sky::SkyPoint> positions,
                        std::vector<std::string>* context_json) const = 0;
};

struct WatchlistHit {
  uint32_t alert = 0;  // index in the batch's alerts
  uint32_t watchlist_id = 0;
  std::string target;  // the target's name
  double sep_arcsec = 0;
};
class WatchlistMatcher {
 public:
  virtual ~WatchlistMatcher() = default;
  virtual void Match(std::span<const sky::SkyPoint> positions,
                     std::vector<WatchlistHit>* hits) const = 0;
};

// What a batch produced, for sinks after the store (Kafka in, filters): valid during Write.
struct ProcessedAlert {
  const alert::Alert* alert = nullptr;
  const store::ObjectRecord* object = nullptr;  // the object after this alert
  features::Features features;                  // computed for this alert
  bool new_object = false;
};
// A row the batch wrote to detections, forced or nondetections (what insert streams carry).
struct StoredRow {
  store::Table table;
  const alert::Alert* alert = nullptr;  // the packet that carried it
  const alert::FieldRecord* raw = nullptr;
  double mjd = 0;
  const std::string* band = nullptr;
};
struct DeadLetterOut {
  const Message* message = nullptr;
  std::string reason;
};
struct ProcessedBatch {
  std::span<const Message> messages;
  std::vector<ProcessedAlert> alerts;
  std::vector<WatchlistHit> watchlist_hits;
  std::vector<StoredRow> rows;  // the rows written (+ a redo message's rows the store had)
  std::vector<const store::ObjectRecord*> objects;      // each object the batch updated, once
  std::vector<DeadLetterOut> dead_letters;              // units (or their tails) not decoded
};
class Sink {
 public:
  virtual ~Sink() = default;
  virtual Status Write(const ProcessedBatch& batch) = 0;
  virtual Status Flush() = 0;
};

struct Level1Options {
  HistoryStrategy history = HistoryStrategy::kSelectNew;
  bool store_alerts = true;  // the alerts (event) table
  // false: every batch's write set is built and then dropped, never applied (benchmarks: the
  // store's own share of the cost — memtable inserts, flushes, compactions — is the difference).
  bool apply_writes = true;
};

class Level1 {
 public:
  Level1(store::Store* store, store::CutoutStore* cutouts, codec::SchemaCache* schemas,
         codec::SchemaResolver* resolver, Metrics* metrics, Level1Options options);

  void set_context(const ContextAnnotator* context) { context_ = context; }
  void add_watchlists(const WatchlistMatcher* watchlists) { watchlists_.push_back(watchlists); }
  void add_sink(Sink* sink) { sinks_.push_back(sink); }

  class Worker {
   public:
    explicit Worker(Level1* level1);
    ~Worker();
    // Processes one batch, holding `ticket` (TakeTicket, taken in stream order). An error here
    // is a store or sink failure (the batch is not marked done); bad packets are dead letters,
    // not errors.
    Status Process(std::span<const Message> batch, uint64_t ticket);

   private:
    Level1* l1_;
    survey::AlertDecoder decoder_;
    store::RowEncoder rows_;
    // Reused from batch to batch: a batch's writes run to megabytes, and a fresh buffer would
    // grow (copy) and fault in its pages every time.
    store::WriteSet writes_;
    struct Scratch;  // level1.cc
    std::unique_ptr<Scratch> scratch_;
  };

  // The next claim ticket. Take tickets in stream order (as batches leave the queue), and give
  // every ticket to Process: claims wait for all earlier tickets.
  uint64_t TakeTicket();

  // Whether a source unit was stored by an earlier run.
  bool IsDone(const std::string& origin, uint64_t position) const;
  // Highest stored position + 1 for an origin whose units are numbered 0, 1, 2 … (simulator).
  uint64_t DoneCount(const std::string& origin) const;
  // Stores a unit that could not be read (unreadable file) as a dead letter, marked done.
  Status DeadLetter(const Message& message, const std::string& reason);

  Metrics* metrics() const { return metrics_; }
  store::Store* store() const { return store_; }

 private:
  friend class Worker;
  // Claims the objects for the batch holding `ticket`, after every earlier ticket has claimed
  // (or been skipped) and while no other batch holds any of them; Release gives them back after
  // the batch's store write. Skip passes a ticket whose batch ended before claiming.
  void Claim(uint64_t ticket, const std::vector<std::string>& object_keys);
  void Skip(uint64_t ticket);
  void Release(const std::vector<std::string>& object_keys);

  store::Store* store_;
  store::CutoutStore* cutouts_;
  codec::SchemaCache* schemas_;
  codec::SchemaResolver* resolver_;
  Metrics* metrics_;
  Level1Options options_;
  const ContextAnnotator* context_ = nullptr;
  std::vector<const WatchlistMatcher*> watchlists_;
  std::vector<Sink*> sinks_;
  std::mutex claims_mu_;
  std::condition_variable claims_cv_;
  std::unordered_set<std::string> claimed_;
  uint64_t next_claim_ = 0;               // the ticket whose turn it is to claim
  std::atomic<uint64_t> next_ticket_{0};  // the next ticket TakeTicket hands out
};

// Meta key marking a source unit done.
std::string DoneKey(const std::string& origin, uint64_t position);

}  // namespace lantern::pipeline
