// Level 1 end to end from packets in memory: real ZTF alerts (../shared/data native files)
// multiplied into new objects by stream::Multiplier — every copy gets a new objectId, candid
// and sky position (its whole history moved with it) and keeps ZTF's framing (an Avro
// container per packet, as ZTF's Kafka messages are) — through decode → cutouts → associate → features → crossmatch
// against a generated catalogue → watchlist → the RocksDB store, with 1 or 2 worker threads.
// Copies are made in chunks outside the timed region; the rate is alerts over the time spent
// in pipeline::Run. RocksDB's flushes and compactions are paused while a chunk is made (the
// pause waits for running ones inside the timed region), so their time is all measured.
// Prints one JSON object. bench/level1_bench.py runs the set-ups of
// docs/benchmarks.md (and the dd reference) side by side.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "codec/container.h"
#include "codec/packet.h"
#include "core/file.h"
#include "pipeline/annotators.h"
#include "pipeline/runner.h"
#include "sky/geometry.h"
#include "stream/multiply.h"

namespace lantern {
namespace {

using Clock = std::chrono::steady_clock;

struct Base {
  std::shared_ptr<const stream::Multiplier::Source> source;
  double ra = 0, dec = 0;
};

uint64_t ProcWriteBytes() {
  std::ifstream io("/proc/self/io");
  std::string key;
  uint64_t value = 0;
  while (io >> key >> value) {
    if (key == "write_bytes:") return value;
  }
  return 0;
}

// User + system seconds of every thread of this process (or of the calling thread) so far.
double CpuSeconds(int who = RUSAGE_SELF) {
  rusage ru{};
  getrusage(who, &ru);
  auto seconds = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec * 1e-6; };
  return seconds(ru.ru_utime) + seconds(ru.ru_stime);
}
double ProcessCpuSeconds() { return CpuSeconds(RUSAGE_SELF); }

// CPU seconds so far of this process's live threads, by thread name (RocksDB names its flush
// threads "rocksdb:high" and its compaction threads "rocksdb:low").
std::map<std::string, double> CpuSecondsByThreadName() {
  std::map<std::string, double> out;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream stat(task.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // pid (comm) state ... : utime and stime are fields 14 and 15, the 12th and 13th after ")".
    const size_t open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 1));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 1; i <= 13 && rest >> field; ++i) {
      if (i == 12) utime = std::stod(field);
      if (i == 13) stime = std::stod(field);
    }
    out[line.substr(open + 1, close - open - 1)] += (utime + stime) / tick;
  }
  return out;
}

struct Options {
  std::string data = LANTERN_SHARED_DATA_DEFAULT;
  std::string dir = "/tmp/lantern-level1-bench";
  uint64_t alerts = 20000;
  size_t chunk = 4000;
  int threads = 2;
  std::string cutouts = "count";
  std::string history = "select";
  size_t catalog = 1000000;
  size_t watchlist = 100000;
  size_t batch = 256;
  uint64_t seed = 1;
  bool no_alerts_table = false;
  bool no_wal = false;
  bool buffered_io = false;
  bool unpaused = false;
  bool discard_writes = false;
};

int Main(const Options& opt) {
  // Base packets: every native ZTF alert.
  auto files = ExpandPaths({opt.data + "/ztf/alerts/native"}, {".avro"});
  if (!files.ok()) {
    std::fprintf(stderr, "%s\n", files.status().ToString().c_str());
    return 1;
  }
  codec::SchemaCache cache;
  codec::PacketDecoder decoder(&cache, nullptr);
  stream::Multiplier multiplier(nullptr);
  std::vector<Base> bases;
  for (const std::string& f : *files) {
    auto bytes = ReadFile(f);
    if (!bytes.ok()) continue;
    auto shared = std::make_shared<const std::string>(std::move(bytes).value());
    auto reader = codec::ContainerReader::Open(shared);
    if (!reader.ok()) continue;
    std::vector<codec::DecodedRecord> records;
    (void)decoder.DecodeAll(shared, [&](codec::DecodedRecord&& r) { records.push_back(r); });
    for (const codec::DecodedRecord& r : records) {
      const codec::Value cand = r.datum->root().Field("candidate");
      if (!cand.valid() || !r.datum->root().Field("objectId").valid()) continue;
      // One alert per packet, as ZTF sends them: a record of a multi-record file gets its own.
      std::string packet = *shared;
      if (records.size() > 1) {
        codec::ContainerWriter writer(std::string(reader->header().schema_json),
                                      codec::Codec::kNull);
        writer.Append(r.datum->bytes());
        auto file = writer.Finish();
        if (!file.ok()) continue;
        packet = std::move(file).value();
      }
      auto source = multiplier.Parse(packet);
      if (!source.ok()) continue;
      bases.push_back({*source, cand.Field("ra").AsDouble(), cand.Field("dec").AsDouble()});
    }
  }
  std::fprintf(stderr, "level1_bench: %zu base ZTF alerts\n", bases.size());

  // Catalogue and watchlist.
  std::mt19937_64 rng(opt.seed);
  std::uniform_real_distribution<double> u(0, 1);
  auto random_point = [&] {
    return sky::SkyPoint{360 * u(rng), std::asin(2 * u(rng) - 1) * sky::kRadToDeg};
  };
  const auto t_setup = Clock::now();
  std::vector<sky::ContextCatalog> catalogs;
  {
    std::vector<double> ra(opt.catalog), dec(opt.catalog), mag(opt.catalog), z(opt.catalog);
    std::vector<int64_t> ids(opt.catalog);
    sky::ContextCatalog c;
    c.name = "generated";
    c.category.resize(opt.catalog);
    for (size_t i = 0; i < opt.catalog; ++i) {
      const sky::SkyPoint p = random_point();
      ra[i] = p.ra_deg;
      dec[i] = p.dec_deg;
      ids[i] = static_cast<int64_t>(i);
      const bool galaxy = u(rng) < 0.7;
      c.category[i] = galaxy ? sky::ObjectCategory::kGalaxy : sky::ObjectCategory::kStar;
      mag[i] = galaxy ? 17 + 5 * u(rng) : 9 + 12 * u(rng);
      z[i] = galaxy ? 0.01 + 0.3 * u(rng) : std::nan("");
    }
    auto cat = sky::Catalog::FromPositions(std::move(ra), std::move(dec),
                                           sky::IdColumn::Ints(std::move(ids)));
    if (!cat.ok()) return 1;
    c.catalog = std::move(cat).value();
    c.mag = std::move(mag);
    c.z = std::move(z);
    catalogs.push_back(std::move(c));
  }
  auto classifier = sky::ContextClassifier::Build(std::move(catalogs));
  if (!classifier.ok()) {
    std::fprintf(stderr, "%s\n", classifier.status().ToString().c_str());
    return 1;
  }
  pipeline::SkyContextAnnotator context(std::move(classifier).value());
  std::vector<sky::WatchTarget> targets(opt.watchlist);
  for (size_t i = 0; i < targets.size(); ++i) {
    const sky::SkyPoint p = random_point();
    targets[i] = {fmt::format("t{}", i), p.ra_deg, p.dec_deg,
                  std::exp(std::log(1.0) + (std::log(1800.0) - std::log(1.0)) * u(rng) * u(rng))};
  }
  auto wl = sky::Watchlist::Build(1, "bench", std::move(targets));
  if (!wl.ok()) return 1;
  pipeline::SkyWatchlistMatcher watchlist(std::move(wl).value());
  const double setup_s = std::chrono::duration<double>(Clock::now() - t_setup).count();

  // Store.
  std::filesystem::remove_all(opt.dir);
  store::StoreOptions store_options;
  store_options.wal = !opt.no_wal;
  store_options.direct_io = !opt.buffered_io;
  auto db = store::Store::Open(opt.dir + "/store", store_options);
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", db.status().ToString().c_str());
    return 1;
  }
  auto mode = store::ParseCutoutMode(opt.cutouts);
  auto history = pipeline::ParseHistoryStrategy(opt.history);
  if (!mode.ok() || !history.ok()) return 1;
  store::CutoutStore cutouts(db->get(), *mode, opt.dir + "/cutouts");
  pipeline::Metrics metrics;
  pipeline::Level1Options l1o;
  l1o.history = *history;
  l1o.store_alerts = !opt.no_alerts_table;
  l1o.apply_writes = !opt.discard_writes;
  pipeline::Level1 level1(db->get(), &cutouts, &cache, nullptr, &metrics, l1o);
  level1.set_context(&context);
  level1.add_watchlists(&watchlist);

  double run_s = 0, cpu_s = 0;  // wall and process CPU (every thread) in the timed parts
  uint64_t packet_bytes = 0, done = 0, disk_written = 0, largest_chunk_bytes = 0;
  // The whole process's CPU from the first chunk on, less this thread's while it makes chunks:
  // every other thread's time, whenever it ran (a check on the pause's accounting).
  double making_s = 0;
  const double all_cpu0 = ProcessCpuSeconds();
  while (done < opt.alerts) {
    const double making0 = CpuSeconds(RUSAGE_THREAD);
    std::vector<pipeline::Message> chunk;
    uint64_t chunk_bytes = 0;
    const uint64_t n = std::min<uint64_t>(opt.chunk, opt.alerts - done);
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t c = done + i;
      const Base& b = bases[c % bases.size()];
      const sky::SkyPoint p = random_point();
      // Copy number c: new objectId and ids for every copy, moved (with its history) to p.
      auto file = multiplier.Copy(*b.source, c, stream::OffsetBetween(b.ra, b.dec, p.ra_deg,
                                                                       p.dec_deg));
      if (!file.ok()) {
        std::fprintf(stderr, "%s\n", file.status().ToString().c_str());
        return 1;
      }
      pipeline::Message m;
      m.bytes = std::make_shared<const std::string>(std::move(file).value());
      m.origin = "bench";
      m.position = c;
      chunk_bytes += m.bytes->size();
      chunk.push_back(std::move(m));
    }
    packet_bytes += chunk_bytes;
    largest_chunk_bytes = std::max(largest_chunk_bytes, chunk_bytes);
    auto source = pipeline::MakeMemorySource(std::move(chunk));
    making_s += CpuSeconds(RUSAGE_THREAD) - making0;
    pipeline::RunnerOptions ro;
    ro.threads = opt.threads;
    ro.batch_size = opt.batch;
    ro.progress_seconds = 0;
    const uint64_t io0 = ProcWriteBytes();
    const double cpu0 = ProcessCpuSeconds();
    const auto t0 = Clock::now();
    if (done > 0 && !opt.unpaused) (void)(*db)->ResumeBackgroundWork();
    auto summary = pipeline::Run(source.get(), &level1, ro);
    if (!opt.unpaused) (void)(*db)->PauseBackgroundWork();
    run_s += std::chrono::duration<double>(Clock::now() - t0).count();
    cpu_s += ProcessCpuSeconds() - cpu0;
    disk_written += ProcWriteBytes() - io0;
    if (!summary.ok()) {
      std::fprintf(stderr, "%s\n", summary.status().ToString().c_str());
      return 1;
    }
    done += n;
    std::fprintf(stderr, "level1_bench: %llu/%llu alerts, %.0f alerts/s\n",
                 static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(opt.alerts), done / run_s);
  }
  // Include the final flush of memtables in the write volume and time.
  const uint64_t io0 = ProcWriteBytes();
  const double cpu0 = ProcessCpuSeconds();
  const auto t0 = Clock::now();
  if (!opt.unpaused) (void)(*db)->ResumeBackgroundWork();
  (void)(*db)->Flush();
  const double flush_s = std::chrono::duration<double>(Clock::now() - t0).count();
  cpu_s += ProcessCpuSeconds() - cpu0;
  disk_written += ProcWriteBytes() - io0;
  const double all_cpu_s = ProcessCpuSeconds() - all_cpu0 - making_s;

  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  uint64_t dir_bytes = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(opt.dir)) {
    if (e.is_regular_file()) dir_bytes += e.file_size();
  }
  nlohmann::json out = {
      {"alerts", done},
      {"threads", opt.threads},
      {"cutouts", opt.cutouts},
      {"history", opt.history},
      {"alerts_table", !opt.no_alerts_table},
      {"background_paused_between_chunks", !opt.unpaused},
      {"writes_applied", !opt.discard_writes},
      {"catalog_sources", opt.catalog},
      {"watchlist_targets", opt.watchlist},
      {"base_alerts", bases.size()},
      {"setup_seconds", setup_s},
      {"run_seconds", run_s},
      {"flush_seconds", flush_s},
      {"alerts_per_s", done / run_s},
      {"alerts_per_s_with_flush", done / (run_s + flush_s)},
      // CPU of every thread (workers, RocksDB's flushes and compactions) per alert: steadier
      // than the rate on a shared VM, and 2 cores at 50,000 alerts/s allow 40 µs.
      {"cpu_us_per_alert", cpu_s * 1e6 / done},
      {"cpu_us_per_alert_whole_run", all_cpu_s * 1e6 / done},
      {"packet_bytes_per_alert", static_cast<double>(packet_bytes) / done},
      {"store_bytes_per_alert", static_cast<double>(metrics.bytes_written.load()) / done},
      {"disk_write_bytes_per_alert", static_cast<double>(disk_written) / done},
      {"disk_write_mb_per_s", disk_written / (run_s + flush_s) / 1e6},
      {"dir_bytes_per_alert", static_cast<double>(dir_bytes) / done},
      {"cutout_bytes_per_alert", static_cast<double>(metrics.cutout_bytes.load()) / done},
      {"peak_rss_mb", ru.ru_maxrss / 1024.0},
      {"input_chunk_mb", largest_chunk_bytes / 1e6},  // packets held in memory, in the RSS
      {"context_matches", metrics.context_matches.load()},
      {"watchlist_hits", metrics.watchlist_hits.load()},
  };
  nlohmann::json stages = nlohmann::json::object();
  for (int i = 0; i < pipeline::kNumStages; ++i) {
    const auto s = static_cast<pipeline::Stage>(i);
    stages[std::string(pipeline::StageName(s))] = metrics.stage(s).busy_ns.load() * 1e-9;
  }
  out["stage_busy_seconds"] = stages;
  // RocksDB's background threads live as long as the store: their CPU over the whole run.
  nlohmann::json background = nlohmann::json::object();
  for (const auto& [name, seconds] : CpuSecondsByThreadName()) {
    if (name.rfind("rocksdb:", 0) == 0) background[name] = seconds * 1e6 / done;
  }
  out["background_cpu_us_per_alert"] = background;
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

}  // namespace
}  // namespace lantern

int main(int argc, char** argv) {
  lantern::Options opt;
  CLI::App app{"Level 1 pipeline benchmark from packets in memory (JSON on stdout)"};
  app.add_option("--data", opt.data, "Shared data directory");
  app.add_option("--dir", opt.dir, "Scratch directory for the store (wiped first)");
  app.add_option("--alerts", opt.alerts, "Alerts in all");
  app.add_option("--chunk", opt.chunk, "Alerts made per untimed chunk");
  app.add_option("--threads", opt.threads, "Worker threads");
  app.add_option("--cutouts", opt.cutouts, "rocksdb, files, count or none");
  app.add_option("--history", opt.history, "select or upsert");
  app.add_option("--catalog", opt.catalog, "Generated catalogue sources");
  app.add_option("--watchlist", opt.watchlist, "Watchlist targets");
  app.add_option("--batch", opt.batch, "Messages per batch");
  app.add_option("--seed", opt.seed, "Seed");
  app.add_flag("--no-alerts-table", opt.no_alerts_table, "Do not keep packets in the alerts table");
  app.add_flag("--no-wal", opt.no_wal, "Store without its write-ahead log (replayable sources)");
  app.add_flag("--buffered-io", opt.buffered_io,
               "Store tables written through the page cache (default: O_DIRECT where possible)");
  app.add_flag("--unpaused", opt.unpaused,
               "Let flushes and compactions run on while chunks are made (their time there goes "
               "unmeasured: the accounting before 2026-12-08)");
  app.add_flag("--discard-writes", opt.discard_writes,
               "Build every batch's write set but do not apply it: Level 1 without the store's "
               "own work (the difference to a normal run is the store's share)");
  CLI11_PARSE(app, argc, argv);
  return lantern::Main(opt);
}
