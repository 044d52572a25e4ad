// The historical engine shared by `lantern query` and `lantern filter test`: runs a compiled
// filter over every object of one survey in a store opened read-only (so it works while
// `lantern run` holds the store), printing the matching rows to stdout. Single-threaded.
#pragma once

#include <cstddef>
#include <string>

#include "alert/alert.h"
#include "core/status.h"
#include "filter/filter.h"

namespace lantern::cli {

struct StoreQueryOptions {
  std::string dir = "lantern-data";
  size_t limit = 1000;   // rows to print
  size_t offset = 0;     // rows to skip first
  size_t chunk = 10000;  // objects per batch
  bool json = false;     // one JSON object per row instead of a tab-separated table
};

// Refuses tables the store does not keep (watchmaps, annotations, TNS) and a directory without
// a store. Returns the number of rows printed.
Result<size_t> RunOverStore(const filter::CompiledFilter& f, alert::Survey survey,
                            const StoreQueryOptions& o);

}  // namespace lantern::cli
