// `lantern bench decode [--schema-dir DIR] PATH... [--seconds S] [--json]`: decode throughput
// of packets held in memory, one thread, full path (framing, Avro, survey mapping).
#include <chrono>
#include <cstdio>
#include <fmt/format.h>

#include "cli/commands.h"
#include "core/file.h"
#include "survey/alert_decoder.h"

namespace lantern::cli {
namespace {

struct BenchDecodeOptions {
  std::vector<std::string> paths;
  std::string schema_dir;
  double seconds = 3;
  bool json = false;
};

int RunBenchDecode(const BenchDecodeOptions& opt) {
  auto files = ExpandPaths(opt.paths, {".avro"});
  if (!files.ok()) {
    fmt::print(stderr, "lantern bench decode: {}\n", files.status().message());
    return 2;
  }
  std::vector<std::shared_ptr<const std::string>> packets;
  size_t total_bytes = 0;
  for (const std::string& f : *files) {
    auto bytes = ReadFile(f);
    if (!bytes.ok()) {
      fmt::print(stderr, "lantern bench decode: {}\n", bytes.status().message());
      return 2;
    }
    total_bytes += bytes->size();
    packets.push_back(std::make_shared<const std::string>(std::move(bytes).value()));
  }
  codec::SchemaCache cache;
  std::unique_ptr<codec::SchemaResolver> resolver;
  if (!opt.schema_dir.empty()) resolver = codec::MakeSchemaResolver(opt.schema_dir);
  survey::AlertDecoder decoder(&cache, resolver.get());

  // One untimed pass: counts alerts, rejects undecodable input, warms caches.
  size_t alerts_per_pass = 0;
  for (size_t i = 0; i < packets.size(); ++i) {
    const Status st = decoder.Decode(packets[i], [&](alert::Alert&&, const codec::DecodedRecord&) {
      ++alerts_per_pass;
    });
    if (!st.ok()) {
      fmt::print(stderr, "lantern bench decode: {}: {}\n", (*files)[i], st.message());
      return 1;
    }
  }
  if (alerts_per_pass == 0) {
    fmt::print(stderr, "lantern bench decode: no alerts in the given files\n");
    return 1;
  }

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(opt.seconds);
  size_t alerts = 0, bytes = 0, passes = 0;
  double checksum = 0;  // keeps the decoded values observable
  do {
    for (const auto& p : packets) {
      (void)decoder.Decode(p, [&](alert::Alert&& a, const codec::DecodedRecord&) {
        checksum += a.detection.ra + static_cast<double>(a.prv_detections.size());
        ++alerts;
      });
      bytes += p->size();
    }
    ++passes;
  } while (Clock::now() < deadline);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const double rate = static_cast<double>(alerts) / elapsed;
  const double mb = static_cast<double>(bytes) / 1e6 / elapsed;
  if (opt.json) {
    fmt::print("{{\"tool\":\"lantern\",\"alerts_per_s\":{:.1f},\"mb_per_s\":{:.2f},\"alerts\":{},"
               "\"files\":{},\"bytes\":{},\"passes\":{},\"seconds\":{:.3f},\"checksum\":{}}}\n",
               rate, mb, alerts_per_pass, packets.size(), total_bytes, passes, elapsed, checksum);
  } else {
    fmt::print("decoded {} alerts ({} files, {:.1f} MB) x {} passes in {:.2f} s: {:.0f} alerts/s, "
               "{:.1f} MB/s (one thread)\n",
               alerts_per_pass, packets.size(), total_bytes / 1e6, passes, elapsed, rate, mb);
  }
  return 0;
}

}  // namespace

void AddBench(CLI::App& app) {
  CLI::App* bench = app.add_subcommand("bench", "Micro-benchmarks of Lantern's stages");
  bench->require_subcommand(1);
  auto opt = std::make_shared<BenchDecodeOptions>();
  CLI::App* decode = bench->add_subcommand("decode", "Decode throughput of alert packets (one thread)");
  decode->add_option("paths", opt->paths, "Alert files or directories")->required();
  decode->add_option("--schema-dir", opt->schema_dir, "Schema folder or registry URL");
  decode->add_option("--seconds", opt->seconds, "How long to run")->check(CLI::PositiveNumber);
  decode->add_flag("--json", opt->json, "Print one JSON object (alerts_per_s, mb_per_s, ...)");
  decode->callback([opt] { SetExitCode(RunBenchDecode(*opt)); });
}

}  // namespace lantern::cli
