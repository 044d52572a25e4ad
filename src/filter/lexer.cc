#include "filter/lexer.h"

#include <cctype>

namespace lantern::filter {
namespace {

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

Status Refuse(std::string_view part, size_t offset, std::string_view token, std::string_view why) {
  return InvalidArgument(std::string(part) + " byte " + std::to_string(offset) + ": " +
                         Quote(token) + " " + std::string(why));
}

}  // namespace

std::string Quote(std::string_view text) {
  if (text.size() > 40) return "'" + std::string(text.substr(0, 40)) + "...'";
  return "'" + std::string(text) + "'";
}

Result<std::vector<Token>> Lex(std::string_view text, std::string_view part) {
  if (text.size() > kMaxFilterBytes) {
    return Refuse(part, kMaxFilterBytes, text.substr(kMaxFilterBytes, 10),
                  "is beyond the longest text accepted (" + std::to_string(kMaxFilterBytes) +
                      " bytes; this one has " + std::to_string(text.size()) + ")");
  }
  std::vector<Token> tokens;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    const char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      ++i;
      continue;
    }
    Token t;
    t.offset = i;
    const auto two = text.substr(i, 2);
    if (c == ';') return Refuse(part, i, ";", "is not allowed: one filter is one statement");
    if (c == '#' || two == "--" || two == "/*" || two == "*/") {
      return Refuse(part, i, c == '#' ? "#" : two, "is not allowed: filters have no comments");
    }
    if (c == '\\') return Refuse(part, i, "\\", "is not allowed (no escapes)");
    if (two == "||" || two == "&&") {
      return Refuse(part, i, two, "is not allowed: write OR / AND");
    }
    if (c == '`' || c == '@' || c == '?' || c == '[' || c == ']' || c == '{' || c == '}' ||
        c == '|' || c == '^' || c == '~' || (c == '!' && two != "!=")) {
      return Refuse(part, i, text.substr(i, 1), "is not part of the filter dialect");
    }
    if (IsIdentStart(c)) {
      size_t j = i + 1;
      while (j < n && IsIdentChar(text[j])) ++j;
      t.kind = TokenKind::kIdent;
      t.text = text.substr(i, j - i);
      i = j;
    } else if (IsDigit(c) || (c == '.' && i + 1 < n && IsDigit(text[i + 1]))) {
      size_t j = i;
      while (j < n && IsDigit(text[j])) ++j;
      if (j < n && text[j] == '.') {
        ++j;
        while (j < n && IsDigit(text[j])) ++j;
      }
      if (j < n && (text[j] == 'e' || text[j] == 'E')) {
        size_t k = j + 1;
        if (k < n && (text[k] == '+' || text[k] == '-')) ++k;
        if (k < n && IsDigit(text[k])) {
          while (k < n && IsDigit(text[k])) ++k;
          j = k;
        }
      }
      if (j < n && IsIdentStart(text[j])) {
        size_t k = j;
        while (k < n && IsIdentChar(text[k])) ++k;
        return Refuse(part, i, text.substr(i, k - i), "is neither a number nor a name");
      }
      t.kind = TokenKind::kNumber;
      t.text = text.substr(i, j - i);
      i = j;
    } else if (c == '\'' || c == '"') {
      size_t j = i + 1;
      bool closed = false;
      while (j < n) {
        if (text[j] == c) {
          if (j + 1 < n && text[j + 1] == c) {
            t.value.push_back(c);
            j += 2;
            continue;
          }
          closed = true;
          ++j;
          break;
        }
        if (text[j] == '\\') {
          return Refuse(part, j, "\\", "is not allowed (no escapes; double a quote to include it)");
        }
        t.value.push_back(text[j++]);
      }
      if (!closed) return Refuse(part, i, text.substr(i, j - i), "is a string that never ends");
      t.kind = TokenKind::kString;
      t.text = text.substr(i, j - i);
      i = j;
    } else if (two == "<=" || two == ">=" || two == "<>" || two == "!=") {
      t.kind = TokenKind::kOp;
      t.text = two;
      i += 2;
    } else if (c == '=' || c == '<' || c == '>' || c == '+' || c == '-' || c == '*' || c == '/' ||
               c == '%') {
      t.kind = TokenKind::kOp;
      t.text = text.substr(i, 1);
      ++i;
    } else if (c == '(' || c == ')' || c == ',' || c == '.' || c == ':' || c == '&') {
      t.kind = TokenKind::kPunct;
      t.text = text.substr(i, 1);
      ++i;
    } else {
      return Refuse(part, i, text.substr(i, 1), "is not part of the filter dialect");
    }
    tokens.push_back(std::move(t));
  }
  Token end;
  end.offset = n;
  tokens.push_back(std::move(end));
  return tokens;
}

}  // namespace lantern::filter
