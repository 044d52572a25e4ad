// Object features: Lasair-compatible light-curve statistics computed from a LightCurve
// (light_curve.h). ZTF objects get the columns of Lasair-ZTF's `objects` table, Rubin objects
// those of Lasair-LSST's (docs/features.md defines each one). The result is an ordered list of
// column name → value (null, integer, double or string); `htm16` comes from sky::HtmId.
// Pure functions of their input; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "alert/alert.h"
#include "features/light_curve.h"

namespace lantern::features {

// std::monostate is SQL NULL.
using FeatureValue = std::variant<std::monostate, int64_t, double, std::string>;

// Columns in the documented order.
class Features {
 public:
  void Add(std::string name, FeatureValue value) {
    columns_.emplace_back(std::move(name), std::move(value));
  }
  // Non-finite doubles are stored as null.
  void AddDouble(std::string name, double value);
  void Reserve(size_t columns) { columns_.reserve(columns); }

  const std::vector<std::pair<std::string, FeatureValue>>& columns() const { return columns_; }
  // The value of column `name`, or nullptr when there is no such column.
  const FeatureValue* Find(std::string_view name) const;

 private:
  std::vector<std::pair<std::string, FeatureValue>> columns_;
};

// Dispatches on lc.survey.
Features Compute(const LightCurve& lc);
Features ComputeZtf(const LightCurve& lc);
Features ComputeLsst(const LightCurve& lc);

// Features of the light curve one packet carries: Compute(FromAlert(alert)).
Features ComputeForAlert(const alert::Alert& alert);

// The column names each survey produces, in order.
const std::vector<std::string>& ZtfColumns();
const std::vector<std::string>& LsstColumns();

}  // namespace lantern::features
