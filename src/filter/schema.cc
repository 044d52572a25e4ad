#include "filter/schema.h"

#include <cctype>

#include "features/features.h"
#include "filter/lexer.h"

namespace lantern::filter {
namespace {

TableDef Table(std::string name, std::vector<ColumnDef> columns) {
  return TableDef{std::move(name), std::move(columns)};
}

void AddCommon(Schema* s) {
  s->sherlock = Table(
      "sherlock_classifications",
      {{"classification", Type::kString},       {"association_type", Type::kString},
       {"catalogue_table_name", Type::kString}, {"catalogue_object_id", Type::kString},
       {"catalogue_object_type", Type::kString}, {"raDeg", Type::kDouble},
       {"decDeg", Type::kDouble},               {"separationArcsec", Type::kDouble},
       {"northSeparationArcsec", Type::kDouble}, {"eastSeparationArcsec", Type::kDouble},
       {"physical_separation_kpc", Type::kDouble}, {"direct_distance", Type::kDouble},
       {"distance", Type::kDouble},             {"best_distance", Type::kDouble},
       {"z", Type::kDouble},                    {"Mag", Type::kDouble},
       {"MagFilter", Type::kString},            {"major_axis_arcsec", Type::kDouble},
       {"description", Type::kString}});
  s->watchlist_hits = Table("watchlist_hits", {{"arcsec", Type::kDouble}, {"name", Type::kString}});
  s->annotations = Table("annotations",
                         {{"topic", Type::kString},       {"version", Type::kString},
                          {"classification", Type::kString}, {"explanation", Type::kString},
                          {"classdict", Type::kString},   {"url", Type::kString}});
  s->crossmatch_tns = Table(
      "crossmatch_tns",
      {{"ra", Type::kDouble},           {"decl", Type::kDouble},
       {"tns_name", Type::kString},     {"tns_prefix", Type::kString},
       {"disc_mag", Type::kDouble},     {"disc_mag_filter", Type::kString},
       {"type", Type::kString},         {"z", Type::kDouble},
       {"hostz", Type::kDouble},        {"host_name", Type::kString},
       {"disc_int_name", Type::kString}, {"disc_date", Type::kString},
       {"sender", Type::kString},       {"reporters", Type::kString},
       {"source_group", Type::kString}});
}

Schema Make(alert::Survey survey) {
  Schema s;
  s.survey = survey;
  const bool ztf = survey == alert::Survey::kZtf;
  s.id_column = ztf ? "objectId" : "diaObjectId";
  s.objects.name = "objects";
  s.objects.columns.push_back({s.id_column, ztf ? Type::kString : Type::kInt});
  if (!ztf) {
    s.objects.columns.push_back({"ra", Type::kDouble});
    s.objects.columns.push_back({"decl", Type::kDouble});
  }
  for (const std::string& name : ztf ? features::ZtfColumns() : features::LsstColumns()) {
    s.objects.columns.push_back({name, FeatureType(name)});
  }
  AddCommon(&s);
  return s;
}

}  // namespace

std::string_view TypeName(Type type) {
  switch (type) {
    case Type::kNull: return "null";
    case Type::kInt: return "integer";
    case Type::kDouble: return "number";
    case Type::kString: return "string";
    case Type::kJson: return "json";
  }
  return "?";
}

int TableDef::Find(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == name) return static_cast<int>(i);
  }
  // MariaDB column names are case-insensitive.
  for (size_t i = 0; i < columns.size(); ++i) {
    if (IEquals(columns[i].name, name)) return static_cast<int>(i);
  }
  return -1;
}

Type FeatureType(std::string_view column) {
  static constexpr std::string_view kInts[] = {
      "ncand", "ncandgp", "ncandgp_7", "ncandgp_14", "htm16", "nDiaSources", "nPosDiaSources",
      "nPosDiaSourcesNights", "nuSources", "ngSources", "nrSources", "niSources", "nzSources",
      "nySources", "nSourcesGood"};
  static constexpr std::string_view kStrings[] = {"ssnamenr", "latestPairColourBands",
                                                  "penultimatePairColourBands", "tns_name"};
  for (std::string_view c : kInts) {
    if (c == column) return Type::kInt;
  }
  for (std::string_view c : kStrings) {
    if (c == column) return Type::kString;
  }
  return Type::kDouble;
}

const Schema& Schema::Ztf() {
  static const Schema kSchema = Make(alert::Survey::kZtf);
  return kSchema;
}

const Schema& Schema::Lsst() {
  static const Schema kSchema = Make(alert::Survey::kLsst);
  return kSchema;
}

const Schema& Schema::For(alert::Survey survey) {
  return survey == alert::Survey::kZtf ? Ztf() : Lsst();
}

}  // namespace lantern::filter
