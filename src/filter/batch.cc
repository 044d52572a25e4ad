#include "filter/batch.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <span>
#include <type_traits>
#include <variant>

#include <nlohmann/json.hpp>

namespace lantern::filter {
namespace {

using Json = nlohmann::json;

void SetFeature(Column* c, size_t row, const features::FeatureValue& v) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          c->SetInt(row, x);
        } else if constexpr (std::is_same_v<T, double>) {
          if (c->type == Type::kInt && std::isfinite(x) && x == std::trunc(x)) {
            c->SetInt(row, static_cast<int64_t>(x));
          } else {
            c->SetDouble(row, x);
          }
        } else if constexpr (std::is_same_v<T, std::string>) {
          c->SetString(row, x);
        }
      },
      v);
}

// One member of a flat JSON object. No default member initializers: an array of them per
// object is not zeroed up front; FlatObjectReader value-initializes each member it reads.
struct JsonMember {
  enum class Kind : uint8_t { kOther, kInt, kDouble, kString };  // kOther: null, true, false
  std::string_view key;
  Kind kind;
  int64_t i;
  double d;
  std::string_view s;
};

// Reads a JSON object whose values are all scalars and whose strings are plain ASCII without
// escapes — what context JSON is — without building a DOM. Read() is false for anything else,
// valid or not; the caller then uses nlohmann::json, which decides.
class FlatObjectReader {
 public:
  explicit FlatObjectReader(std::string_view text) : t_(text) {}

  // At most out.size() members, else false.
  bool Read(std::span<JsonMember> out, size_t* count) {
    *count = 0;
    if (!Skip('{')) return false;
    if (Skip('}')) return AtEnd();
    do {
      if (*count == out.size()) return false;
      JsonMember& m = out[(*count)++];
      m = JsonMember{};
      SkipSpace();
      if (!String(&m.key) || !Skip(':')) return false;
      SkipSpace();
      if (!Value(&m)) return false;
    } while (Skip(','));
    return Skip('}') && AtEnd();
  }

 private:
  static bool Space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
  void SkipSpace() {
    while (p_ < t_.size() && Space(t_[p_])) ++p_;
  }
  bool Skip(char c) {
    SkipSpace();
    if (p_ >= t_.size() || t_[p_] != c) return false;
    ++p_;
    return true;
  }
  bool AtEnd() {
    SkipSpace();
    return p_ == t_.size();
  }
  bool Digits() {
    const size_t start = p_;
    while (p_ < t_.size() && t_[p_] >= '0' && t_[p_] <= '9') ++p_;
    return p_ > start;
  }
  bool String(std::string_view* s) {
    if (p_ >= t_.size() || t_[p_] != '"') return false;
    const size_t start = ++p_;
    for (; p_ < t_.size(); ++p_) {
      const auto c = static_cast<unsigned char>(t_[p_]);
      if (c == '"') {
        *s = t_.substr(start, p_++ - start);
        return true;
      }
      if (c == '\\' || c < 0x20 || c >= 0x80) return false;
    }
    return false;
  }
  bool Value(JsonMember* m) {
    if (p_ >= t_.size()) return false;
    const char c = t_[p_];
    if (c == '"') {
      m->kind = JsonMember::Kind::kString;
      return String(&m->s);
    }
    for (std::string_view word : {"null", "true", "false"}) {
      if (t_.substr(p_, word.size()) == word) {
        p_ += word.size();
        return true;
      }
    }
    // JSON's number grammar (stricter than from_chars):
    // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    const size_t start = p_;
    if (t_[p_] == '-') ++p_;
    if (p_ < t_.size() && t_[p_] == '0') {
      ++p_;
    } else if (!Digits()) {
      return false;
    }
    bool integer = true;
    if (p_ < t_.size() && t_[p_] == '.') {
      ++p_;
      if (!Digits()) return false;
      integer = false;
    }
    if (p_ < t_.size() && (t_[p_] == 'e' || t_[p_] == 'E')) {
      ++p_;
      if (p_ < t_.size() && (t_[p_] == '+' || t_[p_] == '-')) ++p_;
      if (!Digits()) return false;
      integer = false;
    }
    const char* first = t_.data() + start;
    const char* last = t_.data() + p_;
    // Out of range (a huge integer, 1e999): left to nlohmann's rules.
    if (integer) {
      m->kind = JsonMember::Kind::kInt;
      const auto [end, ec] = std::from_chars(first, last, m->i);
      return ec == std::errc() && end == last;
    }
    m->kind = JsonMember::Kind::kDouble;
    const auto [end, ec] = std::from_chars(first, last, m->d);
    return ec == std::errc() && end == last;
  }

  std::string_view t_;
  size_t p_ = 0;
};

void Prefetch(const void* data, size_t bytes) {
  const char* p = static_cast<const char*>(data);
  for (size_t b = 0; b < bytes; b += 64) __builtin_prefetch(p + b);
}

// Exact-case index of `name` among `def`'s columns, or -1.
int ColumnOf(const TableDef& def, std::string_view name) {
  for (size_t i = 0; i < def.columns.size(); ++i) {
    if (def.columns[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::unordered_map<std::string_view, int> IndexColumns(const TableDef& def) {
  std::unordered_map<std::string_view, int> index;
  for (size_t i = 0; i < def.columns.size(); ++i) {
    index.emplace(def.columns[i].name, static_cast<int>(i));  // the first of equal names
  }
  return index;
}

}  // namespace

void Column::Resize(size_t rows) {
  valid.resize(rows, 0);
  switch (type) {
    case Type::kInt: ints.resize(rows, 0); break;
    case Type::kString: strings.resize(rows); break;
    default: doubles.resize(rows, 0.0); break;
  }
}

BatchBuilder::BatchBuilder(const Schema& schema)
    : schema_(schema),
      objects_index_(IndexColumns(schema.objects)),
      sherlock_index_(IndexColumns(schema.sherlock)),
      id_(ColumnOf(schema.objects, schema.id_column)),
      ra_(ColumnOf(schema.objects, "ra")),
      decl_(ColumnOf(schema.objects, "decl")),
      classification_(ColumnOf(schema.sherlock, "classification")),
      association_type_(ColumnOf(schema.sherlock, "association_type")),
      best_distance_(ColumnOf(schema.sherlock, "best_distance")),
      direct_distance_(ColumnOf(schema.sherlock, "direct_distance")),
      distance_(ColumnOf(schema.sherlock, "distance")) {
  Start();
}

void BatchBuilder::Start() {
  batch_ = Batch();
  rows_ = 0;
  capacity_ = 0;
  joined_.clear();
  watchlists_.clear();
  areas_.clear();
  objects_ = AddTable("objects", schema_.objects);
  sherlock_ = AddTable("sherlock_classifications", schema_.sherlock);
}

TableData* BatchBuilder::AddTable(const std::string& key, const TableDef& def) {
  TableData& t = batch_.tables_[key];
  t.def = &def;
  t.columns.resize(def.columns.size());
  for (size_t i = 0; i < def.columns.size(); ++i) {
    t.columns[i].type = def.columns[i].type;
    t.columns[i].Resize(capacity_);
  }
  return &t;
}

void BatchBuilder::Reserve(size_t rows) {
  if (rows > capacity_) Grow(rows);
}

void BatchBuilder::Grow(size_t rows) {
  capacity_ = rows;
  for (TableData* t : {objects_, sherlock_}) {
    for (Column& c : t->columns) c.Resize(capacity_);
  }
  for (TableData* t : joined_) {
    t->present.resize(capacity_, 0);
    for (Column& c : t->columns) c.Resize(capacity_);
  }
}

size_t BatchBuilder::AddObject(std::string_view object_id, const features::Features& features,
                               double ra, double dec, std::string_view context_json) {
  const auto& values = features.columns();
  // An object's features (~3 KB for ZTF) and context are usually cold in cache: asking for all
  // their cache lines first overlaps the misses instead of paying them one after another.
  Prefetch(values.data(), values.size() * sizeof(values[0]));
  Prefetch(context_json.data(), context_json.size());
  const size_t row = rows_++;
  // Capacity doubles, so columns are not resized per row.
  if (rows_ > capacity_) Grow(std::max(2 * capacity_, size_t{256}));
  std::vector<Column>& columns = objects_->columns;
  Column& id = columns[id_];
  if (id.type == Type::kString) {
    id.SetString(row, object_id);
  } else {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(object_id.data(), object_id.data() + object_id.size(), v);
    if (ec == std::errc() && end == object_id.data() + object_id.size()) id.SetInt(row, v);
  }
  for (size_t i = 0; i < values.size(); ++i) {
    const auto& [name, value] = values[i];
    const int c = CachedColumn(&feature_columns_, i, name, schema_.objects, objects_index_);
    if (c >= 0) SetFeature(&columns[c], row, value);
  }
  if (schema_.survey == alert::Survey::kLsst) {
    columns[ra_].SetDouble(row, ra);
    columns[decl_].SetDouble(row, dec);
  }
  SetContext(row, context_json);
  return row;
}

int BatchBuilder::LookUpColumn(std::vector<int>* cache, size_t i, std::string_view name,
                               const ColumnIndex& index) {
  if (i >= cache->size()) cache->resize(i + 1, -1);
  int& c = (*cache)[i];
  auto it = index.find(name);
  c = it == index.end() ? -1 : it->second;
  return c;
}

void BatchBuilder::SetContext(size_t row, std::string_view context_json) {
  std::vector<Column>& columns = sherlock_->columns;
  if (context_json.empty()) {
    columns[classification_].SetString(row, "ORPHAN");
    columns[association_type_].SetString(row, "ORPHAN");
    return;
  }
  // Each member sets its column; a value of the wrong type (or null) leaves it NULL. A repeated
  // key: the last one counts, as in nlohmann::json.
  size_t member = 0;
  auto set = [&](std::string_view key, auto&& assign) {
    const int i =
        CachedColumn(&context_columns_, member++, key, schema_.sherlock, sherlock_index_);
    if (i < 0) return;
    Column& c = columns[i];
    c.SetNull(row);
    assign(c);
  };
  JsonMember members[32];
  size_t count = 0;
  if (FlatObjectReader(context_json).Read(members, &count)) {
    for (const JsonMember& m : std::span(members, count)) {
      set(m.key, [&](Column& c) {
        switch (m.kind) {
          case JsonMember::Kind::kInt: c.SetInt(row, m.i); break;
          case JsonMember::Kind::kDouble: c.SetDouble(row, m.d); break;
          case JsonMember::Kind::kString: c.SetString(row, m.s); break;
          case JsonMember::Kind::kOther: break;
        }
      });
    }
  } else {
    const Json doc = Json::parse(context_json, nullptr, false);
    if (!doc.is_object()) return;
    for (const auto& [key, value] : doc.items()) {
      set(key, [&](Column& c) {
        if (value.is_number_integer()) {
          c.SetInt(row, value.get<int64_t>());
        } else if (value.is_number()) {
          c.SetDouble(row, value.get<double>());
        } else if (value.is_string()) {
          c.SetString(row, value.get_ref<const std::string&>());
        }
      });
    }
  }
  // best_distance: the direct distance when known, else the Hubble distance.
  Column& best = columns[best_distance_];
  if (!best.valid[row]) {
    const Column& direct = columns[direct_distance_];
    const Column& hubble = columns[distance_];
    if (direct.valid[row]) {
      best.SetDouble(row, direct.doubles[row]);
    } else if (hubble.valid[row]) {
      best.SetDouble(row, hubble.doubles[row]);
    }
  }
}

TableData& BatchBuilder::Joined(const std::string& key, const TableDef& def) {
  if (auto it = batch_.tables_.find(key); it != batch_.tables_.end()) return it->second;
  TableData* t = AddTable(key, def);
  t->present.assign(capacity_, 0);
  joined_.push_back(t);
  return *t;
}

void BatchBuilder::AddWatchlistHit(uint32_t watchlist_id, size_t row, double arcsec,
                                   std::string name) {
  TableData*& table = watchlists_[watchlist_id];
  if (table == nullptr) {
    table = &Joined("watchlist:" + std::to_string(watchlist_id), schema_.watchlist_hits);
  }
  TableData& t = *table;
  Column& sep = t.columns[ColumnOf(*t.def, "arcsec")];
  if (t.present[row] && sep.valid[row] && sep.doubles[row] <= arcsec) return;
  t.present[row] = 1;
  sep.SetDouble(row, arcsec);
  t.columns[ColumnOf(*t.def, "name")].SetString(row, name);
}

void BatchBuilder::AddAreaHit(uint32_t area_id, size_t row) {
  static const TableDef kNoColumns;
  TableData*& table = areas_[area_id];
  if (table == nullptr) table = &Joined("area:" + std::to_string(area_id), kNoColumns);
  table->present[row] = 1;
}

void BatchBuilder::AddAnnotation(const std::string& topic, size_t row,
                                 const std::map<std::string, std::string>& fields) {
  TableData& t = Joined("annotator:" + topic, schema_.annotations);
  t.present[row] = 1;
  t.columns[ColumnOf(*t.def, "topic")].SetString(row, topic);
  for (const auto& [name, value] : fields) {
    const int c = ColumnOf(*t.def, name);
    if (c >= 0) t.columns[c].SetString(row, value);
  }
}

void BatchBuilder::AddTns(size_t row, const std::map<std::string, features::FeatureValue>& fields) {
  TableData& t = Joined("crossmatch_tns", schema_.crossmatch_tns);
  t.present[row] = 1;
  for (const auto& [name, value] : fields) {
    const int c = ColumnOf(*t.def, name);
    if (c >= 0) SetFeature(&t.columns[c], row, value);
  }
}

Batch BatchBuilder::Finish() {
  for (TableData* t : {objects_, sherlock_}) {
    for (Column& c : t->columns) c.Resize(rows_);
  }
  for (TableData* t : joined_) {
    t->present.resize(rows_);
    for (Column& c : t->columns) c.Resize(rows_);
  }
  batch_.rows_ = rows_;
  Batch out = std::move(batch_);
  Start();
  return out;
}

}  // namespace lantern::filter
