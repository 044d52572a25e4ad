// `lantern rates [--schema-dir DIR|URL] [--json] [--png FILE] PATH...|kafka://HOST:PORT/TOPIC`:
// alert rates from the alerts' own observation times — per second (min, max, mean, median over
// the seconds that have alerts; how many seconds of the span have none), the busiest minute,
// per night — and the peak compared with the LSST targets. The reading and the statistics live
// in stream/rates.h; the messages come from files or from a whole Kafka topic, read once up
// to its end at the start (stream/topic_reader.h).
#include "stream/rates.h"

#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/alert_files.h"
#include "cli/commands.h"
#include "cli/kafka_options.h"
#include "core/file.h"
#include "image/rate_plot.h"
#include "stream/kafka.h"
#include "stream/topic_reader.h"

namespace lantern::cli {
namespace {

struct RatesOptions {
  std::vector<std::string> paths;
  std::string schema_dir;
  bool json = false;
  std::string png;
  std::vector<std::string> kafka_config;  // -X NAME=VALUE
};

nlohmann::json ToJson(const stream::RateStats& s, const stream::CountReport& r) {
  nlohmann::json nights = nlohmann::json::array();
  for (const auto& n : s.nights)
    nights.push_back({{"night", n.date}, {"alerts", n.alerts}, {"first_second", n.first_second},
                      {"last_second", n.last_second}, {"peak_per_second", n.peak_per_second},
                      {"peak_per_minute", n.peak_per_minute}});
  return {{"messages", r.messages},
          {"bad_messages", r.errors.size()},
          {"alerts", s.alerts},
          {"alerts_without_time", s.alerts_without_time},
          {"first_second", s.first_second},
          {"last_second", s.last_second},
          {"span_seconds", s.span_seconds},
          {"seconds_with_alerts", s.seconds_with_alerts},
          {"seconds_without_alerts", s.seconds_without_alerts},
          {"min_per_second", s.min_per_second},
          {"max_per_second", s.max_per_second},
          {"mean_per_second", s.mean_per_second},
          {"median_per_second", s.median_per_second},
          {"peak_per_minute", s.peak_per_minute},
          {"ratio_lsst_minimum", s.ratio_lsst_minimum},
          {"ratio_lsst_design", s.ratio_lsst_design},
          {"ratio_lsst_stretch", s.ratio_lsst_stretch},
          {"nights", nights}};
}

void PrintText(const stream::RateStats& s, const stream::CountReport& r) {
  fmt::print("messages {} (bad {}), alerts {} ({} without a time)\n", r.messages, r.errors.size(),
             s.alerts, s.alerts_without_time);
  if (s.alerts == 0) return;
  fmt::print("span {} s (Unix {} .. {}): {} seconds with alerts, {} without\n", s.span_seconds,
             s.first_second, s.last_second, s.seconds_with_alerts, s.seconds_without_alerts);
  fmt::print("per second (seconds with alerts): min {} max {} mean {:.3f} median {:.1f}\n",
             s.min_per_second, s.max_per_second, s.mean_per_second, s.median_per_second);
  fmt::print("peak per minute {}\n", s.peak_per_minute);
  fmt::print("peak / LSST targets: minimum 1 kHz {:.4g}, design 10 kHz {:.4g}, stretch 100 kHz "
             "{:.4g}\n",
             s.ratio_lsst_minimum, s.ratio_lsst_design, s.ratio_lsst_stretch);
  fmt::print("{:<12} {:>8} {:>10} {:>10}\n", "night", "alerts", "peak/s", "peak/min");
  for (const auto& n : s.nights)
    fmt::print("{:<12} {:>8} {:>10} {:>10}\n", n.date, n.alerts, n.peak_per_second,
               n.peak_per_minute);
}

// Every message stored in the topic when the read starts; origin "kafka:TOPIC/PARTITION@OFFSET".
stream::MessageSource KafkaMessages(stream::KafkaUrl url, stream::KafkaConfig config) {
  return [url, config](const stream::MessageFn& on_message) -> Status {
    stream::TopicReadOptions options;
    options.bootstrap = url.bootstrap;
    options.topic = url.topic;
    options.config = config;
    auto read = stream::ReadTopicToEnd(options, [&](const stream::KafkaMessage& m) {
      on_message(m.value, fmt::format("kafka:{}/{}@{}", m.topic, m.partition, m.offset));
    });
    return read.status();
  };
}

int RunRates(const RatesOptions& opt) {
  std::unique_ptr<codec::SchemaResolver> resolver;
  if (!opt.schema_dir.empty()) resolver = codec::MakeSchemaResolver(opt.schema_dir);
  stream::MessageSource source;
  if (opt.paths.size() == 1 && opt.paths[0].starts_with("kafka://")) {
    auto url = stream::ParseKafkaUrl(opt.paths[0]);
    if (!url.ok() || url->topic.empty()) {
      fmt::print(stderr, "lantern rates: {}\n",
                 url.ok() ? opt.paths[0] + " names no topic" : url.status().message());
      return 2;
    }
    auto config = stream::ParseKafkaConfig(opt.kafka_config);
    if (!config.ok()) {
      fmt::print(stderr, "lantern rates: {}\n", config.status().message());
      return 2;
    }
    source = KafkaMessages(*std::move(url), *std::move(config));
  } else {
    for (const std::string& p : opt.paths) {
      if (p.starts_with("kafka://")) {
        fmt::print(stderr, "lantern rates: {}: a Kafka topic is read alone, not with other "
                           "paths\n", p);
        return 2;
      }
    }
    source = stream::FileMessages(opt.paths);
  }
  stream::RateCounter counter;
  auto report = stream::CountAlertTimes(source, resolver.get(), &counter);
  if (!report.ok()) {
    fmt::print(stderr, "lantern rates: {}\n", report.status().message());
    return 2;
  }
  for (const std::string& e : report->errors) fmt::print(stderr, "lantern rates: {}\n", e);
  const stream::RateStats stats = counter.Stats();
  if (opt.json) fmt::print("{}\n", ToJson(stats, *report).dump());
  else PrintText(stats, *report);
  if (!opt.png.empty()) {
    const std::vector<std::pair<int64_t, uint64_t>> points(counter.per_second().begin(),
                                                           counter.per_second().end());
    const std::pair<double, std::string> refs[] = {{stream::kLsstMinimumHz, "LSST minimum 1 kHz"},
                                                   {stream::kLsstDesignHz, "LSST design 10 kHz"},
                                                   {stream::kLsstStretchHz, "LSST stretch 100 kHz"}};
    image::RatePlotOptions po;
    po.title = fmt::format("{} alerts, peak {}/s", stats.alerts, stats.max_per_second);
    po.references = refs;
    auto png = image::RenderRatePlotPng(points, po);
    Status st = png.ok() ? WriteFile(opt.png, *png) : png.status();
    if (!st.ok()) {
      fmt::print(stderr, "lantern rates: {}: {}\n", opt.png, st.message());
      return 1;
    }
  }
  std::fflush(stdout);
  return report->errors.empty() ? 0 : 1;
}

}  // namespace

void AddRates(CLI::App& app) {
  auto opt = std::make_shared<RatesOptions>();
  CLI::App* cmd = app.add_subcommand(
      "rates",
      "Alert rates per second, minute and night from the alerts' observation times, of files "
      "or of a whole Kafka topic (PATH = kafka://HOST:PORT/TOPIC, read once to its end)");
  AddAlertPathOptions(cmd, &opt->paths, &opt->schema_dir);
  cmd->add_flag("--json", opt->json, "Print one JSON object instead of text");
  AddKafkaConfigOption(cmd, &opt->kafka_config);
  cmd->add_option("--png", opt->png, "Also draw alerts per second against time into this PNG");
  cmd->callback([opt] { SetExitCode(RunRates(*opt)); });
}

}  // namespace lantern::cli
