// ObjectRecord: what the objects table holds per object — its full light curve in the typed
// form the feature calculators read (so recomputing features for a new alert is one read),
// the latest features (Lasair column names), the mean position (the key of its positions
// entry), the crossmatch context and the id of the newest alert. No processing timestamps:
// replaying alerts rewrites the same bytes. Value type; thread-compatible.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "features/features.h"
#include "features/light_curve.h"

namespace lantern::store {

struct ObjectRecord {
  features::LightCurve light_curve;  // survey, object id, detections, limits
  features::Features features;
  double ra = alert::kNaN;   // mean position (features::ComputeMeanPosition)
  double dec = alert::kNaN;
  int64_t latest_alert_id = 0;
  std::string context_json;  // crossmatch context (JSON object), empty when none
};

std::string SerializeObject(const ObjectRecord& record);
Result<ObjectRecord> ParseObject(std::string_view bytes);

// Features in the store's binary form (also used by the alerts table's enrichment).
void AppendFeatures(const features::Features& features, std::string* out);

}  // namespace lantern::store
