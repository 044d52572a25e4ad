// Store: the embedded key-value store behind every table of DESIGN.md "Stores" — RocksDB, one
// column family per table, keys from keys.h. Writes go through a WriteSet, applied atomically
// (all of a batch or nothing, also across a crash); the pipeline puts a source's progress mark
// into the same WriteSet as the rows it covers, which is what makes restarts exact. Rows are
// opaque bytes here; object_record.h and rows.h give them meaning. RocksDB types stay inside
// store.cc. A Store is safe to use from many threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace lantern::store {

enum class Table : uint8_t {
  kObjects, kDetections, kForced, kNonDetections, kCutouts, kPositions, kAlerts,
  kDeadLetters, kWatchlistHits, kFilterResults, kMeta,
};
inline constexpr int kNumTables = 11;
// "objects", "detections", "forced", "nondetections", "cutouts", "positions", "alerts",
// "deadletters", "watchlist_hits", "filter_results", "meta": column family names and
// `lantern stats` keys.
std::string_view TableName(Table table);

struct StoreOptions {
  bool read_only = false;       // open for reading while another process may write
  bool sync = false;            // fsync the write-ahead log on every WriteSet
  // Without the write-ahead log a crash loses the writes since the last flush — all tables
  // together (atomic flush), so what survives is a consistent prefix of WriteSets. Only for
  // sources that can replay what was lost (files, Kafka with offsets kept in the store).
  bool wal = true;
  size_t block_cache_mb = 256;
  bool blob_cutouts = true;     // cutouts in RocksDB blob files (large values out of the LSM)
  // Flushes and compactions write their files with O_DIRECT, past the page cache: no copy of
  // every byte into it, no kernel writeback of it later. Used only where the directory's file
  // system takes O_DIRECT writes (a probe at open); otherwise the files are written as usual.
  bool direct_io = true;
};

// One atomic group of writes.
class Store;

class WriteSet {
 public:
  explicit WriteSet(const Store& store);
  ~WriteSet();
  WriteSet(WriteSet&&) noexcept;
  WriteSet& operator=(WriteSet&&) noexcept;

  void Put(Table table, std::string_view key, std::string_view value);
  void Delete(Table table, std::string_view key);
  size_t count() const { return count_; }
  size_t bytes() const { return bytes_; }  // keys + values
  void Clear();

 private:
  friend class Store;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  size_t count_ = 0;
  size_t bytes_ = 0;
};

class Store {
 public:
  // Opens (creating if needed, unless read-only) the store in directory `dir`.
  static Result<std::unique_ptr<Store>> Open(const std::string& dir,
                                             const StoreOptions& options = {});
  ~Store();

  Status Write(WriteSet* writes);
  // The value at `key`, or nullopt.
  Result<std::optional<std::string>> Get(Table table, std::string_view key) const;
  // values[i] = the value at keys[i] or nullopt (one batched lookup).
  Status MultiGet(Table table, std::span<const std::string> keys,
                  std::vector<std::optional<std::string>>* values) const;
  // found[i] = whether keys[i] exists (one batched lookup).
  Status Exists(Table table, std::span<const std::string> keys, std::vector<bool>* found) const;
  // Calls fn(key, value) for every key in [from, to) (to empty: to the end) in key order
  // until fn returns false.
  Status Scan(Table table, std::string_view from, std::string_view to,
              const std::function<bool(std::string_view, std::string_view)>& fn) const;
  // Every key starting with `prefix`.
  Status ScanPrefix(Table table, std::string_view prefix,
                    const std::function<bool(std::string_view, std::string_view)>& fn) const;
  // Exact row count (a key scan).
  Result<uint64_t> Count(Table table) const;
  // Bytes the table holds: its files on disk plus what is still in memory tables (after a
  // read-only open that replayed the log).
  uint64_t DiskBytes(Table table) const;
  // Writes every table's memtable to disk (all together); `wait` = false only schedules it.
  Status Flush(bool wait = true);
  // Waits for the running flushes and compactions to finish and starts no more until
  // ResumeBackgroundWork. Benchmarks pause between their timed parts, so that no background
  // work runs (unmeasured) while they prepare the next input.
  Status PauseBackgroundWork();
  Status ResumeBackgroundWork();
  const std::string& dir() const { return dir_; }
  // Whether flushes and compactions write past the page cache (StoreOptions::direct_io).
  bool direct_io() const;

 private:
  struct Impl;
  friend class WriteSet;
  explicit Store(std::string dir);
  std::string dir_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lantern::store
