// Context classification in the manner of Sherlock (Lasair's contextual classifier): for each
// alert position, the best association among loaded catalogs and a class — VS, BS, SN, NT,
// AGN, CV or ORPHAN — with the matched object, separation, north/east offsets, redshift,
// distance and physical separation. Rules, radii and precedence: docs/context.md.
// ContextClassifier is built once from ContextCatalogs (one TargetIndex each, every row indexed
// at the largest radius at which it can yield an association) and is then immutable: Classify
// may be called from any number of threads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "sky/catalog.h"
#include "sky/target_index.h"
#include "sky/zones.h"

namespace lantern::sky {

// What a catalog row is, as far as classification cares. kQso covers AGN of every kind.
enum class ObjectCategory : uint8_t { kOther, kStar, kGalaxy, kQso, kCv };
// "other", "star", "galaxy", "qso", "cv" (Sherlock's catalogue_object_type words).
std::string_view ObjectCategoryName(ObjectCategory category);

enum class ContextClass : uint8_t { kOrphan, kBs, kSn, kVs, kNt, kCv, kAgn };
// "ORPHAN", "BS", "SN", "VS", "NT", "CV", "AGN".
std::string_view ContextClassName(ContextClass c);

inline constexpr double kHubbleConstantKmsMpc = 70.0;
inline constexpr double kSpeedOfLightKms = 299792.458;

// Per-catalog association rules. Defaults are documented, with their reasons, in
// docs/context.md.
struct ContextRules {
  // Stars (VS), QSOs/AGN (AGN) and CVs (CV) match within this radius.
  double point_match_arcsec = 1.0;
  // Within this radius of a galaxy's centre an alert is nuclear (NT).
  double nuclear_arcsec = 0.5;
  // A star with magnitude m <= bright_star_max_mag has a halo of radius
  // bright_star_radius_arcsec · 10^(0.2 (bright_star_max_mag − m)) (∝ √flux), at most
  // bright_star_max_radius_arcsec; alerts inside it beyond point_match_arcsec are BS.
  double bright_star_max_mag = 13.0;
  double bright_star_radius_arcsec = 10.0;
  double bright_star_max_radius_arcsec = 900.0;
  // SN radius of a galaxy: galaxy_size_factor × semi-major axis when the major axis is known;
  // else the angle that galaxy_physical_radius_kpc subtends at the galaxy's distance when one is
  // known; else galaxy_default_radius_arcsec. Clamped to [min, max].
  double galaxy_size_factor = 1.5;
  double galaxy_physical_radius_kpc = 20.0;
  double galaxy_default_radius_arcsec = 10.0;
  double galaxy_min_radius_arcsec = 2.0;
  double galaxy_max_radius_arcsec = 3600.0;
};

// Halo radius of a star of magnitude `mag` (arcsec), or 0 when it is not bright (or NaN).
double BrightStarRadiusArcsec(const ContextRules& rules, double mag);
// SN radius of a galaxy (arcsec); NaN arguments mean unknown.
double GalaxyRadiusArcsec(const ContextRules& rules, double major_axis_arcsec,
                          double distance_mpc);
// Hubble-law distance c z / H0 in Mpc, or NaN unless z > 0.
double HubbleDistanceMpc(double z);

// One catalog prepared for classification. Per-row vectors have one entry per catalog row
// (NaN = unknown) or are empty when the catalog has no such column.
struct ContextCatalog {
  std::string name;  // catalogue_table_name
  Catalog catalog;
  std::vector<ObjectCategory> category;  // required, one per row
  std::vector<double> mag;
  std::string mag_filter;  // MagFilter of `mag`, e.g. "V"
  std::vector<double> z;
  std::vector<double> major_axis_arcsec;
  std::vector<double> distance_mpc;  // redshift-independent distance
  ContextRules rules;
};

// The best association of one alert. Members after `classification` carry the names of
// Lasair's sherlock_classifications columns (hence the mixed case) so they map one to one;
// they are empty/unset for ORPHAN.
struct Context {
  ContextClass classification = ContextClass::kOrphan;
  // Sherlock's association_type of the chosen match: the same word as the classification.
  std::string_view association_type() const { return ContextClassName(classification); }

  std::string catalogue_table_name;
  std::string catalogue_object_id;
  std::string_view catalogue_object_type;  // ObjectCategoryName
  double raDeg = 0.0;                      // the catalog object's position
  double decDeg = 0.0;
  double separationArcsec = 0.0;
  // Offset of the alert from the object along north and east (east = increasing RA), with
  // north² + east² = separation².
  double northSeparationArcsec = 0.0;
  double eastSeparationArcsec = 0.0;
  std::optional<double> z;
  std::optional<double> direct_distance;  // Mpc, from the catalog's distance column
  std::optional<double> distance;         // Mpc, from z by the Hubble law (H0 = 70)
  std::optional<double> best_distance;    // direct_distance if known, else distance
  std::optional<double> physical_separation_kpc;  // separation × best_distance
  std::optional<double> Mag;
  std::string MagFilter;
  std::optional<double> major_axis_arcsec;
  std::string description;
  // Where the match came from: index into the classifier's catalogs, and the row.
  uint32_t catalog_index = 0;
  uint32_t row = 0;
};

class ContextClassifier {
 public:
  ContextClassifier() = default;
  // Validates per-row vector sizes and rules; errors name the catalog.
  static Result<ContextClassifier> Build(std::vector<ContextCatalog> catalogs);

  // One Context per alert, in input order. Errors name the first invalid alert position.
  Result<std::vector<Context>> Classify(std::span<const SkyPoint> alerts) const;

  const std::vector<ContextCatalog>& catalogs() const { return catalogs_; }

 private:
  std::vector<ContextCatalog> catalogs_;
  std::vector<TargetIndex> indexes_;
  std::vector<std::vector<double>> sn_radius_;  // per catalog and row; NaN: no SN rule
};

// How to read a ContextCatalog from CSV. Empty column names mean "not present".
struct ContextCsvSpec {
  std::string name;
  std::string id_col = "id";
  std::string ra_col = "ra";
  std::string dec_col = "dec";
  std::string type_col;  // empty: every row is default_category
  std::map<std::string, ObjectCategory, std::less<>> type_map;  // type text → category
  ObjectCategory default_category = ObjectCategory::kOther;    // types not in type_map
  std::string mag_col;
  std::string mag_filter;
  std::string z_col;
  std::string major_axis_col;
  double major_axis_to_arcsec = 1.0;  // 3600 for degrees, 60 for arcmin
  std::string distance_col;
  double distance_to_mpc = 1.0;  // 0.001 for kpc
  ContextRules rules;
};

// Loads a CSV or CSV.gz catalog by `spec`. Errors name the file, line and column.
Result<ContextCatalog> LoadContextCatalogCsv(const std::string& path, const ContextCsvSpec& spec);

// Specs for the catalogs in ../shared/data/catalogs: "tycho2"
// (tycho2_astrometry_index4109.csv.gz), "stellarium_dso" (stellarium_dso_v3.16.csv.gz),
// "openngc" (openngc_2023-10-05.csv.gz). NotFound lists the names.
Result<ContextCsvSpec> BuiltinContextSpec(std::string_view name);

}  // namespace lantern::sky
