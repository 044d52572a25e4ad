// `lantern moc --moc FILE [--in POINTS.csv --out FLAGS.csv] [--write OUT.txt|OUT.json]`:
// reads a MOC (ASCII, JSON or FITS, detected by content), prints its order, cell ranges and
// area on stderr, flags which query positions (id,ra,dec CSV) it contains (id,in with in 0/1,
// in input order), and optionally writes it back as ASCII or JSON (by the output's extension).
#include <fmt/format.h>
#include <fstream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "core/file.h"
#include "sky/catalog_csv.h"
#include "sky/moc.h"

namespace lantern::cli {
namespace {

struct MocOptions {
  std::string moc;
  std::string in;
  std::string out;
  std::string write;
  std::string id_col = "id";
  std::string ra_col = "ra";
  std::string dec_col = "dec";
};

Status RunMoc(const MocOptions& opt) {
  ASSIGN_OR_RETURN(const sky::Moc moc, sky::LoadMoc(opt.moc));
  fmt::print(stderr, "moc: {}: order {}, {} ranges at order 29, {:.6f} deg²\n", opt.moc,
             moc.max_order(), moc.ranges().size(), moc.AreaDeg2());
  if (!opt.write.empty()) {
    const bool json = opt.write.ends_with(".json");
    RETURN_IF_ERROR(WriteFile(opt.write, json ? moc.ToJson() : moc.ToAscii()));
  }
  if (opt.in.empty()) return Status::Ok();
  if (opt.out.empty()) return InvalidArgument("--in needs --out");
  sky::CsvCatalogOptions q;
  q.id_col = opt.id_col;
  q.ra_col = opt.ra_col;
  q.dec_col = opt.dec_col;
  ASSIGN_OR_RETURN(const sky::CsvCatalog points, sky::LoadCatalogCsv(opt.in, q));
  const sky::Catalog& cat = points.catalog;
  std::vector<sky::SkyPoint> pts(cat.size());
  for (size_t i = 0; i < cat.size(); ++i) pts[i] = {cat.ra()[i], cat.dec()[i]};
  std::vector<uint8_t> flags;
  moc.ContainsBatch(pts, &flags);
  std::string buf = "id,in\n";
  size_t inside = 0;
  for (size_t i = 0; i < flags.size(); ++i) {
    inside += flags[i];
    buf += fmt::format("{},{}\n", cat.IdString(i), flags[i]);
  }
  RETURN_IF_ERROR(WriteFile(opt.out, buf));
  fmt::print(stderr, "moc: {} of {} positions inside; wrote {}\n", inside, flags.size(), opt.out);
  return Status::Ok();
}

}  // namespace

void AddMoc(CLI::App& app) {
  auto opt = std::make_shared<MocOptions>();
  CLI::App* cmd = app.add_subcommand("moc", "Read a MOC (ASCII/JSON/FITS) and test positions");
  cmd->add_option("--moc", opt->moc, "MOC file: IVOA ASCII, JSON or FITS (NUNIQ or RANGE)")
      ->required();
  cmd->add_option("--in", opt->in, "Positions CSV with a header (id,ra,dec in degrees)");
  cmd->add_option("--out", opt->out, "Output CSV: id,in (1 inside, 0 outside)");
  cmd->add_option("--write", opt->write, "Write the MOC back: JSON if it ends in .json, else ASCII");
  cmd->add_option("--id-col", opt->id_col, "Id column of --in (default id)");
  cmd->add_option("--ra-col", opt->ra_col, "RA column of --in (default ra)");
  cmd->add_option("--dec-col", opt->dec_col, "Dec column of --in (default dec)");
  cmd->callback([opt] {
    const Status st = RunMoc(*opt);
    if (!st.ok()) {
      fmt::print(stderr, "lantern moc: {}\n", st.message());
      SetExitCode(1);
    }
  });
}

}  // namespace lantern::cli
