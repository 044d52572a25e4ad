// `lantern run`: the main job. Reads alerts from a source (the simulator by default, alert
// files with --source files:PATH), runs them through Level 1 (pipeline::Level1) on N worker
// threads into the store under --data-dir, and prints a live progress line and a summary at
// the end or at Ctrl-C. With no arguments: the embedded default of DESIGN.md — a simulated
// ZTF-like stream at a modest rate into ./lantern-data, with a generated demo catalogue and
// watchlist. Restarting continues where the last run stopped.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <shared_mutex>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/kafka_options.h"
#include "codec/schema.h"
#include "filter/registry.h"
#include "pipeline/annotators.h"
#include "pipeline/filter_sink.h"
#include "pipeline/kafka_sink.h"
#include "pipeline/kafka_source.h"
#include "pipeline/level1.h"
#include "pipeline/runner.h"
#include "pipeline/source.h"
#include "store/cutouts.h"
#include "store/store.h"
#include "stream/kafka.h"

namespace lantern::cli {
namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

struct RunOptions {
  std::string source = "sim";
  std::string data_dir = "lantern-data";
  int threads = 2;
  std::vector<std::string> catalogs;
  std::vector<std::string> watchlists;
  bool follow = false;
  size_t batch = 256;
  int max_wait_ms = 50;
  std::string history = "select";
  std::string cutouts = "rocksdb";
  std::string survey = "ztf";
  double rate = 100;
  uint64_t count = 0;
  uint64_t seed = 1;
  std::string schema_dir;
  int metrics_port = -1;
  double progress = 2.0;
  bool sync = false;
  bool wal = false;
  bool buffered_io = false;
  std::string group = "lantern";
  double exit_when_idle = 0;
  double checkpoint_seconds = 5;
  std::string sink;
  std::string sink_prefix = "lantern";
  int sink_partitions = 4;
  bool no_insert_streams = false;
  std::string sink_compression = "lz4";
  std::vector<std::string> kafka_config;  // -X NAME=VALUE
  std::string insert_format = "json";
  bool transactional = false;
  std::string transactional_id;
  int filter_budget_ms = 200;
  // Python filter sandboxes (defaults: pipeline::SandboxLimits, or LANTERN_PYTHON_* variables).
  pipeline::SandboxLimits python = pipeline::SandboxLimitsFromEnvironment();
  size_t python_workers = 2;
  double flush_seconds = 60;
  bool no_alerts_table = false;
};

// --catalog NAME:PATH (NAME a built-in spec) or PATH (spec guessed from the file name).
Result<sky::ContextCatalog> LoadCatalogArg(const std::string& arg) {
  std::string name, path = arg;
  if (const size_t colon = arg.find(':'); colon != std::string::npos && colon > 1) {
    name = arg.substr(0, colon);
    path = arg.substr(colon + 1);
  } else {
    const std::string file = std::filesystem::path(arg).filename().string();
    for (const char* known : {"tycho2", "stellarium_dso", "openngc"}) {
      if (file.find(known) != std::string::npos) name = known;
    }
    if (name.empty()) {
      return InvalidArgument("--catalog " + arg +
                             ": say which layout it has as NAME:PATH (tycho2, stellarium_dso, "
                             "openngc)");
    }
  }
  ASSIGN_OR_RETURN(sky::ContextCsvSpec spec, sky::BuiltinContextSpec(name));
  return sky::LoadContextCatalogCsv(path, spec);
}

// --transactional without --transactional-id: stable across restarts of one worker (same
// host, same store), so a restarted worker fences its dead predecessor, and distinct between
// live workers: two processes cannot open one store (RocksDB's lock), and the host name tells
// machines apart.
std::string DefaultTransactionalId(const std::string& group, const std::string& data_dir) {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::error_code ec;
  std::string dir = std::filesystem::canonical(data_dir, ec).string();
  if (ec) dir = data_dir;
  return fmt::format("lantern-{}-{}-{:016x}", group, host[0] ? host : "unknown-host",
                     codec::Fingerprint64(dir));
}

int RunMain(const RunOptions& opt) {
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  auto fail = [](const Status& st) {
    std::fprintf(stderr, "lantern run: %s\n", st.ToString().c_str());
    return 1;
  };
  auto kafka_config = stream::ParseKafkaConfig(opt.kafka_config);
  if (!kafka_config.ok()) return fail(kafka_config.status());
  if (!opt.transactional_id.empty() && !opt.transactional) {
    return fail(InvalidArgument("--transactional-id needs --transactional"));
  }
  if (opt.transactional && (opt.source.rfind("kafka://", 0) != 0 || opt.sink.empty())) {
    return fail(InvalidArgument(
        "--transactional needs a Kafka source and a Kafka sink (--source kafka://HOST:PORT/TOPIC "
        "--sink kafka://HOST:PORT): it commits the input offsets with the outputs"));
  }
  auto history = pipeline::ParseHistoryStrategy(opt.history);
  if (!history.ok()) return fail(history.status());
  auto cutout_mode = store::ParseCutoutMode(opt.cutouts);
  if (!cutout_mode.ok()) return fail(cutout_mode.status());
  alert::Survey survey = alert::Survey::kZtf;
  if (opt.survey == "lsst") {
    survey = alert::Survey::kLsst;
  } else if (opt.survey != "ztf") {
    return fail(InvalidArgument("--survey must be ztf or lsst"));
  }

  store::StoreOptions store_options;
  store_options.sync = opt.sync;
  // Every source here can replay what a crash loses (done marks travel with the rows), so
  // the log is optional; --sync needs it.
  store_options.wal = opt.wal || opt.sync;
  store_options.direct_io = !opt.buffered_io;
  auto db = store::Store::Open(opt.data_dir, store_options);
  if (!db.ok()) return fail(db.status());
  store::CutoutStore cutouts(db->get(), *cutout_mode,
                             (std::filesystem::path(opt.data_dir) / "cutouts").string());
  codec::SchemaCache schema_cache;
  std::unique_ptr<codec::SchemaResolver> resolver;
  if (!opt.schema_dir.empty()) {
    resolver = codec::MakeSchemaResolver(opt.schema_dir);
  }
  pipeline::Metrics metrics;
  pipeline::Level1Options l1_options;
  l1_options.history = *history;
  l1_options.store_alerts = !opt.no_alerts_table;
  pipeline::Level1 level1(db->get(), &cutouts, &schema_cache, resolver.get(), &metrics,
                          l1_options);

  // Source.
  std::unique_ptr<pipeline::Source> source;
  stream::SimulatorOptions sim;
  sim.survey = survey;
  sim.seed = opt.seed;
  const bool simulated = opt.source == "sim";
  if (simulated) {
    pipeline::SimulatorSourceOptions so;
    so.simulator = sim;
    so.count = opt.count;
    so.rate = opt.rate;
    so.skip = level1.DoneCount(fmt::format("sim:{}:{}", opt.survey, opt.seed));
    if (so.skip) std::fprintf(stderr, "lantern run: continuing after %llu stored alerts\n",
                              static_cast<unsigned long long>(so.skip));
    source = pipeline::MakeSimulatorSource(so);
  } else if (opt.source.rfind("files:", 0) == 0) {
    pipeline::FileSourceOptions fo;
    fo.paths = {opt.source.substr(6)};
    fo.follow = opt.follow;
    fo.is_done = [&level1](const std::string& origin, uint64_t position) {
      return level1.IsDone(origin, position);
    };
    auto s = pipeline::MakeFileSource(std::move(fo), &schema_cache);
    if (!s.ok()) return fail(s.status());
    source = std::move(s).value();
  } else if (opt.source.rfind("kafka://", 0) != 0) {
    return fail(InvalidArgument(
        "--source must be sim, files:PATH or kafka://HOST:PORT/TOPIC (got \"" + opt.source +
        "\")"));
  }

  // Catalogues and watchlists (the demo sky for the simulated default).
  std::vector<sky::ContextCatalog> catalogs;
  std::vector<std::vector<sky::WatchTarget>> watch_targets;
  std::vector<std::string> watch_names;
  if (simulated && opt.catalogs.empty() && opt.watchlists.empty()) {
    auto demo = pipeline::MakeDemoSky(sim, 20000, 200000);
    if (!demo.ok()) return fail(demo.status());
    catalogs = std::move(demo->catalogs);
    watch_targets.push_back(std::move(demo->watchlist));
    watch_names.push_back("demo");
    std::fprintf(stderr, "lantern run: demo sky: %zu galaxies, %zu stars, %zu quasars, "
                 "watchlist of %zu targets\n", catalogs[0].catalog.size(),
                 catalogs[1].catalog.size(), catalogs[2].catalog.size(),
                 watch_targets[0].size());
  }
  for (const std::string& c : opt.catalogs) {
    auto loaded = LoadCatalogArg(c);
    if (!loaded.ok()) return fail(loaded.status());
    std::fprintf(stderr, "lantern run: catalogue %s: %zu sources\n", loaded->name.c_str(),
                 loaded->catalog.size());
    catalogs.push_back(std::move(loaded).value());
  }
  for (const std::string& w : opt.watchlists) {
    auto targets = sky::LoadWatchTargetsCsv(w);
    if (!targets.ok()) return fail(targets.status());
    watch_targets.push_back(std::move(targets).value());
    watch_names.push_back(std::filesystem::path(w).stem().string());
  }
  std::unique_ptr<pipeline::SkyContextAnnotator> context;
  if (!catalogs.empty()) {
    auto classifier = sky::ContextClassifier::Build(std::move(catalogs));
    if (!classifier.ok()) return fail(classifier.status());
    context = std::make_unique<pipeline::SkyContextAnnotator>(std::move(classifier).value());
    level1.set_context(context.get());
  }
  std::vector<std::unique_ptr<pipeline::SkyWatchlistMatcher>> watchers;
  for (size_t i = 0; i < watch_targets.size(); ++i) {
    auto wl = sky::Watchlist::Build(static_cast<int64_t>(i + 1), watch_names[i],
                                    std::move(watch_targets[i]));
    if (!wl.ok()) return fail(wl.status());
    watchers.push_back(std::make_unique<pipeline::SkyWatchlistMatcher>(std::move(wl).value()));
    level1.add_watchlists(watchers.back().get());
  }

  // Kafka sink, then the Kafka source, which commits only what the store and the sink hold.
  std::unique_ptr<pipeline::KafkaSink> kafka_sink;
  if (!opt.sink.empty()) {
    auto url = stream::ParseKafkaUrl(opt.sink);
    if (!url.ok()) return fail(url.status());
    pipeline::KafkaSinkOptions ko;
    ko.bootstrap = url->bootstrap;
    ko.prefix = opt.sink_prefix;
    ko.partitions = opt.sink_partitions;
    ko.insert_streams = !opt.no_insert_streams;
    ko.compression = opt.sink_compression;
    ko.config = *kafka_config;
    ko.insert_format = opt.insert_format;
    for (size_t i = 0; i < watchers.size(); ++i) ko.watchlist_ids.push_back(i + 1);
    if (opt.transactional) {
      ko.transactional_id = opt.transactional_id.empty()
                                ? DefaultTransactionalId(opt.group, opt.data_dir)
                                : opt.transactional_id;
      std::fprintf(stderr, "lantern run: transactional id %s\n", ko.transactional_id.c_str());
    }
    auto sink = pipeline::KafkaSink::Create(ko);
    if (!sink.ok()) return fail(sink.status());
    kafka_sink = std::move(sink).value();
    level1.add_sink(kafka_sink.get());
  }
  // User filters from the registry (<data-dir>/filters.json), reloaded when it changes; their
  // matches go to the store and, with --sink, to lantern.filter.<owner>.<name> (with
  // --transactional through the sink's producer, in its transactions).
  std::unique_ptr<stream::Producer> filter_producer;
  if (!opt.sink.empty() && !opt.transactional) {
    stream::ProducerOptions po;
    po.bootstrap = stream::ParseKafkaUrl(opt.sink)->bootstrap;
    po.extra = *kafka_config;
    auto producer = stream::Producer::Create(po);
    if (!producer.ok()) return fail(producer.status());
    filter_producer = std::move(producer).value();
  }
  pipeline::FilterSinkOptions fso;
  fso.registry_path = filter::RegistryPath(opt.data_dir);
  fso.budget = std::chrono::milliseconds(opt.filter_budget_ms);
  fso.producer = opt.transactional ? kafka_sink->producer() : filter_producer.get();
  fso.python = opt.python;
  fso.python_workers = opt.python_workers;
  pipeline::FilterSink filter_sink(db->get(), fso);
  level1.add_sink(&filter_sink);

  // With --transactional, the Kafka source's checkpoint holds it to see no batch half-done.
  std::shared_mutex batch_gate;
  store::Store* store = db->get();
  auto durable = [&]() -> Status {
    if (!store_options.wal) RETURN_IF_ERROR(store->Flush());
    RETURN_IF_ERROR(filter_sink.Flush());
    return kafka_sink ? kafka_sink->Flush() : Status::Ok();
  };
  if (!source) {
    auto url = stream::ParseKafkaUrl(opt.source);
    if (!url.ok()) return fail(url.status());
    if (url->topic.empty()) {
      return fail(InvalidArgument("--source kafka://HOST:PORT/TOPIC needs a topic"));
    }
    pipeline::KafkaSourceOptions ko;
    ko.bootstrap = url->bootstrap;
    ko.topic = url->topic;
    ko.group = opt.group;
    ko.exit_when_idle_seconds = opt.exit_when_idle;
    ko.config = *kafka_config;
    ko.is_done = [&level1](const std::string& origin, uint64_t position) {
      return level1.IsDone(origin, position);
    };
    ko.durable = durable;
    if (opt.transactional) {
      ko.commit_transaction = [&kafka_sink](const std::vector<stream::PartitionOffset>& offsets,
                                            const stream::Consumer& consumer) {
        return kafka_sink->CommitTransaction(offsets, consumer);
      };
      ko.batch_gate = &batch_gate;
    }
    auto s = pipeline::MakeKafkaSource(std::move(ko));
    if (!s.ok()) return fail(s.status());
    source = std::move(s).value();
  }

  std::unique_ptr<pipeline::MetricsServer> metrics_server;
  if (opt.metrics_port >= 0) {
    auto server = pipeline::ServeMetrics(&metrics, "127.0.0.1", opt.metrics_port);
    if (!server.ok()) return fail(server.status());
    metrics_server = std::move(server).value();
    std::fprintf(stderr, "lantern run: metrics on http://127.0.0.1:%d/metrics\n",
                 metrics_server->port());
  }

  pipeline::RunnerOptions ro;
  ro.threads = opt.threads;
  ro.batch_size = opt.batch;
  ro.max_wait = std::chrono::milliseconds(opt.max_wait_ms);
  ro.progress_seconds = opt.progress;
  ro.flush_seconds = store_options.wal ? 0 : opt.flush_seconds;
  ro.checkpoint_seconds = opt.checkpoint_seconds;
  ro.stop = &g_stop;
  if (opt.transactional) ro.batch_gate = &batch_gate;
  std::fprintf(stderr, "lantern run: %s → %s (%d threads, history %s, cutouts %s%s)\n",
               opt.source.c_str(), opt.data_dir.c_str(), ro.threads, opt.history.c_str(),
               opt.cutouts.c_str(), (*db)->direct_io() ? "" : ", buffered table writes");
  auto summary = pipeline::Run(source.get(), &level1, ro);
  if (!summary.ok()) return fail(summary.status());
  if (Status st = durable(); !st.ok()) return fail(st);
  std::string text = pipeline::FormatSummary(*summary, metrics);
  for (const auto& [key, c] : filter_sink.counters()) {
    text += fmt::format("  filter {}: {} matches, {} bytes, {} batches over budget, {} over quota, "
                        "{} errors{}\n", key, c.matches, c.bytes, c.over_budget, c.over_quota,
                        c.errors,
                        c.disabled_reason.empty() ? "" : "; disabled: " + c.disabled_reason);
  }
  std::fputs(text.c_str(), stderr);
  return 0;
}

}  // namespace

void AddRun(CLI::App& app) {
  auto opt = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Run the Level 1 pipeline (default: a simulated stream into ./lantern-data)");
  cmd->add_option("--source", opt->source, "sim (default) or files:PATH (file or directory)");
  cmd->add_option("--data-dir", opt->data_dir, "Store directory (default ./lantern-data)");
  cmd->add_option("--threads", opt->threads, "Worker threads (default 2)");
  cmd->add_option("--catalog", opt->catalogs,
                  "Context catalogue, NAME:PATH with NAME one of tycho2, stellarium_dso, "
                  "openngc (repeatable)");
  cmd->add_option("--watchlist", opt->watchlists,
                  "Watchlist CSV with name,ra,dec[,radius] (repeatable)");
  cmd->add_flag("--follow", opt->follow, "Keep watching --source files: for new files");
  cmd->add_option("--batch", opt->batch, "Messages per batch (default 256)");
  cmd->add_option("--max-wait-ms", opt->max_wait_ms,
                  "Longest wait for a batch to fill, ms (default 50)");
  cmd->add_option("--history", opt->history,
                  "History strategy: select (write only new rows, default) or upsert (write "
                  "every row)");
  cmd->add_option("--cutouts", opt->cutouts, "Cutout store: rocksdb (default), files, count, none");
  cmd->add_option("--survey", opt->survey, "Simulated survey: ztf (default) or lsst");
  cmd->add_option("--rate", opt->rate, "Simulated alerts per second (default 100; 0 = max)");
  cmd->add_option("--count", opt->count, "Simulated alerts in all (default: until Ctrl-C)");
  cmd->add_option("--seed", opt->seed, "Simulator seed (default 1)");
  cmd->add_option("--schema-dir", opt->schema_dir,
                  "Schemas for Confluent-framed packets: a folder or a registry URL");
  cmd->add_option("--metrics-port", opt->metrics_port,
                  "Serve Prometheus metrics on 127.0.0.1:PORT (0 = any free port)");
  cmd->add_option("--progress", opt->progress, "Seconds between progress lines (0 = none)");
  cmd->add_option("--group", opt->group,
                  "Kafka consumer group of --source kafka:// (default lantern)");
  cmd->add_option("--exit-when-idle", opt->exit_when_idle,
                  "Kafka source: stop cleanly (offsets committed) after this many seconds "
                  "without a message, once the group has consumed the whole topic (or after "
                  "60 s idle whatever the group's state); default: run until Ctrl-C");
  cmd->add_option("--checkpoint-seconds", opt->checkpoint_seconds,
                  "Kafka source: seconds between offset commits; with --transactional, between "
                  "transaction commits, which read_committed consumers wait for (default 5)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--sink", opt->sink,
                  "Publish to Kafka: kafka://HOST:PORT (enriched alerts, insert streams, "
                  "watchlist hits, dead letters)");
  AddKafkaConfigOption(cmd, &opt->kafka_config);
  cmd->add_option("--sink-prefix", opt->sink_prefix, "Output topic prefix (default lantern)");
  cmd->add_option("--sink-partitions", opt->sink_partitions,
                  "Partitions of the output topics the sink creates (default 4)");
  cmd->add_option("--sink-compression", opt->sink_compression,
                  "Codec of the sink's producer: lz4 (default), zstd, snappy, gzip, none")
      ->check(CLI::IsMember({"none", "lz4", "zstd", "snappy", "gzip"}));
  cmd->add_flag("--transactional", opt->transactional,
                "Kafka source and sink: exactly-once; each checkpoint commits the outputs and "
                "the input offsets in one Kafka transaction (read them with "
                "isolation.level=read_committed)");
  cmd->add_option("--transactional-id", opt->transactional_id,
                  "With --transactional: the producer's transactional.id, stable across restarts "
                  "and unique among live workers (default lantern-GROUP-HOST-HASH of the "
                  "--data-dir path)");
  cmd->add_option("--filter-budget-ms", opt->filter_budget_ms,
                  "Time budget of each user filter per batch (default 200; over it, the filter "
                  "is skipped for that batch and counted)");
  auto* python_timeout = cmd->add_option_function<int64_t>(
      "--python-timeout-ms",
      [opt](int64_t ms) { opt->python.exchange_timeout = std::chrono::milliseconds(ms); },
      "Python filters: wall clock for one batch before the function is stopped and disabled "
      "(default 5000)");
  python_timeout->check(CLI::PositiveNumber);
  cmd->add_option_function<uint64_t>(
         "--python-memory-mb", [opt](uint64_t mb) { opt->python.memory_bytes = mb << 20; },
         "Python filters: address-space limit of each worker process (default 1024)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--python-cpu-s", opt->python.cpu_seconds,
                  "Python filters: CPU seconds of a worker process before it is replaced "
                  "(default 60)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--python-workers", opt->python_workers,
                  "Python filters: worker processes per function (default 2)")
      ->check(CLI::Range(1, 64));
  cmd->add_option("--insert-format", opt->insert_format,
                  "Insert rows as json (default) or avro (the survey's records; schemas in "
                  "<prefix>.schemas)")
      ->check(CLI::IsMember({"json", "avro"}));
  cmd->add_flag("--no-insert-streams", opt->no_insert_streams,
                "Sink: publish enriched alerts, watchlist hits and dead letters only (no "
                "<prefix>.insert.* rows)");
  cmd->add_flag("--wal", opt->wal,
                "Keep RocksDB's write-ahead log (default off: a crash loses the unflushed "
                "writes, all tables together, and the source replays them)");
  cmd->add_option("--flush-seconds", opt->flush_seconds,
                  "Without the log: flush the store this often, bounding the replay after a "
                  "crash (default 60; 0 = only when memtables fill)");
  cmd->add_flag("--sync", opt->sync, "fsync the store's log after every batch (implies --wal)");
  cmd->add_flag("--buffered-io", opt->buffered_io,
                "Write the store's tables through the page cache (default: flushes and "
                "compactions write with O_DIRECT where the file system takes it)");
  cmd->add_flag("--no-alerts-table", opt->no_alerts_table,
                "Do not keep packets in the alerts (event) table");
  cmd->callback([opt] { SetExitCode(RunMain(*opt)); });
}

}  // namespace lantern::cli
