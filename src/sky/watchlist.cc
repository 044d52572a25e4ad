#include "sky/watchlist.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <memory>

#include "sky/csv.h"

namespace lantern::sky {
namespace {

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ParseDouble(const std::string& text, double* out) {
  const std::string s = Trim(text);
  size_t b = (!s.empty() && s[0] == '+') ? 1 : 0;
  const auto [p, ec] = std::from_chars(s.data() + b, s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && b < s.size() && std::isfinite(*out);
}

Status CheckTarget(const WatchTarget& t, size_t i) {
  if (!std::isfinite(t.ra_deg) || !(t.dec_deg >= -90.0 && t.dec_deg <= 90.0)) {
    return InvalidArgument(fmt::format("target {} ('{}'): position ({}, {}) is not a valid ra, dec",
                                       i, t.name, t.ra_deg, t.dec_deg));
  }
  if (!(t.radius_arcsec > 0.0 && t.radius_arcsec <= kMaxWatchRadiusArcsec)) {
    return InvalidArgument(fmt::format("target {} ('{}'): radius {} arcsec is outside (0, {}]", i,
                                       t.name, t.radius_arcsec, kMaxWatchRadiusArcsec));
  }
  return Status::Ok();
}

Result<std::vector<WatchTarget>> ReadTargets(CsvReader& reader, double default_radius) {
  const std::string& file = reader.name();
  if (!(default_radius > 0.0 && default_radius <= kMaxWatchRadiusArcsec)) {
    return InvalidArgument(fmt::format("{}: default radius {} arcsec is outside (0, {}]", file,
                                       default_radius, kMaxWatchRadiusArcsec));
  }
  std::vector<std::string> header;
  ASSIGN_OR_RETURN(const bool any, reader.Next(&header));
  if (!any) return InvalidArgument(fmt::format("{}: empty file, expected a header row", file));
  for (std::string& h : header) h = Lower(Trim(h));
  ASSIGN_OR_RETURN(const size_t name_i, FindColumn(header, "name", file));
  ASSIGN_OR_RETURN(const size_t ra_i, FindColumn(header, "ra", file));
  ASSIGN_OR_RETURN(const size_t dec_i, FindColumn(header, "dec", file));
  const auto radius_it = std::find(header.begin(), header.end(), "radius");
  const bool has_radius = radius_it != header.end();
  const size_t radius_i = has_radius ? static_cast<size_t>(radius_it - header.begin()) : 0;

  std::vector<WatchTarget> targets;
  std::vector<std::string> row;
  for (;;) {
    ASSIGN_OR_RETURN(const bool more, reader.Next(&row));
    if (!more) break;
    const uint64_t line = reader.line();
    if (row.size() != header.size()) {
      return InvalidArgument(fmt::format("{}: line {}: {} fields, but the header has {}", file,
                                         line, row.size(), header.size()));
    }
    auto number = [&](size_t col, double* out) -> Status {
      if (!ParseDouble(row[col], out)) {
        return InvalidArgument(fmt::format("{}: line {}: column '{}': '{}' is not a finite number",
                                           file, line, header[col], row[col]));
      }
      return Status::Ok();
    };
    WatchTarget t;
    t.name = Trim(row[name_i]);
    RETURN_IF_ERROR(number(ra_i, &t.ra_deg));
    RETURN_IF_ERROR(number(dec_i, &t.dec_deg));
    if (t.dec_deg < -90.0 || t.dec_deg > 90.0) {
      return InvalidArgument(fmt::format("{}: line {}: column 'dec': {} is outside [-90, 90]",
                                         file, line, row[dec_i]));
    }
    t.radius_arcsec = default_radius;
    if (has_radius && !Trim(row[radius_i]).empty()) {
      RETURN_IF_ERROR(number(radius_i, &t.radius_arcsec));
      if (!(t.radius_arcsec > 0.0 && t.radius_arcsec <= kMaxWatchRadiusArcsec)) {
        return InvalidArgument(
            fmt::format("{}: line {}: column 'radius': {} arcsec is outside (0, {}]", file, line,
                        row[radius_i], kMaxWatchRadiusArcsec));
      }
    }
    targets.push_back(std::move(t));
  }
  return targets;
}

}  // namespace

Result<Watchlist> Watchlist::Build(int64_t id, std::string name,
                                   std::vector<WatchTarget> targets) {
  std::vector<double> ra, dec, radii;
  ra.reserve(targets.size());
  dec.reserve(targets.size());
  radii.reserve(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    RETURN_IF_ERROR(CheckTarget(targets[i], i).WithContext(fmt::format("watchlist {}", id)));
    ra.push_back(targets[i].ra_deg);
    dec.push_back(targets[i].dec_deg);
    radii.push_back(targets[i].radius_arcsec);
  }
  ASSIGN_OR_RETURN(const Catalog positions, Catalog::FromPositions(std::move(ra), std::move(dec)));
  Watchlist w;
  ASSIGN_OR_RETURN(w.index_, TargetIndex::Build(positions, radii));
  w.id_ = id;
  w.name_ = std::move(name);
  w.targets_ = std::move(targets);
  return w;
}

Result<std::vector<WatchHit>> Watchlist::Match(std::span<const SkyPoint> alerts) const {
  ASSIGN_OR_RETURN(const std::vector<sky::Match> found, index_.Within(alerts));
  std::vector<WatchHit> hits;
  hits.reserve(found.size());
  for (const sky::Match& m : found) hits.push_back({m.query, m.row, m.sep_arcsec});
  return hits;
}

Result<std::vector<WatchTarget>> LoadWatchTargetsCsv(const std::string& path,
                                                     double default_radius_arcsec) {
  ASSIGN_OR_RETURN(auto reader, CsvReader::Open(path));
  return ReadTargets(*reader, default_radius_arcsec);
}

Result<std::vector<WatchTarget>> ParseWatchTargetsCsv(std::string text,
                                                      double default_radius_arcsec,
                                                      const std::string& source) {
  auto reader = CsvReader::FromString(std::move(text), source);
  return ReadTargets(*reader, default_radius_arcsec);
}

}  // namespace lantern::sky
