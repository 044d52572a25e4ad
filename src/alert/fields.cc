#include "alert/fields.h"

#include <limits>

namespace lantern::alert {

double FieldValue::AsDouble() const {
  switch (kind) {
    case FieldKind::kInt: return static_cast<double>(i);
    case FieldKind::kFloat:
    case FieldKind::kDouble: return d;
    case FieldKind::kBool: return i ? 1.0 : 0.0;
    default: return std::numeric_limits<double>::quiet_NaN();
  }
}

double FieldRecord::GetDouble(std::string_view name) const {
  const std::optional<FieldValue> v = Get(name);
  return v ? v->AsDouble() : std::numeric_limits<double>::quiet_NaN();
}

double FieldRecord::GetDouble(std::string_view name, int* hint) const {
  const std::optional<FieldValue> v = Get(name, hint);
  return v ? v->AsDouble() : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace lantern::alert
