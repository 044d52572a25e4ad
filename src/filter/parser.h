// Recursive-descent parser for the filter dialect (docs/filters.md): Lasair's three strings
// (`selected`, `tables`, `conditions`, where conditions may hold or be only an ORDER BY) or one
// `SELECT ... FROM ... [WHERE ...] [ORDER BY ...]` text. Nesting is bounded (kMaxDepth), so
// hostile input cannot exhaust the stack; every error names the part, byte offset and token.
// Pure functions; safe from any thread.
#pragma once

#include <string_view>

#include "core/status.h"
#include "filter/ast.h"

namespace lantern::filter {

// Deepest expression tree accepted (parentheses, NOT, operators and function calls all count).
inline constexpr int kMaxDepth = 100;

Result<Query> Parse(std::string_view selected, std::string_view tables,
                    std::string_view conditions);
Result<Query> ParseSelect(std::string_view text);

}  // namespace lantern::filter
