#include "filter/batch.h"

#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

namespace lantern::filter {
namespace {

using Json = nlohmann::json;

void SetFeature(Column* c, size_t row, const features::FeatureValue& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) {
    c->SetInt(row, *i);
  } else if (const auto* d = std::get_if<double>(&v)) {
    if (c->type == Type::kInt && std::isfinite(*d) && *d == std::trunc(*d)) {
      c->SetInt(row, static_cast<int64_t>(*d));
    } else if (c->type != Type::kString) {
      c->SetDouble(row, *d);
    }
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    if (c->type == Type::kString) c->SetString(row, *s);
  }
}

void SetJson(Column* c, size_t row, const Json& v) {
  if (v.is_number_integer()) {
    c->SetInt(row, v.get<int64_t>());
  } else if (v.is_number()) {
    c->SetDouble(row, v.get<double>());
  } else if (v.is_string() && c->type == Type::kString) {
    c->SetString(row, v.get<std::string>());
  }
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

void Column::SetInt(size_t row, int64_t v) {
  if (type == Type::kInt) {
    ints[row] = v;
  } else if (type == Type::kDouble) {
    doubles[row] = static_cast<double>(v);
  } else {
    return;
  }
  valid[row] = 1;
}

void Column::SetDouble(size_t row, double v) {
  if (!std::isfinite(v) || type != Type::kDouble) return;
  doubles[row] = v;
  valid[row] = 1;
}

void Column::SetString(size_t row, std::string v) {
  if (type != Type::kString) return;
  strings[row] = std::move(v);
  valid[row] = 1;
}

BatchBuilder::BatchBuilder(const Schema& schema) : schema_(schema) {
  TableData& objects = batch_.tables_["objects"];
  for (const ColumnDef& c : schema_.objects.columns) objects.columns[c.name].type = c.type;
  TableData& sherlock = batch_.tables_["sherlock_classifications"];
  for (const ColumnDef& c : schema_.sherlock.columns) sherlock.columns[c.name].type = c.type;
}

size_t BatchBuilder::AddObject(std::string_view object_id, const features::Features& features,
                               double ra, double dec, std::string_view context_json) {
  const size_t row = rows_++;
  TableData& objects = batch_.tables_["objects"];
  for (auto& [name, column] : objects.columns) column.Resize(rows_);
  Column& id = objects.columns[schema_.id_column];
  if (id.type == Type::kString) {
    id.SetString(row, std::string(object_id));
  } else {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(object_id.data(), object_id.data() + object_id.size(), v);
    if (ec == std::errc() && end == object_id.data() + object_id.size()) id.SetInt(row, v);
  }
  for (const auto& [name, value] : features.columns()) {
    auto it = objects.columns.find(name);
    if (it != objects.columns.end()) SetFeature(&it->second, row, value);
  }
  if (schema_.survey == alert::Survey::kLsst) {
    objects.columns["ra"].SetDouble(row, ra);
    objects.columns["decl"].SetDouble(row, dec);
  }
  TableData& sherlock = batch_.tables_["sherlock_classifications"];
  for (auto& [name, column] : sherlock.columns) column.Resize(rows_);
  if (context_json.empty()) {
    sherlock.columns["classification"].SetString(row, "ORPHAN");
    sherlock.columns["association_type"].SetString(row, "ORPHAN");
  } else {
    const Json doc = Json::parse(context_json, nullptr, false);
    if (doc.is_object()) {
      for (const auto& [key, value] : doc.items()) {
        auto it = sherlock.columns.find(key);
        if (it != sherlock.columns.end()) SetJson(&it->second, row, value);
      }
      // best_distance: the direct distance when known, else the Hubble distance.
      Column& best = sherlock.columns["best_distance"];
      if (!best.valid[row]) {
        const Column& direct = sherlock.columns["direct_distance"];
        const Column& hubble = sherlock.columns["distance"];
        if (direct.valid[row]) {
          best.SetDouble(row, direct.doubles[row]);
        } else if (hubble.valid[row]) {
          best.SetDouble(row, hubble.doubles[row]);
        }
      }
    }
  }
  return row;
}

TableData& BatchBuilder::Joined(const std::string& key, const TableDef& def) {
  auto [it, inserted] = batch_.tables_.try_emplace(key);
  if (inserted) {
    for (const ColumnDef& c : def.columns) it->second.columns[c.name].type = c.type;
    joined_keys_.push_back(key);
  }
  TableData& t = it->second;
  if (t.present.size() < rows_) t.present.resize(rows_, 0);
  for (auto& [name, column] : t.columns) {
    if (column.valid.size() < rows_) column.Resize(rows_);
  }
  return t;
}

void BatchBuilder::AddWatchlistHit(uint32_t watchlist_id, size_t row, double arcsec,
                                   std::string name) {
  TableData& t = Joined("watchlist:" + std::to_string(watchlist_id), schema_.watchlist_hits);
  Column& sep = t.columns["arcsec"];
  if (t.present[row] && sep.valid[row] && sep.doubles[row] <= arcsec) return;
  t.present[row] = 1;
  sep.SetDouble(row, arcsec);
  t.columns["name"].SetString(row, std::move(name));
}

void BatchBuilder::AddAreaHit(uint32_t area_id, size_t row) {
  static const TableDef kNoColumns;
  Joined("area:" + std::to_string(area_id), kNoColumns).present[row] = 1;
}

void BatchBuilder::AddAnnotation(const std::string& topic, size_t row,
                                 const std::map<std::string, std::string>& fields) {
  TableData& t = Joined("annotator:" + topic, schema_.annotations);
  t.present[row] = 1;
  t.columns["topic"].SetString(row, topic);
  for (const auto& [name, value] : fields) {
    auto it = t.columns.find(name);
    if (it != t.columns.end()) it->second.SetString(row, value);
  }
}

void BatchBuilder::AddTns(size_t row, const std::map<std::string, features::FeatureValue>& fields) {
  TableData& t = Joined("crossmatch_tns", schema_.crossmatch_tns);
  t.present[row] = 1;
  for (const auto& [name, value] : fields) {
    auto it = t.columns.find(name);
    if (it != t.columns.end()) SetFeature(&it->second, row, value);
  }
}

Batch BatchBuilder::Finish() {
  for (const std::string& key : joined_keys_) {
    TableData& t = batch_.tables_[key];
    t.present.resize(rows_, 0);
    for (auto& [name, column] : t.columns) column.Resize(rows_);
  }
  batch_.rows_ = rows_;
  Batch out = std::move(batch_);
  batch_ = Batch();
  rows_ = 0;
  joined_keys_.clear();
  BatchBuilder fresh(schema_);
  batch_ = std::move(fresh.batch_);
  return out;
}

}  // namespace lantern::filter
