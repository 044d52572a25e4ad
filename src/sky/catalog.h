// Catalog: an in-memory positional catalog as a struct of arrays — ra, dec (degrees) and the
// unit vector (x, y, z) of every source — plus one id per row, either int64 or string. Rows are
// addressed by index; indexes (zones.h) keep their own sorted copy and refer back by row.
// Immutable after construction; const methods are safe from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace lantern::sky {

// Per-row identifiers: int64 when every id parses as one, otherwise strings; when no id column
// is given, the row index serves as the id.
class IdColumn {
 public:
  enum class Kind { kRowIndex, kInt64, kString };

  IdColumn() = default;
  static IdColumn Ints(std::vector<int64_t> ids);
  static IdColumn Strings(std::vector<std::string> ids);
  // `chars` holds the ids back to back; id i is chars[offsets[i], offsets[i + 1]).
  static IdColumn Packed(std::string chars, std::vector<uint64_t> offsets);

  Kind kind() const { return kind_; }
  // Number of ids held (0 for kRowIndex, which covers any row).
  size_t size() const;
  int64_t Int(size_t row) const { return ints_[row]; }
  std::string_view String(size_t row) const {
    return std::string_view(chars_).substr(offsets_[row], offsets_[row + 1] - offsets_[row]);
  }
  // The id of `row` as text, whatever the kind.
  std::string ToString(size_t row) const;

 private:
  Kind kind_ = Kind::kRowIndex;
  std::vector<int64_t> ints_;
  std::string chars_;
  std::vector<uint64_t> offsets_;
};

class Catalog {
 public:
  Catalog() = default;

  // Validates (finite ra; dec in [-90, 90]; ids, if any, one per row), wraps ra into [0, 360)
  // and computes unit vectors. Errors name the offending row.
  static Result<Catalog> FromPositions(std::vector<double> ra_deg, std::vector<double> dec_deg,
                                       IdColumn ids = IdColumn());

  size_t size() const { return ra_.size(); }
  bool empty() const { return ra_.empty(); }
  std::span<const double> ra() const { return ra_; }
  std::span<const double> dec() const { return dec_; }
  std::span<const double> x() const { return x_; }
  std::span<const double> y() const { return y_; }
  std::span<const double> z() const { return z_; }
  const IdColumn& ids() const { return ids_; }
  std::string IdString(size_t row) const { return ids_.ToString(row); }

 private:
  std::vector<double> ra_, dec_, x_, y_, z_;
  IdColumn ids_;
};

}  // namespace lantern::sky
