// A batch of objects as the filter engine reads it: struct of arrays, one Column (values plus
// a validity mask) per table column, rows aligned by object. Joined tables (watchlist and
// watchmap hits, annotations, TNS) have a `present` mask: an object without a row there does
// not pass a filter that names the table. BatchBuilder fills a Batch from features::Features,
// context JSON and hits. A Batch is immutable once built and may be read by many filters on
// many threads at once; a BatchBuilder is single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "features/features.h"
#include "filter/schema.h"

namespace lantern::filter {

struct Column {
  Type type = Type::kDouble;  // kInt, kDouble or kString
  std::vector<int64_t> ints;
  std::vector<double> doubles;
  std::vector<std::string> strings;
  std::vector<uint8_t> valid;  // 1 = has a value, 0 = NULL

  void Resize(size_t rows);
  void SetNull(size_t row) { valid[row] = 0; }
  void SetInt(size_t row, int64_t v);     // converts for kDouble columns
  void SetDouble(size_t row, double v);   // NULL when not finite
  void SetString(size_t row, std::string v);
};

struct TableData {
  std::vector<uint8_t> present;  // empty: every row has a row here
  std::map<std::string, Column, std::less<>> columns;
};

// Table keys: "objects", "sherlock_classifications", "crossmatch_tns", "watchlist:<id>",
// "area:<id>", "annotator:<topic>".
class Batch {
 public:
  explicit Batch(size_t rows = 0) : rows_(rows) {}
  size_t rows() const { return rows_; }
  TableData& Table(const std::string& key) { return tables_[key]; }
  const TableData* Find(std::string_view key) const {
    auto it = tables_.find(key);
    return it == tables_.end() ? nullptr : &it->second;
  }

 private:
  friend class BatchBuilder;
  size_t rows_;
  std::map<std::string, TableData, std::less<>> tables_;
};

class BatchBuilder {
 public:
  explicit BatchBuilder(const Schema& schema);

  // Adds one object; returns its row. `context_json` is the crossmatch context as
  // store::ObjectRecord keeps it ("" = none, shown as classification ORPHAN). `ra`/`dec` fill
  // LSST's objects.ra/decl.
  size_t AddObject(std::string_view object_id, const features::Features& features,
                   double ra = alert::kNaN, double dec = alert::kNaN,
                   std::string_view context_json = {});
  // Joined rows; an object with several hits of one watchlist keeps the nearest.
  void AddWatchlistHit(uint32_t watchlist_id, size_t row, double arcsec, std::string name);
  void AddAreaHit(uint32_t area_id, size_t row);
  // `fields`: column name → value among annotations' columns (classdict is JSON text).
  void AddAnnotation(const std::string& topic, size_t row,
                     const std::map<std::string, std::string>& fields);
  void AddTns(size_t row, const std::map<std::string, features::FeatureValue>& fields);

  size_t rows() const { return rows_; }
  Batch Finish();

 private:
  TableData& Joined(const std::string& key, const TableDef& def);

  const Schema& schema_;
  size_t rows_ = 0;
  // Row-major staging: columns grow as objects are added.
  Batch batch_;
  std::vector<std::string> joined_keys_;
};

}  // namespace lantern::filter
