#include "pipeline/level1.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "codec/json.h"
#include "core/sort.h"
#include "features/features.h"
#include "features/light_curve.h"
#include "store/bytes.h"
#include "store/keys.h"
#include "store/queries.h"

namespace lantern::pipeline {
namespace {

using Clock = std::chrono::steady_clock;
using store::Table;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Decoded {
  alert::Alert alert;
  std::shared_ptr<const codec::Datum> datum;
  std::string object_key;
  bool redo = false;  // Message::redo
};

// A row the packet carries, before the strategy decides whether to write it.
struct PendingRow {
  Table table;
  std::string key;
  const alert::FieldRecord* raw;
  double mjd;
  const std::string* band;
  bool stored_object;  // the object had rows before this batch (else nothing to look up)
  size_t decoded;      // index of the packet in the batch's decoded alerts
  bool publish_only = false;  // stored already, but its message is a redo: to the sinks only
  // Its message, or one of a later duplicate of this row in the batch, is a redo (see below).
  bool redo = false;
};

std::string UnitKey(std::string_view prefix, const std::string& origin, uint64_t position) {
  std::string key(prefix);
  key += origin;
  key.push_back('\0');
  store::AppendBigEndian64(position, &key);
  return key;
}

std::string CountValue(uint64_t count) {
  std::string v;
  store::ByteWriter(&v).Varint(count);
  return v;
}

bool IdBefore(const std::pair<int64_t, double>& x, const std::pair<int64_t, double>& y) {
  return x.first < y.first;
}

// Seconds between now and an MJD (UTC ≈ TAI for this purpose).
double LagSeconds(double mjd) {
  const double unix_now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return unix_now - (mjd - 40587.0) * 86400.0;
}

}  // namespace

Result<HistoryStrategy> ParseHistoryStrategy(std::string_view name) {
  if (name == "upsert") return HistoryStrategy::kBlindUpsert;
  if (name == "select") return HistoryStrategy::kSelectNew;
  return InvalidArgument("unknown history strategy \"" + std::string(name) +
                         "\" (upsert or select)");
}

std::string DoneKey(const std::string& origin, uint64_t position) {
  return UnitKey("done/", origin, position);
}

Level1::Level1(store::Store* store, store::CutoutStore* cutouts, codec::SchemaCache* schemas,
               codec::SchemaResolver* resolver, Metrics* metrics, Level1Options options)
    : store_(store), cutouts_(cutouts), schemas_(schemas), resolver_(resolver),
      metrics_(metrics), options_(options) {}

uint64_t Level1::TakeTicket() { return next_ticket_.fetch_add(1, std::memory_order_relaxed); }

void Level1::Claim(uint64_t ticket, const std::vector<std::string>& object_keys) {
  std::unique_lock lock(claims_mu_);
  claims_cv_.wait(lock, [&] {
    return next_claim_ == ticket &&
           std::none_of(object_keys.begin(), object_keys.end(),
                        [&](const std::string& k) { return claimed_.contains(k); });
  });
  claimed_.insert(object_keys.begin(), object_keys.end());
  ++next_claim_;
  lock.unlock();
  claims_cv_.notify_all();
}

void Level1::Skip(uint64_t ticket) {
  std::unique_lock lock(claims_mu_);
  claims_cv_.wait(lock, [&] { return next_claim_ == ticket; });
  ++next_claim_;
  lock.unlock();
  claims_cv_.notify_all();
}

void Level1::Release(const std::vector<std::string>& object_keys) {
  {
    std::lock_guard lock(claims_mu_);
    for (const std::string& k : object_keys) claimed_.erase(k);
  }
  claims_cv_.notify_all();
}

bool Level1::IsDone(const std::string& origin, uint64_t position) const {
  auto v = store_->Get(Table::kMeta, DoneKey(origin, position));
  return v.ok() && v->has_value();
}

uint64_t Level1::DoneCount(const std::string& origin) const {
  const std::string prefix = UnitKey("done/", origin, 0).substr(0, 5 + origin.size() + 1);
  uint64_t expected = 0;
  // A failed scan leaves `expected` where it stopped: those units are simply redone.
  (void)store_->ScanPrefix(Table::kMeta, prefix, [&](std::string_view k, std::string_view) {
    if (k.size() != prefix.size() + 8) return true;
    if (store::ReadBigEndian64(k.substr(prefix.size())) != expected) return false;
    ++expected;
    return true;
  });
  return expected;
}

Status Level1::DeadLetter(const Message& message, const std::string& reason) {
  store::WriteSet ws(*store_);
  ws.Put(Table::kDeadLetters, UnitKey("", message.origin, message.position),
         store::DeadLetterValue(reason, message.raw()));
  ws.Put(Table::kMeta, DoneKey(message.origin, message.position), CountValue(message.count));
  metrics_->CountDeadLetter(store::ReasonClass(reason));
  return store_->Write(&ws);
}

// Per-batch buffers kept from batch to batch: a batch's rows run to thousands, and fresh
// vectors would grow and fault in their pages every time.
struct Level1::Worker::Scratch {
  std::vector<PendingRow> rows;
  std::vector<uint32_t> run;
  std::vector<uint32_t> put_order;  // rows by (object, table, key)
};

Level1::Worker::Worker(Level1* level1)
    : l1_(level1), decoder_(level1->schemas_, level1->resolver_), writes_(*level1->store_),
      scratch_(std::make_unique<Scratch>()) {}

Level1::Worker::~Worker() = default;

Status Level1::Worker::Process(std::span<const Message> batch, uint64_t ticket) {
  const auto t_batch = Clock::now();
  // Later batches wait for this one's claim: a batch that ends before claiming passes its turn.
  struct Turn {
    Level1* l1;
    uint64_t ticket;
    bool claimed = false;
    ~Turn() {
      if (!claimed) l1->Skip(ticket);
    }
  } turn{l1_, ticket};
  Metrics& metrics = *l1_->metrics_;
  store::Store& db = *l1_->store_;
  store::WriteSet& ws = writes_;
  ws.Clear();
  ProcessedBatch processed;
  processed.messages = batch;

  // --- decode ------------------------------------------------------------------------------
  auto t = Clock::now();
  std::vector<Decoded> decoded;
  decoded.reserve(batch.size());  // one alert per message in the usual case
  for (const Message& m : batch) {
    auto on_alert = [&](alert::Alert&& a, const codec::DecodedRecord& r) {
      Decoded d;
      d.object_key = store::ObjectKey(a.survey, a.object_id);
      d.alert = std::move(a);
      d.datum = r.datum;
      d.redo = m.redo;
      decoded.push_back(std::move(d));
    };
    Status st;
    switch (m.kind) {
      case Message::Kind::kPacket: st = decoder_.Decode(m.bytes, on_alert); break;
      case Message::Kind::kBlock:
        st = decoder_.DecodeBlock(m.schema, m.block, m.bytes, static_cast<uint32_t>(m.position),
                                  on_alert);
        break;
      case Message::Kind::kBare: st = decoder_.DecodeBare(m.schema, m.bytes, on_alert); break;
    }
    if (!st.ok()) {
      // Records decoded before the damage go on; the unit's bytes and reason are kept.
      ws.Put(Table::kDeadLetters, UnitKey("", m.origin, m.position),
             store::DeadLetterValue(st.message(), m.raw()));
      metrics.CountDeadLetter(store::ReasonClass(st.message()));
      processed.dead_letters.push_back({&m, st.message()});
    }
    ws.Put(Table::kMeta, DoneKey(m.origin, m.position), CountValue(m.count));
  }
  metrics.RecordStage(Stage::kDecode, decoded.size(), Since(t));

  // --- cutouts -----------------------------------------------------------------------------
  t = Clock::now();
  for (Decoded& d : decoded) {
    for (alert::Cutout& c : d.alert.cutouts) {
      if (c.bytes.empty()) continue;
      ASSIGN_OR_RETURN(c.ref, l1_->cutouts_->Put(d.alert.survey, d.alert.alert_id, c, &ws));
      metrics.cutout_bytes.fetch_add(c.bytes.size(), std::memory_order_relaxed);
    }
  }
  metrics.RecordStage(Stage::kCutouts, decoded.size(), Since(t));

  // --- associate ---------------------------------------------------------------------------
  t = Clock::now();
  // Process each object's alerts together, in time order; claim the batch's objects (all at
  // once, so workers never deadlock) until the batch is written.
  std::vector<uint32_t> order(decoded.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const Decoded& x = decoded[a];
    const Decoded& y = decoded[b];
    if (x.object_key != y.object_key) return x.object_key < y.object_key;
    // NaN times sort last (a strict weak order needs them handled).
    const double mx = std::isnan(x.alert.detection.mjd) ? INFINITY : x.alert.detection.mjd;
    const double my = std::isnan(y.alert.detection.mjd) ? INFINITY : y.alert.detection.mjd;
    if (mx != my) return mx < my;
    return x.alert.alert_id < y.alert.alert_id;
  });
  std::vector<std::string> object_keys;
  std::vector<uint32_t> object_of(decoded.size());  // decoded alert → its object_keys index
  for (uint32_t i : order) {
    if (object_keys.empty() || object_keys.back() != decoded[i].object_key) {
      object_keys.push_back(decoded[i].object_key);
    }
    object_of[i] = static_cast<uint32_t>(object_keys.size() - 1);
  }
  l1_->Claim(ticket, object_keys);
  turn.claimed = true;
  struct Release {
    Level1* l1;
    const std::vector<std::string>* keys;
    ~Release() { l1->Release(*keys); }
  } release{l1_, &object_keys};

  std::vector<std::optional<std::string>> stored;
  RETURN_IF_ERROR(db.MultiGet(Table::kObjects, object_keys, &stored));
  struct ObjectState {
    store::ObjectRecord record;
    bool existed = false;
    double old_ra = alert::kNaN;
    double old_dec = alert::kNaN;
    // (source id, the time its detection row is stored under), sorted by id: an object gets
    // a few new ids per packet, and a flat sorted list costs no allocation per id.
    std::vector<std::pair<int64_t, double>> ids;
    bool ids_built = false;
  };
  std::vector<ObjectState> objects(object_keys.size());  // by object_keys index
  for (size_t i = 0; i < object_keys.size(); ++i) {
    ObjectState& s = objects[i];
    if (!stored[i]) continue;
    auto parsed = store::ParseObject(*stored[i]);
    if (!parsed.ok()) {
      return parsed.status().WithContext("stored object " + object_keys[i].substr(1));
    }
    s.record = std::move(parsed).value();
    s.existed = true;
    s.old_ra = s.record.ra;
    s.old_dec = s.record.dec;
  }

  // Per object, in time order: plan the rows each packet carries against what is stored, then
  // merge the packet's light curve and recompute the features. A detection is one row per
  // (object, source id): a source id already stored keeps the key (time) it was stored under
  // — real streams resend a detection with a different time now and then.
  double associate_s = Since(t);
  double features_s = 0;
  const bool select = l1_->options_.history == HistoryStrategy::kSelectNew;
  processed.alerts.resize(decoded.size());
  uint64_t new_detections = 0, new_objects = 0;
  double newest_mjd = -1e300;
  std::vector<PendingRow>& rows = scratch_->rows;
  rows.clear();
  for (size_t n = 0; n < order.size(); ++n) {
    t = Clock::now();
    const Decoded& d = decoded[order[n]];
    const alert::Alert& a = d.alert;
    ObjectState& s = objects[object_of[order[n]]];
    store::ObjectRecord& rec = s.record;
    if (!s.ids_built) {
      s.ids.reserve(rec.light_curve.detections.size() + a.prv_detections.size() + 1);
      for (const features::LightCurvePoint& p : rec.light_curve.detections) {
        s.ids.emplace_back(p.source_id, p.mjd);
      }
      std::stable_sort(s.ids.begin(), s.ids.end(), IdBefore);
      // The first of repeated ids stands (stored light curves hold each id once anyway).
      s.ids.erase(std::unique(s.ids.begin(), s.ids.end(),
                              [](const auto& x, const auto& y) { return x.first == y.first; }),
                  s.ids.end());
      s.ids_built = true;
    }
    const size_t first_row = rows.size();
    auto add_detection = [&](const alert::Detection& det) {
      if (!det.raw.valid()) return;
      auto it = std::lower_bound(s.ids.begin(), s.ids.end(), std::pair(det.source_id, 0.0),
                                 IdBefore);
      const bool inserted = it == s.ids.end() || it->first != det.source_id;
      if (inserted) it = s.ids.insert(it, {det.source_id, det.mjd});
      if (!inserted && select && !d.redo) return;
      const double mjd = it->second;
      rows.push_back({Table::kDetections, store::DetectionKey(d.object_key, mjd, det.source_id),
                      &det.raw, mjd, &det.band, s.existed, order[n],
                      /*publish_only=*/!inserted && select});
    };
    add_detection(a.detection);
    for (const alert::Detection& det : a.prv_detections) add_detection(det);
    for (const alert::ForcedPhot& f : a.forced) {
      if (!f.raw.valid()) continue;
      rows.push_back({Table::kForced, store::TimeBandKey(d.object_key, f.mjd, f.band), &f.raw,
                      f.mjd, &f.band, s.existed, order[n]});
    }
    for (const alert::NonDetection& nd : a.nondetections) {
      if (!nd.raw.valid()) continue;
      rows.push_back({Table::kNonDetections, store::TimeBandKey(d.object_key, nd.mjd, nd.band),
                      &nd.raw, nd.mjd, &nd.band, s.existed, order[n]});
    }
    for (size_t i = first_row; i < rows.size(); ++i) rows[i].redo = d.redo;
    associate_s += Since(t);

    t = Clock::now();
    const bool first = rec.light_curve.object_id.empty();
    if (first) {
      rec.light_curve.survey = a.survey;
      rec.light_curve.object_id = a.object_id;
    }
    const size_t before = rec.light_curve.detections.size();
    features::Merge(features::FromAlert(a), &rec.light_curve);
    new_detections += rec.light_curve.detections.size() - before;
    // The newest alert (by its detection time, then id) names the object's latest alert.
    double latest_mjd = -1e300;
    for (const features::LightCurvePoint& p : rec.light_curve.detections) {
      if (p.source_id == rec.latest_alert_id) latest_mjd = p.mjd;
    }
    if (rec.latest_alert_id == 0 || a.detection.mjd > latest_mjd ||
        (a.detection.mjd == latest_mjd && a.alert_id > rec.latest_alert_id)) {
      rec.latest_alert_id = a.alert_id;
    }
    rec.features = features::Compute(rec.light_curve);
    const features::MeanPosition mean = features::ComputeMeanPosition(rec.light_curve);
    rec.ra = mean.ra;
    rec.dec = mean.dec;
    ProcessedAlert& out = processed.alerts[order[n]];
    out.alert = &a;
    out.object = &rec;
    out.features = rec.features;
    out.new_object = first && !s.existed;
    if (out.new_object) ++new_objects;
    if (std::isfinite(a.detection.mjd)) newest_mjd = std::max(newest_mjd, a.detection.mjd);
    features_s += Since(t);
  }

  t = Clock::now();
  std::vector<bool> write(rows.size(), true);
  {
    // One write per key and table per batch (forced photometry and limits share key shapes).
    // A key names its object, and each object's rows are adjacent (objects are processed in
    // turn): repeats are found within each object's run, by sorting its row indices.
    std::vector<uint32_t>& run = scratch_->run;
    std::vector<uint32_t>& put_order = scratch_->put_order;
    put_order.clear();
    auto before = [&](uint32_t x, uint32_t y) {
      return rows[x].table != rows[y].table ? rows[x].table < rows[y].table
                                            : rows[x].key < rows[y].key;
    };
    for (size_t begin = 0; begin < rows.size();) {
      const std::string& object = decoded[rows[begin].decoded].object_key;
      size_t end = begin + 1;
      while (end < rows.size() && decoded[rows[end].decoded].object_key == object) ++end;
      run.resize(end - begin);
      for (size_t i = begin; i < end; ++i) run[i - begin] = static_cast<uint32_t>(i);
      // The first of equal keys stays first. In packet order a run is sorted but for its
      // first row (the newest detection, before the history).
      StableSortMostlySorted(run.begin(), run.end(), before);
      // The row kept stands for its duplicates: if any came in a redo message (stored by an
      // attempt whose outputs may be lost), the kept row goes to the sinks even where the store
      // has it — a packet sent twice, once redone and once new, must not hide the redo.
      for (size_t i = 1, kept = run[0]; i < run.size(); ++i) {
        if (before(run[i - 1], run[i])) {
          kept = run[i];
          continue;
        }
        write[run[i]] = false;
        rows[kept].redo = rows[kept].redo || rows[run[i]].redo;
      }
      put_order.insert(put_order.end(), run.begin(), run.end());
      begin = end;
    }
  }
  if (select) {  // forced photometry and limits have no id: look their keys up
    for (Table table : {Table::kForced, Table::kNonDetections}) {
      std::vector<std::string> keys;
      std::vector<size_t> at;
      for (size_t i = 0; i < rows.size(); ++i) {
        if (write[i] && rows[i].table == table && rows[i].stored_object) {
          keys.push_back(rows[i].key);
          at.push_back(i);
        }
      }
      std::vector<bool> found;
      RETURN_IF_ERROR(db.Exists(table, keys, &found));
      for (size_t j = 0; j < at.size(); ++j) {
        if (!found[j]) continue;
        if (rows[at[j]].redo) {
          rows[at[j]].publish_only = true;
        } else {
          write[at[j]] = false;
        }
      }
    }
  }
  // Rows go into the write set in key order (objects are in key order, and each object's rows
  // sorted above): RocksDB reuses a memtable's last insert position only when the next key
  // lands right after it, and otherwise searches the skip list from its top. In packet order
  // (the newest detection first, then the history) most objects cost a full search per table.
  std::string value;
  for (uint32_t i : scratch_->put_order) {
    if (!write[i] || rows[i].publish_only) continue;
    value.clear();
    RETURN_IF_ERROR(rows_.EncodeRow(*rows[i].raw, rows[i].mjd, *rows[i].band, &ws, &value));
    ws.Put(rows[i].table, rows[i].key, value);
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!write[i]) continue;
    processed.rows.push_back(
        {rows[i].table, &decoded[rows[i].decoded].alert, rows[i].raw, rows[i].mjd, rows[i].band});
  }
  if (l1_->options_.store_alerts) {
    // In key order (survey, alert id): each insert then starts from the previous one's place
    // in the memtable instead of searching it from the top.
    std::vector<uint32_t> by_id(decoded.size());
    for (uint32_t i = 0; i < by_id.size(); ++i) by_id[i] = i;
    std::sort(by_id.begin(), by_id.end(), [&](uint32_t a, uint32_t b) {
      const alert::Alert& x = decoded[a].alert;
      const alert::Alert& y = decoded[b].alert;
      return std::pair(x.survey, static_cast<uint64_t>(x.alert_id)) <
             std::pair(y.survey, static_cast<uint64_t>(y.alert_id));
    });
    for (uint32_t i : by_id) {
      const Decoded& d = decoded[i];
      value.clear();
      RETURN_IF_ERROR(rows_.EncodePacket(*d.datum, d.alert, &ws, &value));
      ws.Put(Table::kAlerts, store::AlertKey(d.alert.survey, d.alert.alert_id), value);
    }
  }
  associate_s += Since(t);
  metrics.RecordStage(Stage::kAssociate, decoded.size(), associate_s);
  metrics.RecordStage(Stage::kFeatures, decoded.size(), features_s);

  // --- crossmatch: context of each object at its new mean position ---------------------------
  t = Clock::now();
  if (l1_->context_) {
    std::vector<sky::SkyPoint> points;
    std::vector<store::ObjectRecord*> with_position;
    for (ObjectState& s : objects) {
      if (!std::isfinite(s.record.ra) || !std::isfinite(s.record.dec)) continue;
      points.push_back({s.record.ra, s.record.dec});
      with_position.push_back(&s.record);
    }
    std::vector<std::string> contexts;
    l1_->context_->Annotate(points, &contexts);
    for (size_t i = 0; i < with_position.size() && i < contexts.size(); ++i) {
      with_position[i]->context_json = std::move(contexts[i]);
    }
    uint64_t matched = 0;
    for (const ProcessedAlert& p : processed.alerts) matched += !p.object->context_json.empty();
    metrics.context_matches.fetch_add(matched, std::memory_order_relaxed);
  }
  metrics.RecordStage(Stage::kCrossmatch, decoded.size(), Since(t));

  // --- watchlists: each alert's own position ---------------------------------------------------
  t = Clock::now();
  if (!l1_->watchlists_.empty()) {
    std::vector<sky::SkyPoint> points(decoded.size());
    std::vector<uint32_t> index;
    for (uint32_t i = 0; i < decoded.size(); ++i) {
      const alert::Detection& det = decoded[i].alert.detection;
      if (!std::isfinite(det.ra) || !std::isfinite(det.dec) || std::abs(det.dec) > 90) continue;
      points[index.size()] = {det.ra, det.dec};
      index.push_back(i);
    }
    points.resize(index.size());
    for (const WatchlistMatcher* w : l1_->watchlists_) {
      std::vector<WatchlistHit> hits;
      w->Match(points, &hits);
      for (WatchlistHit& h : hits) {
        h.alert = index[h.alert];
        const Decoded& d = decoded[h.alert];
        const std::string key =
            store::WatchlistHitKey(h.watchlist_id, d.object_key, d.alert.alert_id);
        std::string json = fmt::format(R"({{"wl_id":{},"name":)", h.watchlist_id);
        codec::AppendJsonString(h.target, &json);
        json += fmt::format(R"(,"arcsec":{:.4f},"alert_id":{},"mjd":{:.6f}}})", h.sep_arcsec,
                            d.alert.alert_id, d.alert.detection.mjd);
        ws.Put(Table::kWatchlistHits, key, json);
        processed.watchlist_hits.push_back(std::move(h));
      }
    }
    metrics.watchlist_hits.fetch_add(processed.watchlist_hits.size(), std::memory_order_relaxed);
  }
  metrics.RecordStage(Stage::kWatchlists, decoded.size(), Since(t));

  // --- sinks: objects and positions into the write set, one atomic write, then other sinks ---
  t = Clock::now();
  // Objects in key order (object_keys is sorted), positions in theirs: see the alerts above.
  std::vector<std::pair<std::string, double>> positions;  // key, dec
  for (size_t i = 0; i < object_keys.size(); ++i) {
    const std::string& key = object_keys[i];
    const ObjectState& s = objects[i];
    const store::ObjectRecord& rec = s.record;
    if (s.existed && std::isfinite(s.old_ra) && (s.old_ra != rec.ra || s.old_dec != rec.dec)) {
      ws.Delete(Table::kPositions, store::PositionKey(s.old_ra, s.old_dec, key));
    }
    if (std::isfinite(rec.ra) && std::isfinite(rec.dec)) {
      positions.emplace_back(store::PositionKey(rec.ra, rec.dec, key), rec.dec);
    }
    ws.Put(Table::kObjects, key, store::SerializeObject(rec));
    processed.objects.push_back(&rec);
  }
  std::sort(positions.begin(), positions.end());
  for (const auto& [key, dec_deg] : positions) {
    std::string dec;
    store::ByteWriter(&dec).F64(dec_deg);
    ws.Put(Table::kPositions, key, dec);
  }
  const uint64_t bytes = ws.bytes();
  if (l1_->options_.apply_writes) {
    RETURN_IF_ERROR(db.Write(&ws));
  } else {
    ws.Clear();
  }
  for (Sink* sink : l1_->sinks_) RETURN_IF_ERROR(sink->Write(processed));
  metrics.RecordStage(Stage::kSinks, decoded.size(), Since(t));

  metrics.alerts.fetch_add(decoded.size(), std::memory_order_relaxed);
  metrics.messages.fetch_add(batch.size(), std::memory_order_relaxed);
  metrics.new_objects.fetch_add(new_objects, std::memory_order_relaxed);
  metrics.new_detections.fetch_add(new_detections, std::memory_order_relaxed);
  metrics.bytes_written.fetch_add(bytes, std::memory_order_relaxed);
  if (newest_mjd > -1e300) metrics.lag_seconds.store(LagSeconds(newest_mjd));
  metrics.batch_latency.Record(Since(t_batch));
  return Status::Ok();
}

}  // namespace lantern::pipeline
