#include "pipeline/filter_sink.h"

#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "codec/datum.h"
#include "codec/json.h"
#include "filter/batch.h"
#include "filter/filter.h"
#include "filter/registry.h"
#include "store/keys.h"
#include "stream/kafka.h"

namespace lantern::pipeline {
namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::ordered_json;

Json ToJson(const filter::Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return std::isfinite(*d) ? Json(*d) : Json();
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return Json();
}

Json NumberOrNull(double d) { return std::isfinite(d) ? Json(d) : Json(); }

// The file's identity for change detection: modification time and size.
std::pair<int64_t, int64_t> FileStamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {-1, -1};
  return {static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
          static_cast<int64_t>(st.st_size)};
}

std::string UtcNow() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

// The alert's own top-level fields without the cutouts (`full` messages).
Json AlertFields(const alert::Alert& a) {
  const auto* datum = dynamic_cast<const codec::Datum*>(a.packet.get());
  if (datum == nullptr) return Json();
  const codec::Value root = datum->root();
  if (root.type() != codec::Type::kRecord) return Json();
  Json out = Json::object();
  for (uint32_t i = 0; i < root.FieldCount(); ++i) {
    const std::string& name = root.node().fields[i].name;
    if (name.find("cutout") != std::string::npos || name.find("Cutout") != std::string::npos) {
      continue;
    }
    std::string text;
    codec::AppendJson(root.FieldAt(i), &text);
    out[name] = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  }
  return out;
}

}  // namespace

struct FilterSink::Loaded {
  struct Entry {
    filter::FilterSpec spec;
    filter::CompiledFilter compiled;
    std::string key;  // owner.name
  };
  std::vector<Entry> filters;  // active ones
  std::pair<int64_t, int64_t> stamp{-2, -2};
};

FilterSink::FilterSink(store::Store* store, FilterSinkOptions options)
    : store_(store), options_(std::move(options)), loaded_(std::make_shared<Loaded>()) {}

FilterSink::~FilterSink() = default;

std::shared_ptr<const FilterSink::Loaded> FilterSink::Current() {
  std::lock_guard lock(mu_);
  const auto now = Clock::now();
  if (now < next_check_) return loaded_;
  next_check_ = now + std::chrono::seconds(1);
  const auto stamp = FileStamp(options_.registry_path);
  if (stamp == loaded_->stamp) return loaded_;
  auto next = std::make_shared<Loaded>();
  next->stamp = stamp;
  last_error_.clear();
  auto specs = filter::LoadRegistry(options_.registry_path);
  if (!specs.ok()) {
    // Keep running the filters loaded before; try again when the file changes.
    last_error_ = specs.status().ToString();
    std::fprintf(stderr, "lantern run: filters: %s\n", last_error_.c_str());
    auto kept = std::make_shared<Loaded>(*loaded_);
    kept->stamp = stamp;
    loaded_ = kept;
    return loaded_;
  }
  for (const filter::FilterSpec& spec : *specs) {
    if (!spec.active) continue;
    auto compiled = filter::CompileFilter(spec.selected, spec.tables, spec.conditions,
                                          filter::Schema::For(spec.survey));
    if (!compiled.ok()) {
      last_error_ = fmt::format("{}.{}: {}", spec.owner, spec.name, compiled.status().ToString());
      std::fprintf(stderr, "lantern run: filter %s\n", last_error_.c_str());
      continue;
    }
    next->filters.push_back({spec, std::move(compiled).value(), spec.owner + "." + spec.name});
  }
  std::fprintf(stderr, "lantern run: %zu active filters\n", next->filters.size());
  loaded_ = next;
  return loaded_;
}

Status FilterSink::Write(const ProcessedBatch& batch) {
  const std::shared_ptr<const Loaded> loaded = Current();
  if (loaded->filters.empty() || batch.alerts.empty()) return Status::Ok();

  std::vector<std::vector<const WatchlistHit*>> hits(batch.alerts.size());
  for (const WatchlistHit& h : batch.watchlist_hits) {
    if (h.alert < hits.size()) hits[h.alert].push_back(&h);
  }
  const std::string utc = UtcNow();
  const int64_t day = static_cast<int64_t>(std::time(nullptr) / 86400);
  store::WriteSet ws(*store_);
  std::map<std::string, FilterCounters> delta;
  for (alert::Survey survey : {alert::Survey::kZtf, alert::Survey::kLsst}) {
    // One row per alert of this survey: the object as this alert left it.
    filter::BatchBuilder builder(filter::Schema::For(survey));
    std::vector<size_t> alert_of_row;
    for (size_t i = 0; i < batch.alerts.size(); ++i) {
      const ProcessedAlert& pa = batch.alerts[i];
      if (pa.alert == nullptr || pa.alert->survey != survey) continue;
      const size_t row = builder.AddObject(pa.alert->object_id, pa.features, pa.object->ra,
                                           pa.object->dec, pa.object->context_json);
      for (const WatchlistHit* h : hits[i]) {
        builder.AddWatchlistHit(h->watchlist_id, row, h->sep_arcsec, h->target);
      }
      alert_of_row.push_back(i);
    }
    if (alert_of_row.empty()) continue;
    const filter::Batch rows = builder.Finish();
    for (const Loaded::Entry& f : loaded->filters) {
      if (f.spec.survey != survey) continue;
      FilterCounters& c = delta[f.key];
      filter::RunOptions ro;
      ro.deadline = filter::Deadline::After(options_.budget);
      auto matches = f.compiled.Run(rows, ro);
      if (!matches.ok()) {
        if (matches.status().code() == StatusCode::kDeadlineExceeded) {
          ++c.over_budget;
        } else {
          ++c.errors;
        }
        continue;
      }
      const std::vector<std::string>& columns = f.compiled.column_names();
      for (size_t m = 0; m < matches->rows.size(); ++m) {
        const ProcessedAlert& pa = batch.alerts[alert_of_row[matches->rows[m]]];
        Json msg = Json::object();
        for (size_t k = 0; k < columns.size() && k < matches->values[m].size(); ++k) {
          msg[columns[k]] = ToJson(matches->values[m][k]);
        }
        msg["UTC"] = utc;
        msg["alertId"] = pa.alert->alert_id;
        if (f.spec.mode != filter::OutputMode::kPlain) {
          Json lc = Json::array();
          for (const features::LightCurvePoint& p : pa.object->light_curve.detections) {
            lc.push_back({{"mjd", p.mjd}, {"band", p.band}, {"flux", NumberOrNull(p.flux)},
                          {"fluxErr", NumberOrNull(p.flux_err)}, {"mag", NumberOrNull(p.mag)},
                          {"magErr", NumberOrNull(p.mag_err)}, {"sourceId", p.source_id}});
          }
          msg["lightcurve"] = std::move(lc);
        }
        if (f.spec.mode == filter::OutputMode::kFull) msg["alert"] = AlertFields(*pa.alert);
        const std::string text = msg.dump(-1, ' ', false, Json::error_handler_t::replace);
        {
          std::lock_guard lock(mu_);
          auto& [quota_day, used] = quota_day_bytes_[f.key];
          if (quota_day != day) quota_day = day, used = 0;
          if (f.spec.daily_quota_bytes && used + text.size() > f.spec.daily_quota_bytes) {
            ++c.over_quota;
            continue;
          }
          used += text.size();
        }
        ++c.matches;
        c.bytes += text.size();
        std::string key = f.key;
        key.push_back('\0');
        store::AppendBigEndian64(static_cast<uint64_t>(pa.alert->alert_id), &key);
        ws.Put(store::Table::kFilterResults, key, text);
        if (options_.producer != nullptr) {
          RETURN_IF_ERROR(options_.producer->Produce(f.spec.topic(), pa.alert->object_id, text));
        }
      }
    }
  }
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, d] : delta) {
      FilterCounters& c = counters_[key];
      c.matches += d.matches;
      c.bytes += d.bytes;
      c.over_budget += d.over_budget;
      c.over_quota += d.over_quota;
      c.errors += d.errors;
    }
  }
  if (ws.count() == 0) return Status::Ok();
  return store_->Write(&ws);
}

Status FilterSink::Flush() {
  return options_.producer != nullptr ? options_.producer->Flush(120000) : Status::Ok();
}

size_t FilterSink::active_filters() const {
  std::lock_guard lock(mu_);
  return loaded_->filters.size();
}

std::map<std::string, FilterCounters> FilterSink::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

std::string FilterSink::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

}  // namespace lantern::pipeline
