// `lantern inspect [--schema-dir DIR|URL] [--full] PATH...`: one JSON line per alert, errors
// on stderr (file, byte offset, what was wrong), non-zero exit if any file failed.
#include <cmath>
#include <cstdio>
#include <fmt/format.h>

#include "cli/commands.h"
#include "codec/json.h"
#include "core/file.h"
#include "survey/alert_decoder.h"

namespace lantern::cli {
namespace {

void AppendKey(std::string_view key, std::string* out) {
  out->push_back(',');
  codec::AppendJsonString(key, out);
  out->push_back(':');
}

void AppendNumber(std::string_view key, double v, std::string* out) {
  AppendKey(key, out);
  if (std::isnan(v)) out->append("null");
  else codec::AppendJsonNumber(v, out);
}

std::string AlertLine(const std::string& file, const alert::Alert& a,
                      const codec::DecodedRecord& record, bool full) {
  std::string out = "{\"file\":";
  codec::AppendJsonString(file, &out);
  fmt::format_to(std::back_inserter(out), ",\"index\":{},\"survey\":\"{}\"", record.index,
                 alert::SurveyName(a.survey));
  AppendKey("schema_version", &out);
  codec::AppendJsonString(a.schema_version, &out);
  fmt::format_to(std::back_inserter(out), ",\"framing\":\"{}\"", codec::FramingName(record.framing));
  fmt::format_to(std::back_inserter(out), ",\"alert_id\":{}", a.alert_id);
  AppendKey("object_id", &out);
  codec::AppendJsonString(a.object_id, &out);
  const alert::Detection& d = a.detection;
  fmt::format_to(std::back_inserter(out), ",\"source_id\":{}", d.source_id);
  AppendNumber("ra", d.ra, &out);
  AppendNumber("dec", d.dec, &out);
  AppendNumber("mjd", d.mjd, &out);
  AppendKey("band", &out);
  codec::AppendJsonString(d.band, &out);
  AppendNumber("flux_njy", d.flux, &out);
  AppendNumber("flux_err_njy", d.flux_err, &out);
  AppendNumber("mag", d.mag, &out);
  AppendNumber("mag_err", d.mag_err, &out);
  fmt::format_to(std::back_inserter(out), ",\"is_positive\":{}", d.is_positive);
  AppendNumber("reliability", d.reliability, &out);
  fmt::format_to(std::back_inserter(out),
                 ",\"n_prv_detections\":{},\"n_forced\":{},\"n_nondetections\":{}",
                 a.prv_detections.size(), a.forced.size(), a.nondetections.size());
  out.append(",\"cutouts\":{");
  for (size_t i = 0; i < a.cutouts.size(); ++i) {
    fmt::format_to(std::back_inserter(out), "{}\"{}\":{}", i ? "," : "",
                   alert::CutoutKindName(a.cutouts[i].kind), a.cutouts[i].bytes.size());
  }
  out.append("},\"cutout_formats\":{");
  for (size_t i = 0; i < a.cutouts.size(); ++i) {
    fmt::format_to(std::back_inserter(out), "{}\"{}\":\"{}\"", i ? "," : "",
                   alert::CutoutKindName(a.cutouts[i].kind),
                   alert::CutoutFormatName(a.cutouts[i].format));
  }
  out.push_back('}');
  if (full) {
    AppendKey("fields", &out);
    codec::AppendJson(record.datum->root(), &out);
  }
  out.push_back('}');
  return out;
}

struct InspectOptions {
  std::vector<std::string> paths;
  std::string schema_dir;
  std::string schema;  // bare datums
  bool full = false;
};

int RunInspect(const InspectOptions& opt) {
  auto files = ExpandPaths(opt.paths, {".avro"});
  if (!files.ok()) {
    fmt::print(stderr, "lantern inspect: {}\n", files.status().message());
    return 2;
  }
  codec::SchemaCache cache;
  std::unique_ptr<codec::SchemaResolver> resolver;
  if (!opt.schema_dir.empty()) resolver = codec::MakeSchemaResolver(opt.schema_dir);
  survey::AlertDecoder decoder(&cache, resolver.get());
  std::shared_ptr<const codec::Schema> bare_schema;
  if (!opt.schema.empty()) {
    auto loaded = codec::LoadSchemaFile(opt.schema);
    if (!loaded.ok()) {
      fmt::print(stderr, "lantern inspect: {}\n", loaded.status().message());
      return 2;
    }
    bare_schema = *loaded;
  }
  int failed = 0;
  std::string line;
  for (const std::string& file : *files) {
    auto bytes = ReadFile(file);
    if (!bytes.ok()) {
      fmt::print(stderr, "lantern inspect: {}\n", bytes.status().message());
      ++failed;
      continue;
    }
    auto shared = std::make_shared<const std::string>(std::move(bytes).value());
    auto print = [&](alert::Alert&& a, const codec::DecodedRecord& r) {
      line = AlertLine(file, a, r, opt.full);
      line.push_back('\n');
      std::fwrite(line.data(), 1, line.size(), stdout);
    };
    const Status st = bare_schema ? decoder.DecodeBare(bare_schema, shared, print)
                                  : decoder.Decode(shared, print);
    if (!st.ok()) {
      std::fflush(stdout);
      fmt::print(stderr, "lantern inspect: {}: {}\n", file, st.message());
      ++failed;
    }
  }
  std::fflush(stdout);
  return failed ? 1 : 0;
}

}  // namespace

void AddInspect(CLI::App& app) {
  auto opt = std::make_shared<InspectOptions>();
  CLI::App* cmd = app.add_subcommand("inspect", "Decode alert files and print one JSON line per alert");
  cmd->add_option("paths", opt->paths, "Alert files or directories (searched recursively for *.avro)")
      ->required();
  cmd->add_option("--schema-dir", opt->schema_dir,
                  "Schemas for Confluent-framed packets: a folder (Rubin: <major>.<minor>/) or a "
                  "schema registry URL");
  cmd->add_option("--schema", opt->schema,
                  "Read each file as one bare Avro datum written with this .avsc (other .avsc "
                  "files in its folder resolve named types)");
  cmd->add_flag("--full", opt->full, "Also print every decoded field (key \"fields\")");
  cmd->callback([opt] { SetExitCode(RunInspect(*opt)); });
}

}  // namespace lantern::cli
