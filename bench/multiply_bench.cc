// stream::Multiplier on real packets: copies per second and output bytes per second when one
// ZTF container packet (schema 4.02 with cutouts and history, ) or a Rubin
// Confluent packet is copied to new objects. Google Benchmark; reads ../shared/data.
#include <benchmark/benchmark.h>

#include "core/file.h"
#include "stream/multiply.h"

namespace lantern {
namespace {

const std::string kData = LANTERN_SHARED_DATA_DEFAULT;

void BM_Copy(benchmark::State& state, const std::string& path) {
  auto bytes = ReadFile(kData + path);
  if (!bytes.ok()) {
    state.SkipWithError(bytes.status().ToString().c_str());
    return;
  }
  codec::SchemaDirectory schemas(kData + "/lsst/schema");
  stream::Multiplier m(&schemas);
  auto source = m.Parse(*bytes);
  if (!source.ok()) {
    state.SkipWithError(source.status().ToString().c_str());
    return;
  }
  uint64_t copy = 0, out_bytes = 0;
  for (auto _ : state) {
    auto c = m.Copy(**source, copy % 1000000, {1.5 * (copy % 7), -2.0});
    out_bytes += c->size();
    ++copy;
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(static_cast<int64_t>(copy));
  state.SetBytesProcessed(static_cast<int64_t>(out_bytes));
}

BENCHMARK_CAPTURE(BM_Copy, ztf_4_02,
                  "/ztf/alerts/native/boom/tests_data_alerts_ztf/"
                  "3005140370015010009.avro")->MinTime(0.5);
BENCHMARK_CAPTURE(BM_Copy, rubin_11_1_confluent,
                  "/lsst/alerts/pittgoogle_confluent_wire/lsst.v11_1.avro")->MinTime(0.5);

}  // namespace
}  // namespace lantern

BENCHMARK_MAIN();
