#include "features/features.h"

#include <cmath>

namespace lantern::features {

void Features::AddDouble(std::string name, double value) {
  // Built in place: moving a null variant trips a false -Wmaybe-uninitialized in GCC 12.
  auto& column = columns_.emplace_back();
  column.first = std::move(name);
  if (std::isfinite(value)) column.second.emplace<double>(value);
}

const FeatureValue* Features::Find(std::string_view name) const {
  for (const auto& [column, value] : columns_) {
    if (column == name) return &value;
  }
  return nullptr;
}

Features Compute(const LightCurve& lc) {
  return lc.survey == alert::Survey::kZtf ? ComputeZtf(lc) : ComputeLsst(lc);
}

Features ComputeForAlert(const alert::Alert& alert) { return Compute(FromAlert(alert)); }

const std::vector<std::string>& ZtfColumns() {
  static const std::vector<std::string> kColumns = [] {
    LightCurve empty;
    empty.survey = alert::Survey::kZtf;
    std::vector<std::string> names;
    const Features features = ComputeZtf(empty);
    for (const auto& [name, value] : features.columns()) names.push_back(name);
    return names;
  }();
  return kColumns;
}

const std::vector<std::string>& LsstColumns() {
  static const std::vector<std::string> kColumns = [] {
    LightCurve empty;
    empty.survey = alert::Survey::kLsst;
    std::vector<std::string> names;
    const Features features = ComputeLsst(empty);
    for (const auto& [name, value] : features.columns()) names.push_back(name);
    return names;
  }();
  return kColumns;
}

}  // namespace lantern::features
