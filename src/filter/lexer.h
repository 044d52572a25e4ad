// Tokens of the filter dialect. The lexer refuses, with the byte offset, everything that has
// no place in a filter and that SQL injection relies on: statement separators, every comment
// form, backslash escapes, backquoted identifiers, user variables, `||` and `&&`. Pure
// function; safe from any thread.
#pragma once

#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace lantern::filter {

enum class TokenKind : unsigned char {
  kIdent,   // name or keyword (keywords are recognised by the parser, case-insensitively)
  kNumber,  // 12, 1.5, .5, 1e-3
  kString,  // 'text' or "text"; `value` holds the text without quotes, doubled quotes undone
  kOp,      // = != <> < <= > >= + - * / %
  kPunct,   // ( ) , . : &
  kEnd,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string_view text;  // as written (a view into the input)
  std::string value;      // kString: the literal's value
  size_t offset = 0;      // byte offset in the input
};

// Longest text accepted for one part of a filter (the SELECT list, tables, or conditions).
// ASCII case-insensitive equality (SQL keywords and names).
inline bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

inline constexpr size_t kMaxFilterBytes = 64 * 1024;

// `part` names the text in errors ("conditions byte 17: ...").
Result<std::vector<Token>> Lex(std::string_view text, std::string_view part);

// "'x'" for error messages: the token's text, shortened to 40 bytes.
std::string Quote(std::string_view text);

}  // namespace lantern::filter
