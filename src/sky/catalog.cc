#include "sky/catalog.h"

#include <cmath>
#include <fmt/format.h>

#include "sky/geometry.h"

namespace lantern::sky {

IdColumn IdColumn::Ints(std::vector<int64_t> ids) {
  IdColumn c;
  c.kind_ = Kind::kInt64;
  c.ints_ = std::move(ids);
  return c;
}

IdColumn IdColumn::Strings(std::vector<std::string> ids) {
  std::string chars;
  std::vector<uint64_t> offsets{0};
  offsets.reserve(ids.size() + 1);
  for (const std::string& id : ids) {
    chars += id;
    offsets.push_back(chars.size());
  }
  return Packed(std::move(chars), std::move(offsets));
}

IdColumn IdColumn::Packed(std::string chars, std::vector<uint64_t> offsets) {
  IdColumn c;
  c.kind_ = Kind::kString;
  c.chars_ = std::move(chars);
  c.offsets_ = std::move(offsets);
  if (c.offsets_.empty()) c.offsets_.push_back(0);
  return c;
}

size_t IdColumn::size() const {
  switch (kind_) {
    case Kind::kInt64:
      return ints_.size();
    case Kind::kString:
      return offsets_.size() - 1;
    case Kind::kRowIndex:
      break;
  }
  return 0;
}

std::string IdColumn::ToString(size_t row) const {
  switch (kind_) {
    case Kind::kInt64:
      return std::to_string(ints_[row]);
    case Kind::kString:
      return std::string(String(row));
    case Kind::kRowIndex:
      break;
  }
  return std::to_string(row);
}

Result<Catalog> Catalog::FromPositions(std::vector<double> ra_deg, std::vector<double> dec_deg,
                                       IdColumn ids) {
  if (ra_deg.size() != dec_deg.size()) {
    return InvalidArgument(fmt::format("catalog: {} ra values but {} dec values", ra_deg.size(),
                                       dec_deg.size()));
  }
  if (ids.kind() != IdColumn::Kind::kRowIndex && ids.size() != ra_deg.size()) {
    return InvalidArgument(
        fmt::format("catalog: {} ids for {} positions", ids.size(), ra_deg.size()));
  }
  Catalog c;
  const size_t n = ra_deg.size();
  c.x_.resize(n);
  c.y_.resize(n);
  c.z_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(ra_deg[i])) {
      return InvalidArgument(fmt::format("catalog row {}: ra {} is not finite", i, ra_deg[i]));
    }
    if (!(dec_deg[i] >= -90.0 && dec_deg[i] <= 90.0)) {
      return InvalidArgument(
          fmt::format("catalog row {}: dec {} is outside [-90, 90]", i, dec_deg[i]));
    }
    ra_deg[i] = WrapRaDeg(ra_deg[i]);
    const UnitVector v = FromRaDec(ra_deg[i], dec_deg[i]);
    c.x_[i] = v.x;
    c.y_[i] = v.y;
    c.z_[i] = v.z;
  }
  c.ra_ = std::move(ra_deg);
  c.dec_ = std::move(dec_deg);
  c.ids_ = std::move(ids);
  return c;
}

}  // namespace lantern::sky
