// `lantern query`: runs one filter (docs/filters.md) over every object in the store — the
// historical engine. Objects are read from the objects table in chunks of --chunk into
// filter::Batches and run through the same CompiledFilter as the stream; watchlist hits come
// from the watchlist_hits table. Without ORDER BY rows print as they are found (stopping after
// --offset + --limit); with ORDER BY all matches are collected and sorted first.
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/store_query.h"
#include "filter/filter.h"
#include "filter/parser.h"
#include "store/keys.h"
#include "store/object_record.h"
#include "store/store.h"

namespace lantern::cli {
namespace {

using Json = nlohmann::ordered_json;  // columns in SELECT order

struct QueryOptions {
  StoreQueryOptions store;
  std::string survey = "ztf";
  std::string selected, tables = "objects", conditions, query;
};

int Fail(const Status& st) {
  std::fprintf(stderr, "lantern query: %s\n", st.ToString().c_str());
  return 1;
}

Json ToJson(const filter::Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return nullptr;
}

std::string ToText(const filter::Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.10g", *d);
    return buf;
  }
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return "NULL";
}

// Nearest hit per object key for each watchlist the filter names.
using Hits = std::map<std::string, std::pair<double, std::string>, std::less<>>;

Result<std::map<uint32_t, Hits>> LoadWatchlistHits(const store::Store& db,
                                                   const filter::CompiledFilter& f) {
  std::map<uint32_t, Hits> out;
  for (const std::string& key : f.table_keys()) {
    if (key.rfind("watchlist:", 0) != 0) continue;
    const uint32_t id = static_cast<uint32_t>(std::stoul(key.substr(10)));
    std::string prefix;
    for (int shift = 24; shift >= 0; shift -= 8) prefix.push_back(static_cast<char>(id >> shift));
    Hits& hits = out[id];
    RETURN_IF_ERROR(db.ScanPrefix(store::Table::kWatchlistHits, prefix,
                                  [&](std::string_view k, std::string_view v) {
      // key: id (4) | object key (survey, id, NUL) | alert id (8)
      if (k.size() < 4 + 8) return true;
      const std::string object_key(k.substr(4, k.size() - 12));
      const Json hit = Json::parse(v, nullptr, false);
      if (!hit.is_object()) return true;
      const double arcsec = hit.value("arcsec", 0.0);
      auto it = hits.find(object_key);
      if (it == hits.end() || arcsec < it->second.first) {
        hits[object_key] = {arcsec, hit.value("name", std::string())};
      }
      return true;
    }));
  }
  return out;
}

}  // namespace

Result<size_t> RunOverStore(const filter::CompiledFilter& f, alert::Survey survey,
                            const StoreQueryOptions& o) {
  const filter::Schema& schema = filter::Schema::For(survey);
  for (const std::string& key : f.table_keys()) {
    if (key.rfind("area:", 0) == 0 || key.rfind("annotator:", 0) == 0 || key == "crossmatch_tns") {
      return Status(StatusCode::kUnimplemented, "table " + key +
                                " is not kept in the store yet (watchmaps, annotations and TNS "
                                "come with the stream)");
    }
  }
  if (!std::filesystem::exists(std::filesystem::path(o.dir) / "CURRENT")) {
    return NotFound("no store in " + o.dir + " (run `lantern run` first, or pass --data-dir)");
  }
  store::StoreOptions so;
  so.read_only = true;
  auto db = store::Store::Open(o.dir, so);
  if (!db.ok()) return db.status();
  auto watchlists = LoadWatchlistHits(**db, f);
  if (!watchlists.ok()) return watchlists.status();

  size_t seen = 0, printed = 0;
  bool header = false;
  auto print = [&](std::span<const filter::Value> values) {
    if (seen++ < o.offset) return;
    if (printed >= o.limit) return;
    ++printed;
    if (o.json) {
      Json row = Json::object();
      for (size_t c = 0; c < values.size(); ++c) row[f.column_names()[c]] = ToJson(values[c]);
      std::printf("%s\n", row.dump().c_str());
      return;
    }
    if (!header) {
      for (size_t c = 0; c < f.column_names().size(); ++c) {
        std::printf("%s%s", c ? "\t" : "", f.column_names()[c].c_str());
      }
      std::printf("\n");
      header = true;
    }
    for (size_t c = 0; c < values.size(); ++c) {
      std::printf("%s%s", c ? "\t" : "", ToText(values[c]).c_str());
    }
    std::printf("\n");
  };

  filter::Matches all;
  filter::BatchBuilder builder(schema);
  std::vector<std::string> keys;
  Status run_status;
  bool done = false;
  auto flush = [&]() {
    filter::Batch batch = builder.Finish();
    auto m = f.Run(batch);
    keys.clear();
    if (!m.ok()) {
      run_status = m.status();
      return;
    }
    if (f.ordered()) {
      filter::CompiledFilter::Append(std::move(*m), &all);
    } else {
      for (size_t i = 0; i < m->size(); ++i) print(m->values(i));
      done = printed >= o.limit;
    }
  };
  const std::string start = store::ObjectKey(survey, "").substr(0, 1);
  Status scan = (*db)->ScanPrefix(store::Table::kObjects, start,
                                  [&](std::string_view k, std::string_view v) {
    auto record = store::ParseObject(v);
    if (!record.ok()) {
      run_status = record.status().WithContext("object record");
      return false;
    }
    alert::Survey s;
    std::string_view id;
    if (!store::ParseObjectKey(k, &s, &id) || s != survey) return true;
    const size_t row = builder.AddObject(id, record->features, record->ra, record->dec,
                                         record->context_json);
    for (const auto& [wl, hits] : *watchlists) {
      auto it = hits.find(k);
      if (it != hits.end()) builder.AddWatchlistHit(wl, row, it->second.first, it->second.second);
    }
    keys.emplace_back(k);
    if (builder.rows() >= o.chunk) flush();
    return run_status.ok() && !done;
  });
  if (!scan.ok()) return scan;
  if (!run_status.ok()) return run_status;
  if (!done && builder.rows() > 0) flush();
  if (!run_status.ok()) return run_status;
  if (f.ordered()) {
    f.Sort(&all);
    for (size_t i = 0; i < all.size(); ++i) print(all.values(i));
  }
  return printed;
}

namespace {

int Query(const QueryOptions& o) {
  alert::Survey survey;
  if (o.survey == "ztf") {
    survey = alert::Survey::kZtf;
  } else if (o.survey == "lsst") {
    survey = alert::Survey::kLsst;
  } else {
    return Fail(InvalidArgument("--survey must be ztf or lsst, not " + o.survey));
  }
  auto query = o.query.empty() ? filter::Parse(o.selected, o.tables, o.conditions)
                               : filter::ParseSelect(o.query);
  if (!query.ok()) return Fail(query.status());
  auto compiled = filter::CompiledFilter::Compile(*query, filter::Schema::For(survey));
  if (!compiled.ok()) return Fail(compiled.status());
  auto printed = RunOverStore(*compiled, survey, o.store);
  if (!printed.ok()) return Fail(printed.status());
  if (!o.store.json) std::fprintf(stderr, "%zu rows\n", *printed);
  return 0;
}

}  // namespace

void AddQuery(CLI::App& app) {
  auto o = std::make_shared<QueryOptions>();
  CLI::App* cmd = app.add_subcommand(
      "query", "Run a Lasair-style SQL filter over the stored objects (docs/filters.md)");
  cmd->add_option("--selected", o->selected, "SELECT list, e.g. \"objects.objectId, gmag\"");
  cmd->add_option("--tables", o->tables,
                  "Tables: objects, sherlock_classifications, watchlist:<id> (default objects)");
  cmd->add_option("--conditions", o->conditions, "WHERE body, may contain ORDER BY");
  cmd->add_option("--query", o->query, "One SELECT ... FROM ... WHERE ... text instead");
  cmd->add_option("--survey", o->survey, "Schema: ztf (objectId) or lsst (diaObjectId)")
      ->capture_default_str();
  cmd->add_option("--limit", o->store.limit, "Rows to print")->capture_default_str();
  cmd->add_option("--offset", o->store.offset, "Rows to skip first")->capture_default_str();
  cmd->add_option("--chunk", o->store.chunk, "Objects per batch")->capture_default_str();
  cmd->add_flag("--json", o->store.json, "One JSON object per row");
  cmd->add_option("--data-dir", o->store.dir, "Store directory (default ./lantern-data)");
  cmd->callback([o] {
    if (o->query.empty() && o->selected.empty()) {
      std::fprintf(stderr, "lantern query: give --selected (with --tables, --conditions) or --query\n");
      SetExitCode(2);
      return;
    }
    SetExitCode(Query(*o));
  });
}

}  // namespace lantern::cli
