#include "pipeline/filter_sink.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "filter/batch.h"
#include "filter/filter.h"
#include "filter/registry.h"
#include "pipeline/python_filter.h"
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

}  // namespace

struct FilterSink::Loaded {
  struct Entry {
    filter::FilterSpec spec;
    filter::CompiledFilter compiled;
    std::string key;  // owner.name
  };
  std::vector<Entry> filters;  // active ones
  struct PythonEntry {
    filter::FilterSpec spec;
    std::string key;  // owner.name
    std::shared_ptr<PythonFilter> function;
  };
  std::vector<PythonEntry> python;  // active and not disabled
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
  std::map<std::string, std::shared_ptr<PythonFilter>> python;
  for (const filter::FilterSpec& spec : *specs) {
    if (!spec.active) continue;
    if (spec.kind == filter::FilterKind::kPython) {
      if (!spec.disabled_reason.empty()) continue;
      const std::string key = spec.owner + "." + spec.name;
      std::shared_ptr<PythonFilter>& function = python[key];
      // A running pool is kept while the source is the same and it has not failed.
      if (auto it = python_.find(key);
          it != python_.end() && it->second->source() == spec.python && !it->second->disabled()) {
        function = it->second;
      } else {
        function = std::make_shared<PythonFilter>(spec.owner + "/" + spec.name, spec.python,
                                                  options_.python, options_.python_workers);
      }
      next->python.push_back({spec, key, function});
      continue;
    }
    auto compiled = filter::CompileFilter(spec.selected, spec.tables, spec.conditions,
                                          filter::Schema::For(spec.survey));
    if (!compiled.ok()) {
      last_error_ = fmt::format("{}.{}: {}", spec.owner, spec.name, compiled.status().ToString());
      std::fprintf(stderr, "lantern run: filter %s\n", last_error_.c_str());
      continue;
    }
    next->filters.push_back({spec, std::move(compiled).value(), spec.owner + "." + spec.name});
  }
  python_ = std::move(python);  // pools no longer listed end with their last batch
  std::fprintf(stderr, "lantern run: %zu active filters\n",
               next->filters.size() + next->python.size());
  loaded_ = next;
  return loaded_;
}

void FilterSink::RecordDisabled(const std::string& key, const std::string& owner,
                                const std::string& name, const std::string& reason) {
  {
    std::lock_guard lock(mu_);
    FilterCounters& c = counters_[key];
    if (!c.disabled_reason.empty()) return;  // recorded by another worker
    c.disabled_reason = reason;
  }
  std::fprintf(stderr, "lantern run: filter %s disabled: %s\n", key.c_str(), reason.c_str());
  std::lock_guard lock(registry_mu_);
  Status st = filter::DisableInRegistry(options_.registry_path, owner, name, reason);
  if (!st.ok()) {
    std::fprintf(stderr, "lantern run: filter %s: %s\n", key.c_str(), st.ToString().c_str());
  }
}

Status FilterSink::Write(const ProcessedBatch& batch) {
  const std::shared_ptr<const Loaded> loaded = Current();
  if ((loaded->filters.empty() && loaded->python.empty()) || batch.alerts.empty()) {
    return Status::Ok();
  }

  std::vector<std::vector<const WatchlistHit*>> hits(batch.alerts.size());
  for (const WatchlistHit& h : batch.watchlist_hits) {
    if (h.alert < hits.size()) hits[h.alert].push_back(&h);
  }
  const std::string utc = UtcNow();
  const int64_t day = static_cast<int64_t>(std::time(nullptr) / 86400);
  store::WriteSet ws(*store_);
  std::map<std::string, FilterCounters> delta;

  // One match of filter (spec, key) on alert pa: finish its message, apply the quota, store
  // it and send it.
  auto emit = [&](const filter::FilterSpec& spec, const std::string& key, const ProcessedAlert& pa,
                  Json msg, FilterCounters& c) -> Status {
    msg["UTC"] = utc;
    msg["alertId"] = pa.alert->alert_id;
    if (spec.mode != filter::OutputMode::kPlain) {
      msg["lightcurve"] = LightCurveJson(pa.object->light_curve);
    }
    if (spec.mode == filter::OutputMode::kFull) msg["alert"] = AlertFieldsJson(*pa.alert);
    const std::string text = msg.dump(-1, ' ', false, Json::error_handler_t::replace);
    {
      std::lock_guard lock(mu_);
      auto& [quota_day, used] = quota_day_bytes_[key];
      if (quota_day != day) quota_day = day, used = 0;
      if (spec.daily_quota_bytes && used + text.size() > spec.daily_quota_bytes) {
        ++c.over_quota;
        return Status::Ok();
      }
      used += text.size();
    }
    ++c.matches;
    c.bytes += text.size();
    std::string row_key = key;
    row_key.push_back('\0');
    store::AppendBigEndian64(static_cast<uint64_t>(pa.alert->alert_id), &row_key);
    ws.Put(store::Table::kFilterResults, row_key, text);
    if (options_.producer != nullptr) {
      RETURN_IF_ERROR(options_.producer->Produce(spec.topic(), pa.alert->object_id, text));
    }
    return Status::Ok();
  };

  for (alert::Survey survey : {alert::Survey::kZtf, alert::Survey::kLsst}) {
    std::vector<size_t> alert_of_row;
    for (size_t i = 0; i < batch.alerts.size(); ++i) {
      const ProcessedAlert& pa = batch.alerts[i];
      if (pa.alert != nullptr && pa.alert->survey == survey) alert_of_row.push_back(i);
    }
    if (alert_of_row.empty()) continue;
    const bool any_sql =
        std::any_of(loaded->filters.begin(), loaded->filters.end(),
                    [&](const Loaded::Entry& f) { return f.spec.survey == survey; });
    if (any_sql) {
      // One row per alert of this survey: the object as this alert left it.
      filter::BatchBuilder builder(filter::Schema::For(survey));
      for (size_t i : alert_of_row) {
        const ProcessedAlert& pa = batch.alerts[i];
        const size_t row = builder.AddObject(pa.alert->object_id, pa.features, pa.object->ra,
                                             pa.object->dec, pa.object->context_json);
        for (const WatchlistHit* h : hits[i]) {
          builder.AddWatchlistHit(h->watchlist_id, row, h->sep_arcsec, h->target);
        }
      }
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
          const std::span<const filter::Value> values = matches->values(m);
          for (size_t k = 0; k < columns.size() && k < values.size(); ++k) {
            msg[columns[k]] = ToJson(values[k]);
          }
          RETURN_IF_ERROR(emit(f.spec, f.key, pa, std::move(msg), c));
        }
      }
    }
    // Python functions: the alerts as JSON once, then each function over all of them.
    std::vector<PythonAlert> alert_json;
    for (const Loaded::PythonEntry& f : loaded->python) {
      if (f.spec.survey != survey || f.function->disabled()) continue;
      if (alert_json.empty()) {
        for (size_t i : alert_of_row) {
          alert_json.push_back(MakePythonAlert(batch.alerts[i], hits[i]));
        }
      }
      FilterCounters& c = delta[f.key];
      auto results = f.function->Run(alert_json);
      if (!results.ok()) {
        ++c.errors;
        if (f.function->disabled()) {
          RecordDisabled(f.key, f.spec.owner, f.spec.name, f.function->reason());
        } else {
          std::lock_guard lock(mu_);
          last_error_ = f.key + ": " + results.status().ToString();
        }
        continue;
      }
      for (size_t r = 0; r < results->size(); ++r) {
        const PythonResult& pr = (*results)[r];
        if (!pr.match) continue;
        const ProcessedAlert& pa = batch.alerts[alert_of_row[r]];
        Json msg = {{"objectId", pa.alert->object_id}};
        if (!pr.annotation.is_null()) msg["annotation"] = pr.annotation;
        RETURN_IF_ERROR(emit(f.spec, f.key, pa, std::move(msg), c));
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
  return loaded_->filters.size() + loaded_->python.size();
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
