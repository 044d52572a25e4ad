// Internal to the filter module: the typed plan that compile.cc builds from a Query and
// eval.cc runs. Nodes live in one vector and refer to their arguments by index.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "filter/schema.h"

namespace lantern::filter {

enum class Op : uint8_t {
  kNull, kInt, kDouble, kString, kColumn,
  kNeg, kAdd, kSub, kMul, kDiv, kMod,
  kEq, kNe, kLt, kLe, kGt, kGe,
  kAnd, kOr, kNot, kIsNull, kIn, kBetween, kLike,
  kAbs, kSqrt, kLog10, kPow, kLeast, kGreatest, kRound, kFloor, kCeil, kMjdNow, kJdNow,
  kJsonExtract,
};

// One step of a JSON path: an object member or an array element.
struct JsonStep {
  std::string key;
  int64_t index = -1;  // >= 0: array element
};

struct PlanNode {
  Op op = Op::kNull;
  Type type = Type::kNull;      // the node's result type
  Type compare = Type::kNull;   // comparisons, IN, BETWEEN: how operands are compared
  size_t offset = 0;            // for runtime errors
  bool negated = false;         // IS NOT NULL, NOT IN, NOT BETWEEN, NOT LIKE
  std::vector<int> args;
  int64_t int_value = 0;
  double double_value = 0;
  std::string string_value;
  bool constant = false;        // no column reference: one value for every row of a Run
  int table = -1;               // kColumn: index into Plan::tables
  std::string column;           // kColumn: the column's name in the batch
  int column_index = -1;        // kColumn: its index among the table's TableDef::columns
  std::vector<JsonStep> path;   // kJsonExtract with a constant path
};

struct PlanTable {
  std::string key;        // batch table key
  bool inner_join = true; // rows without an entry here are dropped
};

struct Plan {
  std::vector<PlanNode> nodes;
  std::vector<PlanTable> tables;
  int where = -1;
  std::vector<int> select;
  std::vector<std::string> names;
  std::vector<int> order;
  std::vector<bool> descending;
  std::vector<std::string> table_keys;
};

}  // namespace lantern::filter
