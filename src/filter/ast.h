// The syntax tree of one filter in Lantern's Lasair-compatible SQL dialect (docs/filters.md):
// a SELECT list, an optional WHERE condition and an optional ORDER BY, each node carrying the
// byte offset of its first token so that later errors (unknown column, type mismatch) can
// point at it. Produced by parser.h, consumed by filter.h's compiler. Value types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lantern::filter {

enum class ExprKind : uint8_t {
  kNull,       // NULL
  kInt,        // integer literal (int_value)
  kDouble,     // decimal or exponent literal (double_value)
  kString,     // 'text' or "text" (text)
  kColumn,     // [table.]column (table, text)
  kNeg,        // -a
  kArith,      // a op b, op one of + - * / %
  kCompare,    // a op b, op one of = != < <= > >= (<> is stored as !=)
  kAnd,        // n-ary
  kOr,         // n-ary
  kNot,        // NOT a
  kIsNull,     // a IS [NOT] NULL
  kIn,         // a [NOT] IN (b, c, ...)
  kBetween,    // a [NOT] BETWEEN b AND c
  kLike,       // a [NOT] LIKE b
  kCall,       // text(args...), text upper-cased
};

struct Expr {
  ExprKind kind = ExprKind::kNull;
  size_t offset = 0;     // byte offset of the node's first token in the text it came from
  int depth = 1;         // height of the subtree (bounded by the parser)
  std::string op;        // kArith, kCompare
  std::string table;     // kColumn: qualifier, "" when unqualified
  std::string text;      // kColumn name, kString value, kCall function name
  int64_t int_value = 0;
  double double_value = 0;
  bool negated = false;  // kIsNull (IS NOT NULL), kIn, kBetween, kLike
  std::vector<std::unique_ptr<Expr>> args;
};

struct SelectItem {
  std::unique_ptr<Expr> expr;
  std::string name;  // the alias, else the expression's text as written
};

struct OrderItem {
  std::unique_ptr<Expr> expr;
  bool descending = false;
};

struct Query {
  std::vector<SelectItem> select;
  std::unique_ptr<Expr> where;  // null when there is no condition
  std::vector<OrderItem> order_by;
  std::vector<std::string> tables;  // the `tables` list as given, trimmed
};

}  // namespace lantern::filter
