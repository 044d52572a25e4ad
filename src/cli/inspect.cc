// `lantern inspect [--schema-dir DIR|URL] [--full] PATH...`: one JSON line per alert, errors
// on stderr (file, byte offset, what was wrong), non-zero exit if any file failed.
#include <cmath>
#include <cstdio>
#include <fmt/format.h>

#include "cli/alert_files.h"
#include "cli/commands.h"
#include "codec/json.h"

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
  std::string line;
  return ForEachAlertInFiles(
      {"inspect", opt.paths, opt.schema_dir, opt.schema},
      [&](const std::string& file, alert::Alert&& a, const codec::DecodedRecord& r) {
        line = AlertLine(file, a, r, opt.full);
        line.push_back('\n');
        std::fwrite(line.data(), 1, line.size(), stdout);
      });
}

}  // namespace

void AddInspect(CLI::App& app) {
  auto opt = std::make_shared<InspectOptions>();
  CLI::App* cmd = app.add_subcommand("inspect", "Decode alert files and print one JSON line per alert");
  AddAlertPathOptions(cmd, &opt->paths, &opt->schema_dir);
  cmd->add_option("--schema", opt->schema,
                  "Read each file as one bare Avro datum written with this .avsc (other .avsc "
                  "files in its folder resolve named types)");
  cmd->add_flag("--full", opt->full, "Also print every decoded field (key \"fields\")");
  cmd->callback([opt] { SetExitCode(RunInspect(*opt)); });
}

}  // namespace lantern::cli
