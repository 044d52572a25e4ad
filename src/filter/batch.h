// A batch of objects as the filter engine reads it: struct of arrays, one Column (values plus
// a validity mask) per table column, rows aligned by object. Joined tables (watchlist and
// watchmap hits, annotations, TNS) have a `present` mask: an object without a row there does
// not pass a filter that names the table. BatchBuilder fills a Batch from features::Features,
// context JSON and hits. A Batch is immutable once built and may be read by many filters on
// many threads at once; a BatchBuilder is single-threaded.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
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
  // Setters ignore a value of the wrong type. Inline: BatchBuilder calls them per value.
  void SetNull(size_t row) { valid[row] = 0; }
  void SetInt(size_t row, int64_t v) {  // converts for kDouble columns
    if (type == Type::kInt) {
      ints[row] = v;
    } else if (type == Type::kDouble) {
      doubles[row] = static_cast<double>(v);
    } else {
      return;
    }
    valid[row] = 1;
  }
  void SetDouble(size_t row, double v) {  // NULL when not finite
    if (type != Type::kDouble || !std::isfinite(v)) return;
    doubles[row] = v;
    valid[row] = 1;
  }
  void SetString(size_t row, std::string_view v) {
    if (type != Type::kString) return;
    strings[row].assign(v);
    valid[row] = 1;
  }
};

struct TableData {
  const TableDef* def = nullptr;  // names the columns; never null in a built Batch
  std::vector<uint8_t> present;   // empty: every row has a row here
  std::vector<Column> columns;    // columns[i] holds def->columns[i]
};

// Table keys: "objects", "sherlock_classifications", "crossmatch_tns", "watchlist:<id>",
// "area:<id>", "annotator:<topic>".
class Batch {
 public:
  explicit Batch(size_t rows = 0) : rows_(rows) {}
  size_t rows() const { return rows_; }
  const TableData* Find(std::string_view key) const {
    auto it = tables_.find(key);
    return it == tables_.end() ? nullptr : &it->second;
  }

 private:
  friend class BatchBuilder;
  size_t rows_;
  // A node-based map: BatchBuilder keeps pointers to its values while it fills them.
  std::map<std::string, TableData, std::less<>> tables_;
};

class BatchBuilder {
 public:
  // `schema` must outlive the builder (the Schema singletons do).
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

  // Makes room for `rows` objects in all, so that columns grow once (optional; they also grow
  // by doubling).
  void Reserve(size_t rows);

  size_t rows() const { return rows_; }
  // The batch of every object added since the last Finish; the builder starts a new one.
  Batch Finish();

 private:
  // Column index of `name` in `def` (exact case), or -1.
  using ColumnIndex = std::unordered_map<std::string_view, int>;

  void Start();
  TableData* AddTable(const std::string& key, const TableDef& def);
  TableData& Joined(const std::string& key, const TableDef& def);
  // Grows every column to at least `rows` rows.
  void Grow(size_t rows);
  void SetContext(size_t row, std::string_view context_json);

  const Schema& schema_;
  const ColumnIndex objects_index_;
  const ColumnIndex sherlock_index_;
  // Columns every object sets, looked up once.
  const int id_ = -1, ra_ = -1, decl_ = -1;
  const int classification_ = -1, association_type_ = -1;
  const int best_distance_ = -1, direct_distance_ = -1, distance_ = -1;
  size_t rows_ = 0;
  size_t capacity_ = 0;
  Batch batch_;
  TableData* objects_ = nullptr;
  TableData* sherlock_ = nullptr;
  std::vector<TableData*> joined_;
  std::map<uint32_t, TableData*> watchlists_;
  std::map<uint32_t, TableData*> areas_;
  // The i-th feature (or context member) is usually the same column for every object (the
  // documented order): remembering the column it went to, checked by name, saves a lookup.
  int CachedColumn(std::vector<int>* cache, size_t i, std::string_view name,
                   const TableDef& def, const ColumnIndex& index) {
    if (i < cache->size()) {
      const int c = (*cache)[i];
      if (c >= 0 && SameName(def.columns[c].name, name)) return c;
    }
    return LookUpColumn(cache, i, name, index);
  }
  // a == b for short names, inline: per value of every object, a call to memcmp costs more.
  static bool SameName(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }
  // CachedColumn's slow path (first object, or another order): looks `name` up, remembers it.
  int LookUpColumn(std::vector<int>* cache, size_t i, std::string_view name,
                   const ColumnIndex& index);
  std::vector<int> feature_columns_;
  std::vector<int> context_columns_;
};

}  // namespace lantern::filter
