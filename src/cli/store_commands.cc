// Commands that read the store: `lantern stats`, `lantern object ID`, `lantern cone RA DEC R`,
// `lantern cutout ALERT_ID KIND`. Each opens the store under --data-dir read-only, so they can
// run while `lantern run` writes.
#include <cstdio>
#include <filesystem>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/file.h"
#include "image/image.h"
#include "image/render.h"
#include "store/cutouts.h"
#include "store/queries.h"
#include "store/store.h"

namespace lantern::cli {
namespace {

using Json = nlohmann::json;

int Fail(std::string_view command, const Status& st) {
  std::fprintf(stderr, "lantern %.*s: %s\n", static_cast<int>(command.size()), command.data(),
               st.ToString().c_str());
  return 1;
}

Result<std::unique_ptr<store::Store>> OpenForReading(const std::string& dir) {
  if (!std::filesystem::exists(std::filesystem::path(dir) / "CURRENT")) {
    return NotFound("no store in " + dir + " (run `lantern run` first, or pass --data-dir)");
  }
  store::StoreOptions options;
  options.read_only = true;
  return store::Store::Open(dir, options);
}

// --- stats -------------------------------------------------------------------------------------

int Stats(const std::string& dir, bool json, bool digest) {
  auto db = OpenForReading(dir);
  if (!db.ok()) return Fail("stats", db.status());
  Json out = Json::object();
  const std::pair<const char*, store::Table> tables[] = {
      {"objects", store::Table::kObjects},         {"detections", store::Table::kDetections},
      {"forced", store::Table::kForced},           {"nondetections", store::Table::kNonDetections},
      {"cutouts", store::Table::kCutouts},         {"alerts", store::Table::kAlerts},
      {"deadletters", store::Table::kDeadLetters}, {"positions", store::Table::kPositions},
      {"watchlist_hits", store::Table::kWatchlistHits},
      {"filter_results", store::Table::kFilterResults},
  };
  Json disk = Json::object();
  for (const auto& [name, table] : tables) {
    auto n = (*db)->Count(table);
    if (!n.ok()) return Fail("stats", n.status());
    out[name] = *n;
    disk[name] = (*db)->DiskBytes(table);
  }
  auto reasons = store::DeadLettersByReason(**db);
  if (!reasons.ok()) return Fail("stats", reasons.status());
  out["deadletters_by_reason"] = *reasons;
  out["disk_bytes"] = disk;
  if (digest) {
    Json digests = Json::object();
    for (const auto& [name, table] : tables) {
      auto d = store::TableDigest(**db, table);
      if (!d.ok()) return Fail("stats", d.status());
      digests[name] = *d;
    }
    out["digests"] = digests;
  }
  if (json) {
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  std::printf("store %s\n", dir.c_str());
  for (const auto& [name, table] : tables) {
    std::printf("  %-15s %12llu rows  %10.1f MB on disk\n", name,
                static_cast<unsigned long long>(out[name].get<uint64_t>()),
                disk[name].get<uint64_t>() / 1e6);
  }
  for (const auto& [reason, n] : *reasons) {
    std::printf("  dead letters: %llu × %s\n", static_cast<unsigned long long>(n), reason.c_str());
  }
  if (digest) {
    for (const auto& [name, d] : out["digests"].items()) {
      std::printf("  digest %-15s %s\n", name.c_str(), d.get<std::string>().c_str());
    }
  }
  return 0;
}

// --- object ------------------------------------------------------------------------------------

int Object(const std::string& dir, const std::string& id) {
  auto db = OpenForReading(dir);
  if (!db.ok()) return Fail("object", db.status());
  auto record = store::FindObject(**db, id);
  if (!record.ok()) return Fail("object", record.status());
  if (!*record) return Fail("object", NotFound("no object " + id + " in " + dir));
  auto json = store::ObjectJson(**db, **record);
  if (!json.ok()) return Fail("object", json.status());
  std::printf("%s\n", json->c_str());
  return 0;
}

// --- cone --------------------------------------------------------------------------------------

int Cone(const std::string& dir, double ra, double dec, double radius, bool json) {
  auto db = OpenForReading(dir);
  if (!db.ok()) return Fail("cone", db.status());
  auto hits = store::Cone(**db, ra, dec, radius);
  if (!hits.ok()) return Fail("cone", hits.status());
  for (const store::ConeHit& h : *hits) {
    if (json) {
      Json row = {{"object_id", h.object_id}, {"survey", alert::SurveyName(h.survey)},
                  {"ra", h.ra}, {"dec", h.dec}, {"separation", h.sep_arcsec}};
      std::printf("%s\n", row.dump().c_str());
    } else {
      std::printf("%s\t%s\t%.7f\t%.7f\t%.3f\n", h.object_id.c_str(),
                  std::string(alert::SurveyName(h.survey)).c_str(), h.ra, h.dec, h.sep_arcsec);
    }
  }
  return 0;
}

// --- cutout ------------------------------------------------------------------------------------

struct CutoutOptions {
  int64_t alert_id = 0;
  std::string kind;
  std::string png;
  std::string out;
  std::string stretch = "zscale";
};

int Cutout(const std::string& dir, const CutoutOptions& opt) {
  alert::CutoutKind kind;
  if (opt.kind == "science") {
    kind = alert::CutoutKind::kScience;
  } else if (opt.kind == "template") {
    kind = alert::CutoutKind::kTemplate;
  } else if (opt.kind == "difference") {
    kind = alert::CutoutKind::kDifference;
  } else {
    return Fail("cutout", InvalidArgument("kind must be science, template or difference"));
  }
  image::Stretch stretch = image::Stretch::kZscale;
  if (opt.stretch == "asinh") {
    stretch = image::Stretch::kAsinh;
  } else if (opt.stretch != "zscale") {
    return Fail("cutout", InvalidArgument("--stretch must be zscale or asinh"));
  }
  auto db = OpenForReading(dir);
  if (!db.ok()) return Fail("cutout", db.status());
  store::CutoutStore cutouts(db->get(), store::CutoutMode::kRocksDb,
                             (std::filesystem::path(dir) / "cutouts").string());
  std::optional<std::string> bytes;
  for (alert::Survey survey : {alert::Survey::kZtf, alert::Survey::kLsst}) {
    auto got = cutouts.Get(survey, opt.alert_id, kind);
    if (!got.ok()) return Fail("cutout", got.status());
    if (*got) {
      bytes = std::move(*got);
      break;
    }
  }
  if (!bytes) {
    return Fail("cutout", NotFound(fmt::format("no {} cutout stored for alert {}", opt.kind,
                                               opt.alert_id)));
  }
  if (!opt.png.empty()) {
    auto img = image::ReadFits(*bytes);
    if (!img.ok()) return Fail("cutout", img.status());
    auto png = image::RenderPng(*img, stretch);
    if (!png.ok()) return Fail("cutout", png.status());
    Status st = WriteFile(opt.png, *png);
    if (!st.ok()) return Fail("cutout", st);
    std::fprintf(stderr, "lantern cutout: %dx%d %s stamp → %s\n", img->width, img->height,
                 opt.kind.c_str(), opt.png.c_str());
    return 0;
  }
  if (!opt.out.empty()) {
    Status st = WriteFile(opt.out, *bytes);
    return st.ok() ? 0 : Fail("cutout", st);
  }
  std::fwrite(bytes->data(), 1, bytes->size(), stdout);
  return 0;
}

CLI::Option* AddDataDir(CLI::App* cmd, std::string* dir) {
  return cmd->add_option("--data-dir", *dir, "Store directory (default ./lantern-data)");
}

}  // namespace

void AddStoreCommands(CLI::App& app) {
  {
    auto dir = std::make_shared<std::string>("lantern-data");
    auto json = std::make_shared<bool>(false);
    auto digest = std::make_shared<bool>(false);
    CLI::App* cmd = app.add_subcommand("stats", "Row counts per table and dead letters by reason");
    AddDataDir(cmd, dir.get());
    cmd->add_flag("--json", *json, "One JSON object");
    cmd->add_flag("--digest", *digest,
                  "Add a SHA-256 of every table's keys and values (\"digests\" in --json)");
    cmd->callback([dir, json, digest] { SetExitCode(Stats(*dir, *json, *digest)); });
  }
  {
    auto dir = std::make_shared<std::string>("lantern-data");
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand(
        "object", "One object as JSON: features, context, detections, forced, non-detections");
    AddDataDir(cmd, dir.get());
    cmd->add_option("id", *id, "Object id (ZTF objectId or Rubin diaObjectId)")->required();
    cmd->callback([dir, id] { SetExitCode(Object(*dir, *id)); });
  }
  {
    auto dir = std::make_shared<std::string>("lantern-data");
    auto args = std::make_shared<std::array<double, 3>>();
    auto json = std::make_shared<bool>(false);
    CLI::App* cmd = app.add_subcommand(
        "cone", "Objects within RADIUS arcsec of RA DEC (degrees), nearest first");
    AddDataDir(cmd, dir.get());
    cmd->add_option("ra", (*args)[0], "Right ascension, degrees")->required();
    cmd->add_option("dec", (*args)[1], "Declination, degrees")->required();
    cmd->add_option("radius", (*args)[2], "Radius, arcsec (at most 3600)")->required();
    cmd->add_flag("--json", *json, "One JSON object per line");
    cmd->callback([dir, args, json] {
      SetExitCode(Cone(*dir, (*args)[0], (*args)[1], (*args)[2], *json));
    });
  }
  {
    auto dir = std::make_shared<std::string>("lantern-data");
    auto opt = std::make_shared<CutoutOptions>();
    CLI::App* cmd = app.add_subcommand(
        "cutout", "A stored cutout: FITS bytes to stdout (or --out), or a PNG with --png");
    AddDataDir(cmd, dir.get());
    cmd->add_option("alert_id", opt->alert_id, "Alert id (ZTF candid, Rubin diaSourceId)")
        ->required();
    cmd->add_option("kind", opt->kind, "science, template or difference")->required();
    cmd->add_option("--png", opt->png, "Render to this PNG file");
    cmd->add_option("--stretch", opt->stretch, "PNG stretch: zscale (default) or asinh");
    cmd->add_option("--out", opt->out, "Write the FITS bytes to this file");
    cmd->callback([dir, opt] { SetExitCode(Cutout(*dir, *opt)); });
  }
}

}  // namespace lantern::cli
