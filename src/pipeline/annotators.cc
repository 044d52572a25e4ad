#include "pipeline/annotators.h"

#include <cmath>
#include <random>

#include <fmt/format.h>

#include "codec/json.h"
#include "codec/schema_source.h"
#include "survey/alert_decoder.h"

namespace lantern::pipeline {
namespace {

void Field(std::string_view name, std::string* out) {
  out->push_back(',');
  codec::AppendJsonString(name, out);
  out->push_back(':');
}

void Number(std::string_view name, double v, std::string* out) {
  Field(name, out);
  if (std::isfinite(v)) {
    codec::AppendJsonNumber(v, out);
  } else {
    out->append("null");
  }
}

void Optional(std::string_view name, const std::optional<double>& v, std::string* out) {
  Number(name, v ? *v : std::nan(""), out);
}

void Text(std::string_view name, std::string_view v, std::string* out) {
  Field(name, out);
  codec::AppendJsonString(v, out);
}

}  // namespace

std::string ContextJson(const sky::Context& c) {
  if (c.classification == sky::ContextClass::kOrphan) return {};
  std::string out = "{\"classification\":";
  codec::AppendJsonString(sky::ContextClassName(c.classification), &out);
  Text("association_type", c.association_type(), &out);
  Text("catalogue_table_name", c.catalogue_table_name, &out);
  Text("catalogue_object_id", c.catalogue_object_id, &out);
  Text("catalogue_object_type", c.catalogue_object_type, &out);
  Number("raDeg", c.raDeg, &out);
  Number("decDeg", c.decDeg, &out);
  Number("separationArcsec", c.separationArcsec, &out);
  Number("northSeparationArcsec", c.northSeparationArcsec, &out);
  Number("eastSeparationArcsec", c.eastSeparationArcsec, &out);
  Optional("z", c.z, &out);
  Optional("direct_distance", c.direct_distance, &out);
  Optional("distance", c.distance, &out);
  Optional("physical_separation_kpc", c.physical_separation_kpc, &out);
  Optional("Mag", c.Mag, &out);
  Text("MagFilter", c.MagFilter, &out);
  Optional("major_axis_arcsec", c.major_axis_arcsec, &out);
  Text("description", c.description, &out);
  out.push_back('}');
  return out;
}

void SkyContextAnnotator::Annotate(std::span<const sky::SkyPoint> positions,
                                   std::vector<std::string>* context_json) const {
  context_json->assign(positions.size(), std::string());
  auto contexts = classifier_.Classify(positions);
  if (!contexts.ok()) return;  // positions are validated upstream; nothing to annotate
  for (size_t i = 0; i < contexts->size(); ++i) (*context_json)[i] = ContextJson((*contexts)[i]);
}

void SkyWatchlistMatcher::Match(std::span<const sky::SkyPoint> positions,
                                std::vector<WatchlistHit>* hits) const {
  auto found = watchlist_.Match(positions);
  if (!found.ok()) return;
  for (const sky::WatchHit& h : *found) {
    hits->push_back({h.alert, static_cast<uint32_t>(watchlist_.id()),
                     watchlist_.targets()[h.target].name, h.sep_arcsec});
  }
}

Result<DemoSky> MakeDemoSky(const stream::SimulatorOptions& options, size_t prescan,
                            size_t background) {
  // Where the simulated objects are, and what they are.
  stream::SimulatorOptions no_cutouts = options;
  no_cutouts.cutouts = false;  // same objects and epochs (stamps have their own generator)
  stream::Simulator sim(no_cutouts);
  codec::SchemaCache cache;
  survey::AlertDecoder decoder(&cache, nullptr);
  std::map<std::string, std::pair<std::string, sky::SkyPoint>> objects;  // id → class, position
  for (size_t i = 0; i < prescan; ++i) {
    std::string cls;
    ASSIGN_OR_RETURN(std::string datum, sim.NextDatum(&cls));
    auto bytes = std::make_shared<const std::string>(std::move(datum));
    RETURN_IF_ERROR(decoder.DecodeBare(sim.schema(), bytes,
                                       [&](alert::Alert&& a, const codec::DecodedRecord&) {
      objects.try_emplace(a.object_id, cls, sky::SkyPoint{a.detection.ra, a.detection.dec});
    }));
  }
  std::mt19937_64 rng(options.seed ^ 0x5eed);
  std::uniform_real_distribution<double> u(0, 1);
  struct Rows {
    std::vector<double> ra, dec, mag, z, major;
    std::vector<std::string> ids;
  } galaxies, stars, qsos;
  auto add = [&](Rows& r, std::string id, double ra, double dec, double mag, double z,
                 double major) {
    r.ids.push_back(std::move(id));
    r.ra.push_back(sky::WrapRaDeg(ra));
    r.dec.push_back(std::clamp(dec, -90.0, 90.0));
    r.mag.push_back(mag);
    r.z.push_back(z);
    r.major.push_back(major);
  };
  DemoSky demo;
  size_t n = 0;
  for (const auto& [id, entry] : objects) {
    const auto& [cls, p] = entry;
    const double cosd = std::max(0.01, std::cos(p.dec_deg * sky::kDegToRad));
    if (cls == "sn") {
      // Host centre 1–6″ away; a tenth nuclear (0.2″).
      const double off = (n % 10 == 0 ? 0.2 : 1 + 5 * u(rng)) / 3600.0;
      const double pa = 2 * M_PI * u(rng);
      add(galaxies, fmt::format("DEMOG{:06d}", galaxies.ids.size()),
          p.ra_deg + off * std::sin(pa) / cosd, p.dec_deg + off * std::cos(pa), 17 + 3 * u(rng),
          0.02 + 0.15 * u(rng), 8 + 20 * u(rng));
    } else if (cls == "variable") {
      add(stars, fmt::format("DEMOS{:06d}", stars.ids.size()), p.ra_deg, p.dec_deg,
          12 + 8 * u(rng), std::nan(""), std::nan(""));
    } else if (cls == "agn") {
      add(qsos, fmt::format("DEMOQ{:06d}", qsos.ids.size()), p.ra_deg, p.dec_deg,
          18 + 2 * u(rng), 0.3 + 2 * u(rng), std::nan(""));
    }
    if (n % 20 == 0) demo.watchlist.push_back({id, p.ra_deg, p.dec_deg, 3.0});
    ++n;
  }
  for (size_t i = 0; i < background; ++i) {
    const double ra = 360 * u(rng), dec = std::asin(2 * u(rng) - 1) * sky::kRadToDeg;
    if (i % 2) {
      add(galaxies, fmt::format("DEMOG{:06d}", galaxies.ids.size()), ra, dec, 18 + 4 * u(rng),
          0.01 + 0.3 * u(rng), 5 + 30 * u(rng));
    } else {
      add(stars, fmt::format("DEMOS{:06d}", stars.ids.size()), ra, dec, 8 + 12 * u(rng),
          std::nan(""), std::nan(""));
    }
    if (i % 1000 == 0) {
      demo.watchlist.push_back({fmt::format("demo-cone-{}", i / 1000), ra, dec, 600.0});
    }
  }
  auto build = [&](Rows& r, std::string name, sky::ObjectCategory category,
                   std::string mag_filter) -> Status {
    ASSIGN_OR_RETURN(sky::Catalog catalog,
                     sky::Catalog::FromPositions(r.ra, r.dec, sky::IdColumn::Strings(r.ids)));
    sky::ContextCatalog c;
    c.name = std::move(name);
    c.catalog = std::move(catalog);
    c.category.assign(r.ra.size(), category);
    c.mag = r.mag;
    c.mag_filter = std::move(mag_filter);
    if (category != sky::ObjectCategory::kStar) c.z = r.z;
    if (category == sky::ObjectCategory::kGalaxy) c.major_axis_arcsec = r.major;
    demo.catalogs.push_back(std::move(c));
    return Status::Ok();
  };
  RETURN_IF_ERROR(build(galaxies, "demo_galaxies", sky::ObjectCategory::kGalaxy, "r"));
  RETURN_IF_ERROR(build(stars, "demo_stars", sky::ObjectCategory::kStar, "V"));
  RETURN_IF_ERROR(build(qsos, "demo_qso", sky::ObjectCategory::kQso, "r"));
  return demo;
}

}  // namespace lantern::pipeline
