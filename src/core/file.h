// Whole-file reads and writes, and recursive listing of files under a directory. Stateless
// free functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace lantern {

Result<std::string> ReadFile(const std::string& path);
Status WriteFile(const std::string& path, std::string_view bytes);

// Expands each path: a regular file is kept as given; a directory is walked recursively and
// its regular files whose name ends with one of `suffixes` (all files if empty) are added in
// sorted order. A path that does not exist is an error.
Result<std::vector<std::string>> ExpandPaths(const std::vector<std::string>& paths,
                                             const std::vector<std::string>& suffixes);

}  // namespace lantern
