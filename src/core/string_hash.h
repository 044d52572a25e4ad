// Heterogeneous lookup for unordered maps keyed by std::string: with
// std::unordered_map<std::string, V, StringHash, std::equal_to<>>, find() takes a
// std::string_view without building a std::string (and allocating, past the small-string size).
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace lantern {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace lantern
