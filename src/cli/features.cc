// `lantern features [--schema-dir DIR|URL] PATH...`: decode alert files and print, for each
// alert, the object features computed from the light curve its packet carries, as one JSON
// line {"file","index","object_id","survey","features":{column: value}}. Doubles always carry a
// decimal point or exponent so they read back as doubles; null is SQL NULL. Errors go to
// stderr; non-zero exit if any file failed.
#include "features/features.h"

#include <fmt/format.h>

#include <cstdio>

#include "cli/alert_files.h"
#include "cli/commands.h"
#include "codec/json.h"

namespace lantern::cli {
namespace {

void AppendValue(const features::FeatureValue& value, std::string* out) {
  if (const auto* i = std::get_if<int64_t>(&value)) {
    fmt::format_to(std::back_inserter(*out), "{}", *i);
  } else if (const auto* d = std::get_if<double>(&value)) {
    const size_t start = out->size();
    codec::AppendJsonNumber(*d, out);  // finite: Features stores non-finite as null
    if (out->find_first_of(".eE", start) == std::string::npos) out->append(".0");
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    codec::AppendJsonString(*s, out);
  } else {
    out->append("null");
  }
}

std::string FeaturesLine(const std::string& file, const alert::Alert& a,
                         const codec::DecodedRecord& record) {
  std::string out = "{\"file\":";
  codec::AppendJsonString(file, &out);
  fmt::format_to(std::back_inserter(out),
                 ",\"index\":{},\"survey\":\"{}\",\"object_id\":", record.index,
                 alert::SurveyName(a.survey));
  codec::AppendJsonString(a.object_id, &out);
  out.append(",\"features\":{");
  const features::Features f = features::ComputeForAlert(a);
  bool first = true;
  for (const auto& [name, value] : f.columns()) {
    if (!first) out.push_back(',');
    first = false;
    codec::AppendJsonString(name, &out);
    out.push_back(':');
    AppendValue(value, &out);
  }
  out.append("}}\n");
  return out;
}

struct FeaturesOptions {
  std::vector<std::string> paths;
  std::string schema_dir;
};

int RunFeatures(const FeaturesOptions& opt) {
  return ForEachAlertInFiles(
      {"features", opt.paths, opt.schema_dir, ""},
      [](const std::string& file, alert::Alert&& a, const codec::DecodedRecord& r) {
        const std::string line = FeaturesLine(file, a, r);
        std::fwrite(line.data(), 1, line.size(), stdout);
      });
}

}  // namespace

void AddFeatures(CLI::App& app) {
  auto opt = std::make_shared<FeaturesOptions>();
  CLI::App* cmd = app.add_subcommand(
      "features", "Compute Lasair-style object features for each alert (one JSON line per alert)");
  AddAlertPathOptions(cmd, &opt->paths, &opt->schema_dir);
  cmd->callback([opt] { SetExitCode(RunFeatures(*opt)); });
}

}  // namespace lantern::cli
