// CutoutStore: where the cutout stage puts the stamps it takes out of each packet. The stored
// and forwarded alert keeps only a reference. Modes:
//   rocksdb  — the cutouts table (RocksDB blob files), key survey|alert id|kind;
//   files    — a content-addressed tree <dir>/<2 hex>/<sha256>.<ext>, the table keeps the hash;
//   count    — a sink that only counts bytes (as when the cutout store is another node);
//   none     — cutouts dropped.
// Safe from many threads (files are written to a temporary name, then renamed).
#pragma once

#include <atomic>
#include <optional>
#include <string>

#include "alert/alert.h"
#include "core/status.h"
#include "store/store.h"

namespace lantern::store {

enum class CutoutMode { kRocksDb, kFiles, kCount, kNone };
Result<CutoutMode> ParseCutoutMode(std::string_view name);
std::string_view CutoutModeName(CutoutMode mode);

class CutoutStore {
 public:
  // `tree_dir` is used by kFiles only.
  CutoutStore(Store* store, CutoutMode mode, std::string tree_dir);

  // Stores one cutout and returns the reference the alert keeps.
  Result<std::string> Put(alert::Survey survey, int64_t alert_id, const alert::Cutout& cutout,
                          WriteSet* writes);
  // The stored bytes of one cutout, or nullopt when there is none (or the mode keeps none).
  Result<std::optional<std::string>> Get(alert::Survey survey, int64_t alert_id,
                                         alert::CutoutKind kind) const;

  CutoutMode mode() const { return mode_; }
  uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  Store* store_;
  CutoutMode mode_;
  std::string tree_dir_;
  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> count_{0};
};

// Hex SHA-256 of `bytes`.
std::string Sha256Hex(std::string_view bytes);

}  // namespace lantern::store
