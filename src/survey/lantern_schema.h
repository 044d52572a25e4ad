// Lantern's own Avro schemas (schemas/lantern/*.avsc in the repository), compiled into the
// binary so that `lantern simulate` and the sinks need no files at run time.
#pragma once

#include <string_view>

namespace lantern::survey {

// The survey-neutral packet with cutouts (what `lantern simulate` writes).
std::string_view LanternAlertSchema();
// The enriched alert without cutouts (what Lantern publishes).
std::string_view LanternEnrichedSchema();

}  // namespace lantern::survey
