// Decode benchmarks on the real ZTF packets with cutouts (../shared/data): the Avro layer
// alone (container framing + datum), and the full decode stage (plus survey mapping).
// Items are alerts, bytes are packet bytes. Peers (fastavro, avro-c) run in
// bench/compare_decode.py on the same files.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "codec/packet.h"
#include "core/file.h"
#include "survey/alert_decoder.h"

namespace {

using lantern::codec::DecodedRecord;

struct Packets {
  std::vector<std::shared_ptr<const std::string>> files;
  size_t bytes = 0;
};

const Packets& ZtfPackets() {
  static const Packets packets = [] {
    Packets p;
    const char* env = std::getenv("LANTERN_SHARED_DATA");
    const std::string root = env ? env : LANTERN_SHARED_DATA_DEFAULT;
    // The native ZTF files holding one alert with three cutouts: the same set as
    // bench/compare_decode.py --set ztf-cutouts (MANIFEST rows with n_cutouts == 3).
    auto files = lantern::ExpandPaths({root + "/ztf/alerts/native"}, {".avro"});
    if (!files.ok()) return p;
    lantern::codec::SchemaCache cache;
    lantern::survey::AlertDecoder decoder(&cache, nullptr);
    for (const std::string& f : *files) {
      auto bytes = lantern::ReadFile(f);
      if (!bytes.ok()) continue;
      auto shared = std::make_shared<const std::string>(std::move(bytes).value());
      size_t alerts = 0, cutouts = 0;
      (void)decoder.Decode(shared, [&](lantern::alert::Alert&& a, const DecodedRecord&) {
        ++alerts;
        cutouts += a.cutouts.size();
      });
      if (alerts != 1 || cutouts != 3) continue;
      p.bytes += shared->size();
      p.files.push_back(std::move(shared));
    }
    return p;
  }();
  return packets;
}

void BM_DecodeAvro(benchmark::State& state) {
  const Packets& p = ZtfPackets();
  if (p.files.empty()) return state.SkipWithError("no ZTF files under LANTERN_SHARED_DATA");
  lantern::codec::SchemaCache cache;
  lantern::codec::PacketDecoder decoder(&cache, nullptr);
  int64_t alerts = 0;
  for (auto _ : state) {
    for (const auto& f : p.files) {
      (void)decoder.DecodeAll(f, [&](DecodedRecord&& r) {
        benchmark::DoNotOptimize(r.datum.get());
        ++alerts;
      });
    }
  }
  state.SetItemsProcessed(alerts);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * p.bytes));
}
BENCHMARK(BM_DecodeAvro)->Unit(benchmark::kMillisecond);

void BM_DecodeAlerts(benchmark::State& state) {
  const Packets& p = ZtfPackets();
  if (p.files.empty()) return state.SkipWithError("no ZTF files under LANTERN_SHARED_DATA");
  lantern::codec::SchemaCache cache;
  lantern::survey::AlertDecoder decoder(&cache, nullptr);
  int64_t alerts = 0;
  for (auto _ : state) {
    for (const auto& f : p.files) {
      (void)decoder.Decode(f, [&](lantern::alert::Alert&& a, const DecodedRecord&) {
        benchmark::DoNotOptimize(a.detection.ra);
        ++alerts;
      });
    }
  }
  state.SetItemsProcessed(alerts);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * p.bytes));
}
BENCHMARK(BM_DecodeAlerts)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
