// `lantern render --in FILE.avro [--alert-id ID] [--cutout science|template|difference]
// [--stretch zscale|asinh] [--scale N] [--lightcurve] --png OUT.png`: draws one alert's cutout,
// or the light curve its packet carries (ZTF in magnitudes with upper limits, Rubin in nJy),
// as a PNG, and prints one JSON line describing what was drawn. Errors on stderr, exit 1.
#include <cstdio>
#include <fmt/format.h>
#include <optional>

#include "cli/alert_files.h"
#include "cli/commands.h"
#include "codec/json.h"
#include "core/file.h"
#include "image/image.h"
#include "image/light_curve_plot.h"
#include "image/render.h"

namespace lantern::cli {
namespace {

struct RenderOptions {
  std::string in;
  std::string schema_dir;
  std::optional<int64_t> alert_id;
  std::string cutout = "science";
  std::string stretch = "zscale";
  int scale = 4;
  bool lightcurve = false;
  int width = 800;
  int height = 500;
  std::string png;
};

// The packet's own light curve: detections (triggering + previous) with errors; ZTF
// non-detections as upper limits at diffmaglim; Rubin 7.x non-detection limits at diaNoise.
// A magnitude plot leaves out negative detections (template brighter than science), whose
// magpsf measures a fading, not the source; `*negative` counts them.
std::vector<image::LightCurvePoint> PointsOf(const alert::Alert& a, bool magnitudes,
                                             size_t* negative) {
  std::vector<image::LightCurvePoint> pts;
  *negative = 0;
  auto add = [&](const alert::Detection& d) {
    if (magnitudes && !d.is_positive) {
      ++*negative;
      return;
    }
    pts.push_back({d.mjd, magnitudes ? d.mag : d.flux, magnitudes ? d.mag_err : d.flux_err,
                   d.band, false});
  };
  add(a.detection);
  for (const auto& d : a.prv_detections)
    if (d.source_id != a.detection.source_id) add(d);
  for (const auto& n : a.nondetections)
    pts.push_back({n.mjd, magnitudes ? n.limiting_mag : n.limiting_flux, 0.0, n.band, true});
  return pts;
}

int Fail(const std::string& what) {
  fmt::print(stderr, "lantern render: {}\n", what);
  return 1;
}

int RunRender(const RenderOptions& opt) {
  std::optional<alert::Alert> found;
  size_t seen = 0;
  const int rc = ForEachAlertInFiles(
      {"render", {opt.in}, opt.schema_dir, ""},
      [&](const std::string&, alert::Alert&& a, const codec::DecodedRecord&) {
        ++seen;
        if (!found && (!opt.alert_id || a.alert_id == *opt.alert_id)) found = std::move(a);
      });
  if (rc != 0 && !found) return rc;
  if (!found) {
    return Fail(opt.alert_id ? fmt::format("{}: no alert with id {} among its {} alerts", opt.in,
                                           *opt.alert_id, seen)
                             : fmt::format("{}: no alerts", opt.in));
  }
  const alert::Alert& a = *found;
  std::string line = "{\"png\":";
  codec::AppendJsonString(opt.png, &line);
  fmt::format_to(std::back_inserter(line), ",\"survey\":\"{}\",\"alert_id\":{},\"object_id\":",
                 alert::SurveyName(a.survey), a.alert_id);
  codec::AppendJsonString(a.object_id, &line);

  Result<std::string> png = std::string();
  if (opt.lightcurve) {
    const bool mag = a.survey == alert::Survey::kZtf;
    size_t negative = 0;
    const auto pts = PointsOf(a, mag, &negative);
    image::LightCurvePlotOptions plot;
    plot.title = mag ? a.object_id : "diaObject " + a.object_id;
    plot.y_axis = mag ? image::LightCurveAxis::kMagnitude : image::LightCurveAxis::kFlux;
    plot.width = opt.width;
    plot.height = opt.height;
    png = image::RenderLightCurvePng(pts, plot);
    size_t limits = 0;
    for (const auto& p : pts) limits += p.is_limit;
    fmt::format_to(std::back_inserter(line),
                   ",\"lightcurve\":\"{}\",\"points\":{},\"limits\":{},\"negative_left_out\":{}",
                   mag ? "magnitude" : "flux_njy", pts.size() - limits, limits, negative);
  } else {
    const alert::CutoutKind kind = opt.cutout == "template"     ? alert::CutoutKind::kTemplate
                                   : opt.cutout == "difference" ? alert::CutoutKind::kDifference
                                                                : alert::CutoutKind::kScience;
    const alert::Cutout* cutout = a.FindCutout(kind);
    if (cutout == nullptr || cutout->bytes.empty())
      return Fail(fmt::format("{}: alert {} has no {} cutout", opt.in, a.alert_id, opt.cutout));
    auto img = image::ReadFits(cutout->bytes);
    if (!img.ok())
      return Fail(fmt::format("{}: alert {}: {} cutout: {}", opt.in, a.alert_id, opt.cutout,
                              img.status().message()));
    const image::Stretch stretch =
        opt.stretch == "asinh" ? image::Stretch::kAsinh : image::Stretch::kZscale;
    const auto [lo, hi] = image::StretchLimits(*img, stretch);
    png = image::RenderPng(*img, stretch, opt.scale);
    fmt::format_to(std::back_inserter(line),
                   ",\"cutout\":\"{}\",\"stretch\":\"{}\",\"width\":{},\"height\":{},\"vmin\":",
                   opt.cutout, opt.stretch, img->width, img->height);
    codec::AppendJsonNumber(lo, &line);
    line.append(",\"vmax\":");
    codec::AppendJsonNumber(hi, &line);
  }
  if (!png.ok()) return Fail(fmt::format("{}: {}", opt.in, png.status().message()));
  if (Status st = WriteFile(opt.png, *png); !st.ok()) return Fail(st.message());
  fmt::print("{},\"bytes\":{}}}\n", line, png->size());
  return 0;
}

}  // namespace

void AddRender(CLI::App& app) {
  auto opt = std::make_shared<RenderOptions>();
  CLI::App* cmd = app.add_subcommand(
      "render", "Draw an alert's cutout or its packet's light curve as a PNG");
  cmd->add_option("--in", opt->in, "Alert file (Avro container or Confluent-framed)")->required();
  cmd->add_option("--png", opt->png, "Output PNG file")->required();
  cmd->add_option("--alert-id", opt->alert_id,
                  "Alert to draw (ZTF candid, Rubin diaSourceId/alertId); default the first");
  cmd->add_option("--cutout", opt->cutout, "Cutout: science (default), template or difference")
      ->check(CLI::IsMember({"science", "template", "difference"}));
  cmd->add_option("--stretch", opt->stretch, "zscale (default) or asinh")
      ->check(CLI::IsMember({"zscale", "asinh"}));
  cmd->add_option("--scale", opt->scale, "Screen pixels per image pixel (default 4)")
      ->check(CLI::Range(1, 32));
  cmd->add_flag("--lightcurve", opt->lightcurve,
                "Draw the packet's light curve instead (ZTF: magnitudes, Rubin: flux in nJy)");
  cmd->add_option("--width", opt->width, "Light-curve width in pixels (default 800)")
      ->check(CLI::Range(160, 4000));
  cmd->add_option("--height", opt->height, "Light-curve height in pixels (default 500)")
      ->check(CLI::Range(120, 4000));
  cmd->add_option("--schema-dir", opt->schema_dir,
                  "Schemas for Confluent-framed packets (as for inspect)");
  cmd->callback([opt] { SetExitCode(RunRender(*opt)); });
}

}  // namespace lantern::cli
