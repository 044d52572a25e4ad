#include "sky/context.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>

#include "sky/catalog_csv.h"
#include "sky/csv.h"
#include "sky/geometry.h"

namespace lantern::sky {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double At(const std::vector<double>& v, size_t row) { return v.empty() ? kNaN : v[row]; }

std::optional<double> Known(double v) {
  return std::isfinite(v) ? std::optional<double>(v) : std::nullopt;
}

// Precedence of classes (docs/context.md): exact matches to known variables first, then the
// nucleus of a galaxy, stars, hosts, halos.
int Rank(ContextClass c) {
  switch (c) {
    case ContextClass::kAgn:
    case ContextClass::kCv:
      return 5;
    case ContextClass::kNt:
      return 4;
    case ContextClass::kVs:
      return 3;
    case ContextClass::kSn:
      return 2;
    case ContextClass::kBs:
      return 1;
    case ContextClass::kOrphan:
      return 0;
  }
  return 0;
}

Status CheckRules(const ContextRules& r, const std::string& name) {
  auto bad = [&](const char* what, double v) {
    return InvalidArgument(fmt::format("catalog '{}': rule {} = {} is out of range", name, what, v));
  };
  auto radius_ok = [](double v) { return v >= 0.0 && v <= kMaxRadiusArcsec; };
  if (!radius_ok(r.point_match_arcsec)) return bad("point_match_arcsec", r.point_match_arcsec);
  if (!radius_ok(r.nuclear_arcsec)) return bad("nuclear_arcsec", r.nuclear_arcsec);
  if (!radius_ok(r.bright_star_radius_arcsec))
    return bad("bright_star_radius_arcsec", r.bright_star_radius_arcsec);
  if (!radius_ok(r.bright_star_max_radius_arcsec))
    return bad("bright_star_max_radius_arcsec", r.bright_star_max_radius_arcsec);
  if (!std::isfinite(r.bright_star_max_mag))
    return bad("bright_star_max_mag", r.bright_star_max_mag);
  if (!(r.galaxy_size_factor >= 0.0 && std::isfinite(r.galaxy_size_factor)))
    return bad("galaxy_size_factor", r.galaxy_size_factor);
  if (!(r.galaxy_physical_radius_kpc >= 0.0 && std::isfinite(r.galaxy_physical_radius_kpc)))
    return bad("galaxy_physical_radius_kpc", r.galaxy_physical_radius_kpc);
  if (!radius_ok(r.galaxy_default_radius_arcsec))
    return bad("galaxy_default_radius_arcsec", r.galaxy_default_radius_arcsec);
  if (!radius_ok(r.galaxy_min_radius_arcsec))
    return bad("galaxy_min_radius_arcsec", r.galaxy_min_radius_arcsec);
  if (!radius_ok(r.galaxy_max_radius_arcsec) ||
      r.galaxy_max_radius_arcsec < r.galaxy_min_radius_arcsec)
    return bad("galaxy_max_radius_arcsec", r.galaxy_max_radius_arcsec);
  return Status::Ok();
}

double BestDistance(const ContextCatalog& c, size_t row) {
  const double direct = At(c.distance_mpc, row);
  if (std::isfinite(direct) && direct > 0.0) return direct;
  return HubbleDistanceMpc(At(c.z, row));
}

struct Candidate {
  ContextClass cls = ContextClass::kOrphan;
  double key = 0.0;  // smaller is better within a class
  uint32_t catalog = 0;
  uint32_t row = 0;
  double sep = 0.0;
};

bool Better(const Candidate& a, const Candidate& b) {
  const int ra = Rank(a.cls), rb = Rank(b.cls);
  if (ra != rb) return ra > rb;
  if (a.key != b.key) return a.key < b.key;
  if (a.catalog != b.catalog) return a.catalog < b.catalog;
  return a.row < b.row;
}

std::string MagText(const Context& c) {
  if (!c.Mag) return "";
  return fmt::format("{}={:.2f} mag ", c.MagFilter.empty() ? "m" : c.MagFilter, *c.Mag);
}

std::string Describe(const Context& c, double sn_radius) {
  const std::string who = fmt::format("{} {}", c.catalogue_table_name, c.catalogue_object_id);
  std::string where = fmt::format("{:.2f}″ N, {:.2f}″ E ({:.2f}″", c.northSeparationArcsec,
                                  c.eastSeparationArcsec, c.separationArcsec);
  if (c.physical_separation_kpc) where += fmt::format(", {:.2f} kpc", *c.physical_separation_kpc);
  where += ")";
  std::string host;
  if (c.z) host += fmt::format(" at z={:.4f}", *c.z);
  if (c.best_distance) host += fmt::format(" ({:.1f} Mpc)", *c.best_distance);
  switch (c.classification) {
    case ContextClass::kAgn:
      return fmt::format("The transient is synonymous with {}; a {}known AGN/QSO{}, {} away.",
                         who, MagText(c), host, where);
    case ContextClass::kCv:
      return fmt::format("The transient is synonymous with {}; a {}known cataclysmic variable, "
                         "{} away.",
                         who, MagText(c), where);
    case ContextClass::kVs:
      return fmt::format("The transient is synonymous with {}; a {}star, {} away: a variable "
                         "star.",
                         who, MagText(c), where);
    case ContextClass::kNt:
      return fmt::format("The transient is possibly associated with {}; a {}galaxy{}. It is "
                         "located {} from the galaxy centre: nuclear.",
                         who, MagText(c), host, where);
    case ContextClass::kSn:
      return fmt::format("The transient is possibly associated with {}; a {}galaxy{}. It is "
                         "located {} from the galaxy centre, within its {:.1f}″ host radius.",
                         who, MagText(c), host, where, sn_radius);
    case ContextClass::kBs:
      return fmt::format("The transient is {} from {}; a {}star, inside its {:.1f}″ halo: "
                         "probably an artefact of a bright star.",
                         where, who, MagText(c), sn_radius);
    case ContextClass::kOrphan:
      break;
  }
  return "The transient is not obviously associated with any catalogued source.";
}

}  // namespace

std::string_view ObjectCategoryName(ObjectCategory category) {
  switch (category) {
    case ObjectCategory::kStar:
      return "star";
    case ObjectCategory::kGalaxy:
      return "galaxy";
    case ObjectCategory::kQso:
      return "qso";
    case ObjectCategory::kCv:
      return "cv";
    case ObjectCategory::kOther:
      break;
  }
  return "other";
}

std::string_view ContextClassName(ContextClass c) {
  switch (c) {
    case ContextClass::kBs:
      return "BS";
    case ContextClass::kSn:
      return "SN";
    case ContextClass::kVs:
      return "VS";
    case ContextClass::kNt:
      return "NT";
    case ContextClass::kCv:
      return "CV";
    case ContextClass::kAgn:
      return "AGN";
    case ContextClass::kOrphan:
      break;
  }
  return "ORPHAN";
}

double BrightStarRadiusArcsec(const ContextRules& rules, double mag) {
  if (!(mag <= rules.bright_star_max_mag)) return 0.0;  // also NaN
  const double r =
      rules.bright_star_radius_arcsec * std::pow(10.0, 0.2 * (rules.bright_star_max_mag - mag));
  return std::min(r, rules.bright_star_max_radius_arcsec);
}

double GalaxyRadiusArcsec(const ContextRules& rules, double major_axis_arcsec,
                          double distance_mpc) {
  double r = rules.galaxy_default_radius_arcsec;
  if (std::isfinite(major_axis_arcsec) && major_axis_arcsec > 0.0) {
    r = rules.galaxy_size_factor * 0.5 * major_axis_arcsec;
  } else if (std::isfinite(distance_mpc) && distance_mpc > 0.0) {
    r = rules.galaxy_physical_radius_kpc / (distance_mpc * 1000.0) * kRadToArcsec;
  }
  return std::clamp(r, rules.galaxy_min_radius_arcsec, rules.galaxy_max_radius_arcsec);
}

double HubbleDistanceMpc(double z) {
  return z > 0.0 ? kSpeedOfLightKms * z / kHubbleConstantKmsMpc : kNaN;
}

Result<ContextClassifier> ContextClassifier::Build(std::vector<ContextCatalog> catalogs) {
  ContextClassifier cc;
  for (const ContextCatalog& c : catalogs) {
    const size_t n = c.catalog.size();
    RETURN_IF_ERROR(CheckRules(c.rules, c.name));
    if (c.category.size() != n) {
      return InvalidArgument(fmt::format("catalog '{}': {} categories for {} rows", c.name,
                                         c.category.size(), n));
    }
    for (const auto& [what, v] : {std::pair{"mag", &c.mag}, std::pair{"z", &c.z},
                                  std::pair{"major_axis_arcsec", &c.major_axis_arcsec},
                                  std::pair{"distance_mpc", &c.distance_mpc}}) {
      if (!v->empty() && v->size() != n) {
        return InvalidArgument(
            fmt::format("catalog '{}': {} {} values for {} rows", c.name, v->size(), what, n));
      }
    }
    // Each row is indexed at the largest radius at which it can yield an association.
    const ContextRules& r = c.rules;
    std::vector<double> reach(n, kNaN), sn(n, kNaN);
    for (size_t i = 0; i < n; ++i) {
      const double major = At(c.major_axis_arcsec, i);
      switch (c.category[i]) {
        case ObjectCategory::kStar:
          reach[i] = std::max(r.point_match_arcsec, BrightStarRadiusArcsec(r, At(c.mag, i)));
          break;
        case ObjectCategory::kCv:
          reach[i] = r.point_match_arcsec;
          break;
        case ObjectCategory::kQso:
          // An AGN with a measured extent is also a host galaxy beyond the point-match radius.
          if (std::isfinite(major) && major > 0.0) {
            sn[i] = GalaxyRadiusArcsec(r, major, BestDistance(c, i));
          }
          reach[i] = std::isnan(sn[i]) ? r.point_match_arcsec : std::max(r.point_match_arcsec, sn[i]);
          break;
        case ObjectCategory::kGalaxy:
          sn[i] = GalaxyRadiusArcsec(r, major, BestDistance(c, i));
          reach[i] = std::max(r.nuclear_arcsec, sn[i]);
          break;
        case ObjectCategory::kOther:
          break;
      }
    }
    auto index = TargetIndex::Build(c.catalog, reach);
    if (!index.ok()) return index.status().WithContext(fmt::format("catalog '{}'", c.name));
    cc.indexes_.push_back(std::move(index).value());
    cc.sn_radius_.push_back(std::move(sn));
  }
  cc.catalogs_ = std::move(catalogs);
  return cc;
}

Result<std::vector<Context>> ContextClassifier::Classify(std::span<const SkyPoint> alerts) const {
  std::vector<Candidate> best(alerts.size());
  for (size_t ci = 0; ci < catalogs_.size(); ++ci) {
    const ContextCatalog& c = catalogs_[ci];
    const ContextRules& r = c.rules;
    ASSIGN_OR_RETURN(const std::vector<Match> hits, indexes_[ci].Within(alerts));
    for (const Match& m : hits) {
      const double s = m.sep_arcsec;
      const double sn = sn_radius_[ci][m.row];
      Candidate cand{ContextClass::kOrphan, s, static_cast<uint32_t>(ci), m.row, s};
      switch (c.category[m.row]) {
        case ObjectCategory::kStar:
          if (s <= r.point_match_arcsec) {
            cand.cls = ContextClass::kVs;
          } else if (s <= BrightStarRadiusArcsec(r, At(c.mag, m.row))) {
            cand.cls = ContextClass::kBs;
          }
          break;
        case ObjectCategory::kCv:
          if (s <= r.point_match_arcsec) cand.cls = ContextClass::kCv;
          break;
        case ObjectCategory::kQso:
          if (s <= r.point_match_arcsec) {
            cand.cls = ContextClass::kAgn;
          } else if (s <= sn) {  // false for NaN
            cand.cls = ContextClass::kSn;
            cand.key = s / sn;
          }
          break;
        case ObjectCategory::kGalaxy:
          if (s <= r.nuclear_arcsec) {
            cand.cls = ContextClass::kNt;
          } else if (s <= sn) {
            cand.cls = ContextClass::kSn;
            // Among hosts, the one the alert lies deepest inside (relative to its radius).
            cand.key = s / sn;
          }
          break;
        case ObjectCategory::kOther:
          break;
      }
      if (cand.cls != ContextClass::kOrphan && Better(cand, best[m.query])) best[m.query] = cand;
    }
  }

  std::vector<Context> out(alerts.size());
  for (size_t a = 0; a < alerts.size(); ++a) {
    const Candidate& b = best[a];
    Context& ctx = out[a];
    if (b.cls == ContextClass::kOrphan) {
      ctx.description = Describe(ctx, 0.0);
      continue;
    }
    const ContextCatalog& c = catalogs_[b.catalog];
    const size_t row = b.row;
    ctx.classification = b.cls;
    ctx.catalogue_table_name = c.name;
    ctx.catalogue_object_id = c.catalog.IdString(row);
    ctx.catalogue_object_type = ObjectCategoryName(c.category[row]);
    ctx.raDeg = c.catalog.ra()[row];
    ctx.decDeg = c.catalog.dec()[row];
    ctx.separationArcsec = b.sep;
    // Position angle of the alert seen from the object, east of north.
    const double dec0 = ctx.decDeg * kDegToRad;
    const double dec1 = alerts[a].dec_deg * kDegToRad;
    const double dra = RaDiffDeg(WrapRaDeg(alerts[a].ra_deg), ctx.raDeg) * kDegToRad;
    const double pa = std::atan2(std::sin(dra) * std::cos(dec1),
                                 std::cos(dec0) * std::sin(dec1) -
                                     std::sin(dec0) * std::cos(dec1) * std::cos(dra));
    ctx.northSeparationArcsec = b.sep * std::cos(pa);
    ctx.eastSeparationArcsec = b.sep * std::sin(pa);
    ctx.z = Known(At(c.z, row));
    const double direct = At(c.distance_mpc, row);
    if (std::isfinite(direct) && direct > 0.0) ctx.direct_distance = direct;
    ctx.distance = Known(HubbleDistanceMpc(At(c.z, row)));
    ctx.best_distance = ctx.direct_distance ? ctx.direct_distance : ctx.distance;
    if (ctx.best_distance) {
      ctx.physical_separation_kpc = b.sep * kArcsecToRad * *ctx.best_distance * 1000.0;
    }
    ctx.Mag = Known(At(c.mag, row));
    if (ctx.Mag) ctx.MagFilter = c.mag_filter;
    ctx.major_axis_arcsec = Known(At(c.major_axis_arcsec, row));
    ctx.catalog_index = b.catalog;
    ctx.row = b.row;
    const double radius = b.cls == ContextClass::kBs
                              ? BrightStarRadiusArcsec(c.rules, At(c.mag, row))
                              : sn_radius_[b.catalog][row];
    ctx.description = Describe(ctx, radius);
  }
  return out;
}

Result<ContextCatalog> LoadContextCatalogCsv(const std::string& path, const ContextCsvSpec& spec) {
  CsvCatalogOptions opt;
  opt.id_col = spec.id_col;
  opt.ra_col = spec.ra_col;
  opt.dec_col = spec.dec_col;
  const std::string* cols[] = {&spec.mag_col, &spec.z_col, &spec.major_axis_col,
                               &spec.distance_col};
  for (const std::string* col : cols) {
    if (!col->empty()) opt.numeric_cols.push_back(*col);
  }
  ASSIGN_OR_RETURN(CsvCatalog loaded, LoadCatalogCsv(path, opt));
  ContextCatalog c;
  c.name = spec.name;
  c.rules = spec.rules;
  c.mag_filter = spec.mag_filter;
  const size_t n = loaded.catalog.size();
  size_t k = 0;
  auto take = [&](const std::string& col, double scale, std::vector<double>* out) {
    if (col.empty()) return;
    *out = std::move(loaded.numeric[k++]);
    if (scale != 1.0) {
      for (double& v : *out) v *= scale;
    }
  };
  take(spec.mag_col, 1.0, &c.mag);
  take(spec.z_col, 1.0, &c.z);
  take(spec.major_axis_col, spec.major_axis_to_arcsec, &c.major_axis_arcsec);
  take(spec.distance_col, spec.distance_to_mpc, &c.distance_mpc);
  c.catalog = std::move(loaded.catalog);

  c.category.assign(n, spec.default_category);
  if (!spec.type_col.empty()) {
    // A second pass for the one text column (LoadCatalogCsv keeps numbers only).
    ASSIGN_OR_RETURN(auto reader, CsvReader::Open(path));
    std::vector<std::string> fields;
    ASSIGN_OR_RETURN(const bool any, reader->Next(&fields));
    if (!any) return InvalidArgument(fmt::format("{}: empty file", path));
    ASSIGN_OR_RETURN(const size_t type_i, FindColumn(fields, spec.type_col, path));
    size_t row = 0;
    for (;;) {
      ASSIGN_OR_RETURN(const bool more, reader->Next(&fields));
      if (!more) break;
      if (row >= n || type_i >= fields.size()) {
        return InvalidArgument(fmt::format("{}: line {}: changed while being read", path,
                                           reader->line()));
      }
      const auto it = spec.type_map.find(fields[type_i]);
      if (it != spec.type_map.end()) c.category[row] = it->second;
      ++row;
    }
    if (row != n) return InvalidArgument(fmt::format("{}: changed while being read", path));
  }
  return c;
}

Result<ContextCsvSpec> BuiltinContextSpec(std::string_view name) {
  using enum ObjectCategory;
  ContextCsvSpec s;
  s.name = std::string(name);
  if (name == "tycho2") {
    s.default_category = kStar;
    s.mag_col = "mag_vt";
    s.mag_filter = "VT";
    return s;
  }
  if (name == "stellarium_dso") {
    // Codes of Stellarium's Nebula::NebulaType (column type_code).
    s.type_col = "type_code";
    s.type_map = {{"0", kGalaxy},  {"1", kQso},  {"2", kQso},  {"3", kGalaxy},
                  {"4", kQso},     {"21", kQso}, {"22", kQso}, {"25", kQso},
                  {"24", kStar},   {"28", kStar}, {"29", kStar}, {"30", kStar}};
    s.mag_col = "bmag";
    s.mag_filter = "B";
    s.z_col = "redshift";
    s.major_axis_col = "major_axis_deg";
    s.major_axis_to_arcsec = 3600.0;
    s.distance_col = "dist";
    s.distance_to_mpc = 0.001;
    return s;
  }
  if (name == "openngc") {
    // OpenNGC Type codes (NGC_guide.txt); pairs, triplets and groups are positions between
    // galaxies, not hosts, and are left out like clusters and nebulae.
    s.type_col = "type";
    s.type_map = {{"G", kGalaxy}, {"*", kStar}, {"Nova", kCv}};
    s.mag_col = "b_mag";
    s.mag_filter = "B";
    s.z_col = "redshift";
    s.major_axis_col = "majax";
    s.major_axis_to_arcsec = 60.0;
    return s;
  }
  return NotFound(fmt::format("no built-in context catalog '{}' (have: tycho2, stellarium_dso, "
                              "openngc)",
                              name));
}

}  // namespace lantern::sky
