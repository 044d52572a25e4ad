// Output encodings (pipeline/outputs.h) on every real alert of ../shared/data (native ZTF,
// Fink multi-record and Rubin files): the enriched Avro alert of lantern.alerts, the JSON rows
// of the insert streams (the alert's detection and history rows) and the JSON object row.
// Items are alerts (rows for BM_RowJson), bytes are output bytes.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "codec/schema_source.h"
#include "core/file.h"
#include "features/features.h"
#include "features/light_curve.h"
#include "pipeline/outputs.h"
#include "survey/alert_decoder.h"

namespace lantern {
namespace {

struct Sample {
  std::vector<alert::Alert> alerts;
  std::vector<store::ObjectRecord> objects;
  std::vector<pipeline::ProcessedAlert> processed;
};

const Sample& Alerts() {
  static const Sample sample = [] {
    Sample s;
    const char* env = std::getenv("LANTERN_SHARED_DATA");
    const std::string root = env ? env : LANTERN_SHARED_DATA_DEFAULT;
    auto files = ExpandPaths({root + "/ztf/alerts/native", root + "/ztf/alerts/fink_multi",
                              root + "/lsst/alerts"},
                             {".avro"});
    if (!files.ok()) return s;
    codec::SchemaCache cache;
    codec::SchemaDirectory schemas(root + "/lsst/schema");
    survey::AlertDecoder decoder(&cache, &schemas);
    for (const std::string& f : *files) {
      auto bytes = ReadFile(f);
      if (!bytes.ok()) continue;
      auto shared = std::make_shared<const std::string>(std::move(bytes).value());
      (void)decoder.Decode(shared, [&](alert::Alert&& a, const codec::DecodedRecord&) {
        for (alert::Cutout& c : a.cutouts) c.ref = "cutout/" + std::to_string(a.alert_id);
        s.alerts.push_back(std::move(a));
      });
    }
    s.objects.reserve(s.alerts.size());
    for (const alert::Alert& a : s.alerts) {
      store::ObjectRecord o;
      o.light_curve = features::FromAlert(a);
      o.features = features::ComputeForAlert(a);
      o.ra = a.detection.ra;
      o.dec = a.detection.dec;
      o.latest_alert_id = a.alert_id;
      o.context_json = R"({"catalog":"demo","name":"NGC 1","sep_arcsec":1.25})";
      s.objects.push_back(std::move(o));
    }
    for (size_t i = 0; i < s.alerts.size(); ++i) {
      pipeline::ProcessedAlert p;
      p.alert = &s.alerts[i];
      p.object = &s.objects[i];
      p.features = s.objects[i].features;
      s.processed.push_back(std::move(p));
    }
    return s;
  }();
  return sample;
}

void BM_EnrichedAlert(benchmark::State& state) {
  const Sample& s = Alerts();
  if (s.alerts.empty()) return state.SkipWithError("no alerts under LANTERN_SHARED_DATA");
  const pipeline::WatchlistHit hit{0, 7, "SN 2024abc", 0.5};
  std::string out;
  int64_t bytes = 0;
  for (auto _ : state) {
    for (const pipeline::ProcessedAlert& p : s.processed) {
      pipeline::EncodeEnrichedAlert(p, {&hit, 1}, &out);
      bytes += static_cast<int64_t>(out.size());
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * s.processed.size()));
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_EnrichedAlert)->Unit(benchmark::kMillisecond);

void BM_RowJson(benchmark::State& state) {
  const Sample& s = Alerts();
  if (s.alerts.empty()) return state.SkipWithError("no alerts under LANTERN_SHARED_DATA");
  std::string out;
  int64_t rows = 0, bytes = 0;
  for (auto _ : state) {
    for (const alert::Alert& a : s.alerts) {
      auto row = [&](const alert::FieldRecord& raw, double mjd, const std::string& band) {
        out.clear();
        pipeline::AppendRowJson(a.survey, a.object_id, raw, mjd, band, &out);
        bytes += static_cast<int64_t>(out.size());
        ++rows;
      };
      row(a.detection.raw, a.detection.mjd, a.detection.band);
      for (const auto& d : a.prv_detections) row(d.raw, d.mjd, d.band);
      for (const auto& f : a.forced) row(f.raw, f.mjd, f.band);
      for (const auto& n : a.nondetections) row(n.raw, n.mjd, n.band);
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetItemsProcessed(rows);
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_RowJson)->Unit(benchmark::kMillisecond);

// The insert-stream messages of every row of every alert as the Kafka sink builds them:
// argument 0 = JSON arrays (the default), 1 = Avro arrays (--insert-format avro). Items are
// rows; the bytes_per_row counter is the messages' size per row.
void BM_RowArrays(benchmark::State& state) {
  const Sample& s = Alerts();
  if (s.alerts.empty()) return state.SkipWithError("no alerts under LANTERN_SHARED_DATA");
  const std::vector<pipeline::StoredRow> rows = pipeline::EveryRowOf(s.alerts);
  const bool avro = state.range(0) == 1;
  pipeline::InsertRowSchemas schemas;
  int64_t bytes = 0;
  auto emit = [&](store::Table, std::string_view, std::string_view message) {
    bytes += static_cast<int64_t>(message.size());
    return Status::Ok();
  };
  auto no_publish = [](const pipeline::InsertRowSchema&) { return Status::Ok(); };
  for (auto _ : state) {
    const Status st =
        avro ? pipeline::ForEachAvroRowArray(rows, pipeline::kMaxRowArrayBytes, &schemas,
                                             no_publish, emit)
             : pipeline::ForEachRowArray(rows, pipeline::kMaxRowArrayBytes, emit);
    if (!st.ok()) return state.SkipWithError(st.ToString().c_str());
  }
  const int64_t total_rows = static_cast<int64_t>(state.iterations() * rows.size());
  state.SetItemsProcessed(total_rows);
  state.SetBytesProcessed(bytes);
  state.counters["bytes_per_row"] = static_cast<double>(bytes) / static_cast<double>(total_rows);
  state.SetLabel(avro ? "avro" : "json");
}
BENCHMARK(BM_RowArrays)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_ObjectRowJson(benchmark::State& state) {
  const Sample& s = Alerts();
  if (s.alerts.empty()) return state.SkipWithError("no alerts under LANTERN_SHARED_DATA");
  std::string out;
  int64_t bytes = 0;
  for (auto _ : state) {
    for (const store::ObjectRecord& o : s.objects) {
      out.clear();
      pipeline::AppendObjectRowJson(o, &out);
      bytes += static_cast<int64_t>(out.size());
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * s.objects.size()));
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_ObjectRowJson)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace lantern

BENCHMARK_MAIN();
