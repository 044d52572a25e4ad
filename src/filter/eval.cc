// CompiledFilter::Run: column-at-a-time evaluation of the plan over selection vectors.
// Every node turns a selection (batch row numbers) into a dense vector of results, one per
// selected row, with a validity mask (SQL NULL). Truth values are 0 / 1 / NULL as in MariaDB.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <iterator>
#include <numeric>
#include <string>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "filter/filter.h"
#include "filter/plan.h"

namespace lantern::filter {
namespace {

using Sel = std::vector<uint32_t>;

struct Vec {
  Type type = Type::kNull;
  std::vector<int64_t> i;
  std::vector<double> d;
  std::vector<std::string_view> s;
  std::vector<uint8_t> valid;
  std::vector<uint8_t> json_kind;  // kJson: 1 number (d), 2 string (s)
  std::vector<std::string> owned;  // storage behind `s` for computed strings (reserved)
  size_t size() const { return valid.size(); }
};

int LowerChar(unsigned char c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

int CaseCompare(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t k = 0; k < n; ++k) {
    const int x = LowerChar(a[k]), y = LowerChar(b[k]);
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

// a = b ignoring ASCII case, inline: string IN and = run it per row and item.
bool EqualIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t k = 0; k < a.size(); ++k) {
    if (LowerChar(a[k]) != LowerChar(b[k])) return false;
  }
  return true;
}

// SQL LIKE with % and _, ignoring ASCII case (MariaDB's default collation).
bool Like(std::string_view text, std::string_view pattern) {
  size_t t = 0, p = 0, star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '%') {
      star_p = p++;
      star_t = t;
    } else if (p < pattern.size() &&
               (pattern[p] == '_' || LowerChar(pattern[p]) == LowerChar(text[t]))) {
      ++p;
      ++t;
    } else if (star_p != std::string_view::npos) {
      p = star_p + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

double MariaDbRound(double value, int64_t dec) {
  // my_double_round: rint (round half to even) at 10^dec.
  const bool negative = dec < 0;
  const double tmp = std::pow(10.0, static_cast<double>(negative ? -dec : dec));
  if (negative && std::isinf(tmp)) return 0.0;
  if (!negative && std::isinf(value * tmp)) return value;
  return negative ? std::rint(value / tmp) * tmp : std::rint(value * tmp) / tmp;
}

class Evaluator {
 public:
  Evaluator(const Plan& plan, const Batch& batch, double now_mjd)
      : plan_(plan), batch_(batch), now_mjd_(now_mjd) {
    tables_.resize(plan.tables.size(), nullptr);
    for (size_t t = 0; t < plan.tables.size(); ++t) tables_[t] = batch.Find(plan.tables[t].key);
    // Each column reference, resolved once per Run. A batch whose table lacks the column (built
    // for another schema) reads as NULL.
    columns_.resize(plan.nodes.size(), nullptr);
    for (size_t i = 0; i < plan.nodes.size(); ++i) {
      const PlanNode& n = plan.nodes[i];
      if (n.op != Op::kColumn || tables_[n.table] == nullptr) continue;
      const TableData& t = *tables_[n.table];
      const size_t c = static_cast<size_t>(n.column_index);
      if (t.def != nullptr && c < t.columns.size() && c < t.def->columns.size() &&
          t.def->columns[c].name == n.column && t.columns[c].type == n.type) {
        columns_[i] = &t.columns[c];
      }
    }
  }

  const Status& status() const { return status_; }
  // The batch column that `node` reads, when it is a column reference; else nullptr.
  const Column* ColumnAt(int node) const { return columns_[node]; }

  // Rows that pass every inner-joined table.
  Sel Base() const {
    Sel sel;
    std::vector<const uint8_t*> present;
    for (size_t t = 0; t < plan_.tables.size(); ++t) {
      if (plan_.tables[t].inner_join && tables_[t] == nullptr) return sel;  // no rows there
      if (tables_[t] != nullptr && !tables_[t]->present.empty()) {
        present.push_back(tables_[t]->present.data());
      }
    }
    sel.resize(batch_.rows());
    if (present.empty()) {
      std::iota(sel.begin(), sel.end(), 0);
      return sel;
    }
    size_t n = 0;
    for (uint32_t r = 0; r < batch_.rows(); ++r) {
      uint8_t keep = 1;
      for (const uint8_t* p : present) keep &= p[r];
      sel[n] = r;
      n += keep;
    }
    sel.resize(n);
    return sel;
  }

  // The rows of `sel` for which node is TRUE (in batch order, as `sel`). Only TRUE matters
  // here, so AND narrows the selection operand by operand, OR stops at the first TRUE operand
  // of a row (as MariaDB does), and comparisons, IN, BETWEEN and IS NULL on a column or a
  // computed value against values without columns run as typed loops over the selection.
  Sel Filter(int node, Sel sel) {
    const PlanNode& n = plan_.nodes[node];
    if (sel.empty() || !status_.ok()) return {};
    switch (n.op) {
      case Op::kAnd:
        for (int a : n.args) {
          if (sel.empty() || !status_.ok()) break;
          sel = Filter(a, std::move(sel));
        }
        return sel;
      case Op::kOr: return FilterOr(n, std::move(sel));
      case Op::kEq: case Op::kNe: case Op::kLt: case Op::kLe: case Op::kGt: case Op::kGe:
      case Op::kIn: case Op::kBetween:
        if (n.compare == Type::kNull) return {};  // NULL on every row
        if (AllButFirstConstant(n) && !plan_.nodes[n.args[0]].constant) {
          return Select(n, sel);
        }
        if (n.op != Op::kIn && n.op != Op::kBetween && plan_.nodes[n.args[0]].constant &&
            !plan_.nodes[n.args[1]].constant) {
          return Select(n, sel);  // 5 < x reads as x > 5
        }
        break;
      case Op::kIsNull: {
        const Operand<int64_t> x = ValidityOf(n.args[0], sel);
        Sel out(sel.size());
        size_t count = 0;
        for (size_t k = 0; k < sel.size(); ++k) {
          out[count] = sel[k];
          count += x.Valid(k, sel[k]) == n.negated;
        }
        out.resize(count);
        return out;
      }
      default:
        break;
    }
    const Vec v = Eval(node, sel);
    Sel out;
    out.reserve(sel.size());
    for (size_t k = 0; k < sel.size(); ++k) {
      if (Truth(v, k) == 1) out.push_back(sel[k]);
    }
    return out;
  }

  // 0 false, 1 true, 2 NULL.
  static uint8_t Truth(const Vec& v, size_t k) {
    if (!v.valid[k]) return 2;
    switch (v.type) {
      case Type::kInt: return v.i[k] != 0;
      case Type::kDouble: return v.d[k] != 0.0;
      default: return 2;
    }
  }

  Vec Eval(int node, const Sel& sel) {
    const PlanNode& n = plan_.nodes[node];
    const size_t count = sel.size();
    Vec out;
    out.type = n.type;
    switch (n.op) {
      case Op::kNull:
        Alloc(&out, count);
        return out;
      case Op::kInt:
        Alloc(&out, count);
        std::fill(out.i.begin(), out.i.end(), n.int_value);
        std::fill(out.valid.begin(), out.valid.end(), 1);
        return out;
      case Op::kDouble:
        Alloc(&out, count);
        std::fill(out.d.begin(), out.d.end(), n.double_value);
        std::fill(out.valid.begin(), out.valid.end(), 1);
        return out;
      case Op::kString:
        Alloc(&out, count);
        std::fill(out.s.begin(), out.s.end(), std::string_view(n.string_value));
        std::fill(out.valid.begin(), out.valid.end(), 1);
        return out;
      case Op::kColumn:
        return Gather(n, sel);
      case Op::kMjdNow:
      case Op::kJdNow:
        Alloc(&out, count);
        std::fill(out.d.begin(), out.d.end(), now_mjd_ + (n.op == Op::kJdNow ? 2400000.5 : 0));
        std::fill(out.valid.begin(), out.valid.end(), 1);
        return out;
      default:
        break;
    }
    std::vector<Vec> args;
    args.reserve(n.args.size());
    for (int a : n.args) args.push_back(Eval(a, sel));
    Alloc(&out, count);
    switch (n.op) {
      case Op::kNeg: Negate(n, args[0], &out); break;
      case Op::kAdd: case Op::kSub: case Op::kMul: case Op::kDiv: case Op::kMod:
        Arith(n, &args[0], &args[1], &out);
        break;
      case Op::kEq: case Op::kNe: case Op::kLt: case Op::kLe: case Op::kGt: case Op::kGe:
        Compare(n, &args, &out);
        break;
      case Op::kAnd: case Op::kOr: Logic(n.op == Op::kAnd, args, &out); break;
      case Op::kNot:
        for (size_t k = 0; k < count; ++k) {
          const uint8_t t = Truth(args[0], k);
          out.valid[k] = t != 2;
          out.i[k] = t == 0;
        }
        break;
      case Op::kIsNull:
        for (size_t k = 0; k < count; ++k) {
          out.valid[k] = 1;
          out.i[k] = (args[0].valid[k] == 0) != n.negated;
        }
        break;
      case Op::kIn: In(n, &args, &out); break;
      case Op::kBetween: Between(n, &args, &out); break;
      case Op::kLike: LikeOp(n, &args, &out); break;
      case Op::kJsonExtract: JsonExtract(n, args[0], &out); break;
      default: Function(n, &args, &out); break;
    }
    return out;
  }

 private:
  // --- Filter's typed loops ---------------------------------------------------------------

  // A value per selected row k (batch row r): a batch column (read at r), a computed vector
  // (read at k) or one value for all rows. Invalid entries still hold a readable value.
  template <typename T>
  struct Operand {
    enum Kind : uint8_t { kColumn, kVector, kScalar } kind = kScalar;
    const T* values = nullptr;             // kColumn of numbers, kVector
    const std::string* strings = nullptr;  // kColumn of strings
    const uint8_t* valid = nullptr;
    T scalar{};
    bool scalar_valid = false;
    Vec vec;  // storage for kVector and computed scalars

    size_t Index(size_t k, uint32_t r) const { return kind == kColumn ? r : k; }
    bool Valid(size_t k, uint32_t r) const {
      return kind == kScalar ? scalar_valid : valid[Index(k, r)] != 0;
    }
  };

  bool AllButFirstConstant(const PlanNode& n) const {
    for (size_t i = 1; i < n.args.size(); ++i) {
      if (!plan_.nodes[n.args[i]].constant) return false;
    }
    return true;
  }

  // Reads `node` as values of comparison type T (int64_t, double or std::string_view) for the
  // rows of `sel`; a constant node is evaluated once.
  template <typename T>
  Operand<T> OperandOf(int node, Type compare, const Sel& sel) {
    Operand<T> op;
    const PlanNode& n = plan_.nodes[node];
    if (n.op == Op::kColumn && columns_[node] != nullptr && n.type == compare) {
      const Column& c = *columns_[node];
      op.kind = Operand<T>::kColumn;
      op.valid = c.valid.data();
      if constexpr (std::is_same_v<T, int64_t>) op.values = c.ints.data();
      if constexpr (std::is_same_v<T, double>) op.values = c.doubles.data();
      if constexpr (std::is_same_v<T, std::string_view>) op.strings = c.strings.data();
      return op;
    }
    const bool scalar = n.constant;
    op.vec = Eval(node, scalar ? Sel{sel[0]} : sel);
    Coerce(compare, &op.vec);
    if constexpr (std::is_same_v<T, int64_t>) op.values = op.vec.i.data();
    if constexpr (std::is_same_v<T, double>) op.values = op.vec.d.data();
    if constexpr (std::is_same_v<T, std::string_view>) op.values = op.vec.s.data();
    op.valid = op.vec.valid.data();
    if (scalar) {
      op.kind = Operand<T>::kScalar;
      op.scalar_valid = op.vec.valid[0] != 0;
      op.scalar = op.values[0];
    } else {
      op.kind = Operand<T>::kVector;
    }
    return op;
  }

  // Validity of `node` over `sel` (for IS NULL): a column's mask, else the evaluated vector's.
  Operand<int64_t> ValidityOf(int node, const Sel& sel) {
    Operand<int64_t> op;
    if (plan_.nodes[node].op == Op::kColumn && columns_[node] != nullptr) {
      op.kind = Operand<int64_t>::kColumn;
      op.valid = columns_[node]->valid.data();
    } else {
      op.kind = Operand<int64_t>::kVector;
      op.vec = Eval(node, sel);
      op.valid = op.vec.valid.data();
    }
    return op;
  }

  // Comparison, IN or BETWEEN whose operands after the first are constants (or a binary
  // comparison with a constant first operand), for the comparison type.
  Sel Select(const PlanNode& n, const Sel& sel) {
    switch (n.compare) {
      case Type::kInt: return SelectTyped<int64_t>(n, sel);
      case Type::kDouble: return SelectTyped<double>(n, sel);
      case Type::kString: return SelectTyped<std::string_view>(n, sel);
      default: return {};
    }
  }

  template <typename T>
  Sel SelectTyped(const PlanNode& n, const Sel& sel) {
    std::vector<Operand<T>> operands;  // evaluated in argument order, as Eval does
    for (int a : n.args) {
      operands.push_back(OperandOf<T>(a, n.compare, sel));
      if (!status_.ok()) return {};
    }
    Op op = n.op;
    if (operands[0].kind == Operand<T>::kScalar) {  // binary comparison written constant first
      std::swap(operands[0], operands[1]);
      op = op == Op::kLt ? Op::kGt : op == Op::kGt ? Op::kLt
         : op == Op::kLe ? Op::kGe : op == Op::kGe ? Op::kLe : op;
    }
    const Operand<T>& a = operands[0];
    const std::vector<Operand<T>> items(std::make_move_iterator(operands.begin() + 1),
                                        std::make_move_iterator(operands.end()));
    switch (op) {
      case Op::kIn: return SelectIn(a, items, n.negated, sel);
      case Op::kBetween: return SelectBetween(a, items[0], items[1], n.negated, sel);
      default: break;
    }
    const Operand<T>& b = items[0];
    if (!b.scalar_valid) return {};  // x op NULL is NULL
    const T y = b.scalar;
    switch (op) {
      case Op::kEq: return SelectWhere(a, sel, [&](const T& v) { return Equal(v, y); });
      case Op::kNe: return SelectWhere(a, sel, [&](const T& v) { return !Equal(v, y); });
      case Op::kLt: return SelectWhere(a, sel, [&](const T& v) { return Less(v, y); });
      case Op::kLe: return SelectWhere(a, sel, [&](const T& v) { return !Less(y, v); });
      case Op::kGt: return SelectWhere(a, sel, [&](const T& v) { return Less(y, v); });
      default: return SelectWhere(a, sel, [&](const T& v) { return !Less(v, y); });
    }
  }

  template <typename T>
  static bool Equal(const T& a, const T& b) {
    if constexpr (std::is_same_v<T, std::string_view>) {
      return EqualIgnoringCase(a, b);
    } else {
      return a == b;
    }
  }
  template <typename T>
  static bool Less(const T& a, const T& b) {
    if constexpr (std::is_same_v<T, std::string_view>) {
      return CaseCompare(a, b) < 0;
    } else {
      return a < b;
    }
  }

  // The rows of `sel` where `a` is valid and pred(value) holds; branch-free for columns and
  // computed vectors.
  template <typename T, typename Pred>
  static Sel SelectWhere(const Operand<T>& a, const Sel& sel, Pred pred) {
    Sel out(sel.size());
    size_t count = 0;
    if (a.kind == Operand<T>::kColumn) {
      for (size_t k = 0; k < sel.size(); ++k) {
        const uint32_t r = sel[k];
        out[count] = r;
        if constexpr (std::is_same_v<T, std::string_view>) {
          count += a.valid[r] && pred(std::string_view(a.strings[r]));
        } else {
          count += a.valid[r] & static_cast<uint8_t>(pred(a.values[r]));
        }
      }
    } else {
      for (size_t k = 0; k < sel.size(); ++k) {
        out[count] = sel[k];
        count += a.valid[k] & static_cast<uint8_t>(pred(a.values[k]));
      }
    }
    out.resize(count);
    return out;
  }

  // x IN (items): TRUE when x equals an item. x NOT IN (items): TRUE when x equals none and
  // no item is NULL (else the result is FALSE or NULL).
  template <typename T>
  static Sel SelectIn(const Operand<T>& a, const std::vector<Operand<T>>& items, bool negated,
                      const Sel& sel) {
    std::vector<T> values;
    for (const Operand<T>& item : items) {
      if (item.scalar_valid) {
        values.push_back(item.scalar);
      } else if (negated) {
        return {};
      }
    }
    return SelectWhere(a, sel, [&](const T& v) {
      bool found = false;
      for (const T& item : values) found |= Equal(v, item);
      return found != negated;
    });
  }

  // x BETWEEN lo AND hi is (x >= lo) AND (x <= hi); NOT BETWEEN is TRUE when a known bound
  // is passed: (x < lo) OR (x > hi).
  template <typename T>
  static Sel SelectBetween(const Operand<T>& a, const Operand<T>& lo, const Operand<T>& hi,
                           bool negated, const Sel& sel) {
    const T l = lo.scalar, h = hi.scalar;
    if (!negated) {
      if (!lo.scalar_valid || !hi.scalar_valid) return {};
      return SelectWhere(a, sel, [&](const T& v) { return !Less(v, l) && !Less(h, v); });
    }
    const bool has_lo = lo.scalar_valid, has_hi = hi.scalar_valid;
    return SelectWhere(a, sel, [&](const T& v) {
      return (has_lo && Less(v, l)) || (has_hi && Less(h, v));
    });
  }

  // OR: each operand is tried on the rows no earlier operand made TRUE.
  Sel FilterOr(const PlanNode& n, Sel rest) {
    Sel result;
    for (int a : n.args) {
      if (rest.empty() || !status_.ok()) break;
      Sel hit = Filter(a, rest);
      if (hit.empty()) continue;
      Sel merged(result.size() + hit.size());
      std::merge(result.begin(), result.end(), hit.begin(), hit.end(), merged.begin());
      result = std::move(merged);
      Sel left(rest.size() - hit.size());
      std::set_difference(rest.begin(), rest.end(), hit.begin(), hit.end(), left.begin());
      rest = std::move(left);
    }
    return result;
  }

  static void Alloc(Vec* v, size_t count) {
    v->valid.assign(count, 0);
    switch (v->type) {
      case Type::kInt: v->i.assign(count, 0); break;
      case Type::kDouble: v->d.assign(count, 0.0); break;
      case Type::kNull: v->d.assign(count, 0.0); v->i.assign(count, 0); break;
      case Type::kString: v->s.assign(count, {}); break;
      case Type::kJson:
        v->d.assign(count, 0.0);
        v->s.assign(count, {});
        v->json_kind.assign(count, 0);
        break;
    }
  }

  Vec Gather(const PlanNode& n, const Sel& sel) {
    Vec out;
    out.type = n.type;
    Alloc(&out, sel.size());
    const Column* column = columns_[&n - plan_.nodes.data()];
    if (column == nullptr) return out;
    const Column& c = *column;
    const uint8_t* valid = c.valid.data();
    for (size_t k = 0; k < sel.size(); ++k) out.valid[k] = valid[sel[k]];
    switch (n.type) {
      case Type::kInt: {
        const int64_t* src = c.ints.data();
        for (size_t k = 0; k < sel.size(); ++k) out.i[k] = src[sel[k]];
        break;
      }
      case Type::kDouble: {
        const double* src = c.doubles.data();
        for (size_t k = 0; k < sel.size(); ++k) out.d[k] = src[sel[k]];
        break;
      }
      case Type::kString: {
        const std::string* src = c.strings.data();
        for (size_t k = 0; k < sel.size(); ++k) out.s[k] = src[sel[k]];
        break;
      }
      default:
        break;
    }
    return out;
  }

  // Converts a number-like vector (int, double, json numbers, null) to doubles in place.
  static void ToDouble(Vec* v) {
    const size_t count = v->size();
    if (v->type == Type::kDouble) return;
    if (v->type == Type::kInt) {
      v->d.resize(count);
      for (size_t k = 0; k < count; ++k) v->d[k] = static_cast<double>(v->i[k]);
    } else if (v->type == Type::kJson) {
      for (size_t k = 0; k < count; ++k) v->valid[k] &= v->json_kind[k] == 1;
    } else if (v->type == Type::kNull) {
      v->d.assign(count, 0.0);
    } else {
      std::fill(v->valid.begin(), v->valid.end(), 0);
      v->d.assign(count, 0.0);
    }
    v->type = Type::kDouble;
  }

  static void ToString(Vec* v) {
    if (v->type == Type::kString) return;
    if (v->type == Type::kJson) {
      for (size_t k = 0; k < v->size(); ++k) v->valid[k] &= v->json_kind[k] == 2;
    } else {
      v->s.assign(v->size(), {});
      std::fill(v->valid.begin(), v->valid.end(), 0);
    }
    v->type = Type::kString;
  }

  static void ToInt(Vec* v) {
    if (v->type == Type::kInt) return;
    v->i.assign(v->size(), 0);
    std::fill(v->valid.begin(), v->valid.end(), 0);
    v->type = Type::kInt;
  }

  // Brings an operand to the comparison type.
  static void Coerce(Type to, Vec* v) {
    if (to == Type::kDouble) ToDouble(v);
    if (to == Type::kString) ToString(v);
    if (to == Type::kInt) ToInt(v);  // only kNull operands reach here
  }

  void Fail(const PlanNode& n, std::string why) {
    if (status_.ok()) {
      status_ = InvalidArgument("byte " + std::to_string(n.offset) + ": " + why);
    }
  }

  void Negate(const PlanNode& n, Vec& a, Vec* out) {
    const size_t count = a.size();
    if (n.type == Type::kInt) {
      for (size_t k = 0; k < count; ++k) {
        out->valid[k] = a.valid[k];
        if (a.valid[k] && a.i[k] == INT64_MIN) return Fail(n, "integer overflow in unary minus");
        out->i[k] = -a.i[k];
      }
      return;
    }
    ToDouble(&a);
    for (size_t k = 0; k < count; ++k) {
      out->valid[k] = a.valid[k];
      out->d[k] = -a.d[k];
    }
  }

  void Arith(const PlanNode& n, Vec* a, Vec* b, Vec* out) {
    const size_t count = a->size();
    for (size_t k = 0; k < count; ++k) out->valid[k] = a->valid[k] & b->valid[k];
    if (n.type == Type::kInt) {
      for (size_t k = 0; k < count; ++k) {
        if (!out->valid[k]) continue;
        const int64_t x = a->i[k], y = b->i[k];
        int64_t r = 0;
        bool overflow = false;
        switch (n.op) {
          case Op::kAdd: overflow = __builtin_add_overflow(x, y, &r); break;
          case Op::kSub: overflow = __builtin_sub_overflow(x, y, &r); break;
          case Op::kMul: overflow = __builtin_mul_overflow(x, y, &r); break;
          default:  // kMod
            if (y == 0) {
              out->valid[k] = 0;
            } else {
              r = (y == -1) ? 0 : x % y;
            }
        }
        if (overflow) return Fail(n, "integer overflow (BIGINT value is out of range)");
        out->i[k] = r;
      }
      return;
    }
    ToDouble(a);
    ToDouble(b);
    for (size_t k = 0; k < count; ++k) out->valid[k] = a->valid[k] & b->valid[k];
    const double* x = a->d.data();
    const double* y = b->d.data();
    double* r = out->d.data();
    switch (n.op) {
      case Op::kAdd: for (size_t k = 0; k < count; ++k) r[k] = x[k] + y[k]; break;
      case Op::kSub: for (size_t k = 0; k < count; ++k) r[k] = x[k] - y[k]; break;
      case Op::kMul: for (size_t k = 0; k < count; ++k) r[k] = x[k] * y[k]; break;
      case Op::kDiv:
        for (size_t k = 0; k < count; ++k) {
          if (y[k] == 0.0) out->valid[k] = 0;
          r[k] = y[k] == 0.0 ? 0.0 : x[k] / y[k];
        }
        break;
      default:
        for (size_t k = 0; k < count; ++k) {
          if (y[k] == 0.0) out->valid[k] = 0;
          r[k] = y[k] == 0.0 ? 0.0 : std::fmod(x[k], y[k]);
        }
    }
    for (size_t k = 0; k < count; ++k) out->valid[k] &= std::isfinite(r[k]);
  }

  // -1, 0, 1 comparing element k of two vectors of the same comparison type.
  static int Cmp(Type t, const Vec& a, size_t ka, const Vec& b, size_t kb) {
    switch (t) {
      case Type::kInt: return a.i[ka] < b.i[kb] ? -1 : a.i[ka] > b.i[kb];
      case Type::kDouble: return a.d[ka] < b.d[kb] ? -1 : a.d[ka] > b.d[kb];
      case Type::kString: return CaseCompare(a.s[ka], b.s[kb]);
      default: return 0;
    }
  }

  static bool Holds(Op op, int c) {
    switch (op) {
      case Op::kEq: return c == 0;
      case Op::kNe: return c != 0;
      case Op::kLt: return c < 0;
      case Op::kLe: return c <= 0;
      case Op::kGt: return c > 0;
      default: return c >= 0;
    }
  }

  void Compare(const PlanNode& n, std::vector<Vec>* args, Vec* out) {
    Vec& a = (*args)[0];
    Vec& b = (*args)[1];
    const size_t count = a.size();
    if (n.compare == Type::kNull) return;  // all NULL
    Coerce(n.compare, &a);
    Coerce(n.compare, &b);
    for (size_t k = 0; k < count; ++k) out->valid[k] = a.valid[k] & b.valid[k];
    int64_t* r = out->i.data();
    if (n.compare == Type::kDouble) {
      const double* x = a.d.data();
      const double* y = b.d.data();
      switch (n.op) {
        case Op::kEq: for (size_t k = 0; k < count; ++k) r[k] = x[k] == y[k]; break;
        case Op::kNe: for (size_t k = 0; k < count; ++k) r[k] = x[k] != y[k]; break;
        case Op::kLt: for (size_t k = 0; k < count; ++k) r[k] = x[k] < y[k]; break;
        case Op::kLe: for (size_t k = 0; k < count; ++k) r[k] = x[k] <= y[k]; break;
        case Op::kGt: for (size_t k = 0; k < count; ++k) r[k] = x[k] > y[k]; break;
        default: for (size_t k = 0; k < count; ++k) r[k] = x[k] >= y[k]; break;
      }
      return;
    }
    for (size_t k = 0; k < count; ++k) r[k] = Holds(n.op, Cmp(n.compare, a, k, b, k));
  }

  static void Logic(bool is_and, const std::vector<Vec>& args, Vec* out) {
    const size_t count = out->size();
    for (size_t k = 0; k < count; ++k) {
      bool any_null = false, decided = false;
      for (const Vec& a : args) {
        const uint8_t t = Truth(a, k);
        if (t == 2) {
          any_null = true;
        } else if ((t == 1) != is_and) {
          decided = true;  // a FALSE in AND, a TRUE in OR
          break;
        }
      }
      out->valid[k] = decided || !any_null;
      out->i[k] = decided ? !is_and : is_and;
    }
  }

  void In(const PlanNode& n, std::vector<Vec>* args, Vec* out) {
    if (n.compare == Type::kNull) return;
    for (Vec& a : *args) Coerce(n.compare, &a);
    const Vec& left = (*args)[0];
    for (size_t k = 0; k < out->size(); ++k) {
      if (!left.valid[k]) continue;
      bool found = false, saw_null = false;
      for (size_t j = 1; j < args->size() && !found; ++j) {
        const Vec& item = (*args)[j];
        if (!item.valid[k]) {
          saw_null = true;
        } else if (Cmp(n.compare, left, k, item, k) == 0) {
          found = true;
        }
      }
      out->valid[k] = found || !saw_null;
      out->i[k] = found != n.negated;
    }
  }

  void Between(const PlanNode& n, std::vector<Vec>* args, Vec* out) {
    if (n.compare == Type::kNull) return;
    for (Vec& a : *args) Coerce(n.compare, &a);
    const Vec& x = (*args)[0];
    const Vec& lo = (*args)[1];
    const Vec& hi = (*args)[2];
    for (size_t k = 0; k < out->size(); ++k) {
      // (x >= lo) AND (x <= hi), three-valued.
      const uint8_t ge = (x.valid[k] && lo.valid[k]) ? Cmp(n.compare, x, k, lo, k) >= 0 : 2;
      const uint8_t le = (x.valid[k] && hi.valid[k]) ? Cmp(n.compare, x, k, hi, k) <= 0 : 2;
      uint8_t t = (ge == 0 || le == 0) ? 0 : (ge == 2 || le == 2) ? 2 : 1;
      if (n.negated && t != 2) t = !t;
      out->valid[k] = t != 2;
      out->i[k] = t == 1;
    }
  }

  void LikeOp(const PlanNode& n, std::vector<Vec>* args, Vec* out) {
    Vec& text = (*args)[0];
    Vec& pattern = (*args)[1];
    ToString(&text);
    ToString(&pattern);
    for (size_t k = 0; k < out->size(); ++k) {
      out->valid[k] = text.valid[k] & pattern.valid[k];
      if (out->valid[k]) out->i[k] = Like(text.s[k], pattern.s[k]) != n.negated;
    }
  }

  void JsonExtract(const PlanNode& n, const Vec& doc, Vec* out) {
    out->owned.reserve(doc.size());
    for (size_t k = 0; k < doc.size(); ++k) {
      if (!doc.valid[k]) continue;
      const nlohmann::json parsed = nlohmann::json::parse(doc.s[k], nullptr, false);
      if (parsed.is_discarded()) continue;
      const nlohmann::json* at = &parsed;
      for (const JsonStep& step : n.path) {
        if (step.index >= 0) {
          if (!at->is_array() || static_cast<size_t>(step.index) >= at->size()) {
            at = nullptr;
            break;
          }
          at = &(*at)[static_cast<size_t>(step.index)];
        } else {
          if (!at->is_object()) {
            at = nullptr;
            break;
          }
          auto it = at->find(step.key);
          if (it == at->end()) {
            at = nullptr;
            break;
          }
          at = &*it;
        }
      }
      if (at == nullptr || at->is_null()) continue;
      if (at->is_number() || at->is_boolean()) {
        out->d[k] = at->is_boolean() ? (at->get<bool>() ? 1.0 : 0.0) : at->get<double>();
        out->json_kind[k] = 1;
      } else {
        out->owned.push_back(at->is_string() ? at->get<std::string>() : at->dump());
        out->s[k] = out->owned.back();
        out->json_kind[k] = 2;
      }
      out->valid[k] = 1;
    }
  }

  void Function(const PlanNode& n, std::vector<Vec>* args, Vec* out) {
    const size_t count = out->size();
    if (n.type == Type::kInt) {
      // ABS, FLOOR, CEIL, ROUND, LEAST, GREATEST over integers.
      for (Vec& a : *args) {
        if (a.type != Type::kInt) Coerce(Type::kInt, &a);  // NULL literal arguments
      }
      for (size_t k = 0; k < count; ++k) {
        bool valid = true;
        for (const Vec& a : *args) valid &= a.valid[k] != 0;
        out->valid[k] = valid;
        if (!valid) continue;
        const int64_t x = (*args)[0].i[k];
        switch (n.op) {
          case Op::kAbs:
            if (x == INT64_MIN) return Fail(n, "integer overflow in ABS");
            out->i[k] = x < 0 ? -x : x;
            break;
          case Op::kRound: {
            const int64_t dec = args->size() > 1 ? (*args)[1].i[k] : 0;
            if (dec >= 0) {
              out->i[k] = x;
            } else {
              out->i[k] = static_cast<int64_t>(MariaDbRound(static_cast<double>(x), dec));
            }
            break;
          }
          case Op::kLeast: case Op::kGreatest: {
            int64_t best = x;
            for (const Vec& a : *args) {
              best = n.op == Op::kLeast ? std::min(best, a.i[k]) : std::max(best, a.i[k]);
            }
            out->i[k] = best;
            break;
          }
          default:
            out->i[k] = x;  // FLOOR, CEIL of an integer
        }
      }
      return;
    }
    for (Vec& a : *args) ToDouble(&a);
    for (size_t k = 0; k < count; ++k) {
      bool valid = true;
      for (const Vec& a : *args) valid &= a.valid[k] != 0;
      if (!valid) continue;
      const double x = (*args)[0].d[k];
      double r = 0;
      switch (n.op) {
        case Op::kAbs: r = std::fabs(x); break;
        case Op::kSqrt: r = x < 0 ? NAN : std::sqrt(x); break;
        case Op::kLog10: r = x <= 0 ? NAN : std::log10(x); break;
        case Op::kPow: r = std::pow(x, (*args)[1].d[k]); break;
        case Op::kFloor: r = std::floor(x); break;
        case Op::kCeil: r = std::ceil(x); break;
        case Op::kRound: {
          const double dec = args->size() > 1 ? (*args)[1].d[k] : 0.0;
          r = MariaDbRound(x, static_cast<int64_t>(std::clamp(dec, -400.0, 400.0)));
          break;
        }
        case Op::kLeast: case Op::kGreatest: {
          r = x;
          for (const Vec& a : *args) {
            r = n.op == Op::kLeast ? std::min(r, a.d[k]) : std::max(r, a.d[k]);
          }
          break;
        }
        default: r = NAN;
      }
      out->d[k] = r;
      out->valid[k] = std::isfinite(r);
    }
  }

  const Plan& plan_;
  const Batch& batch_;
  double now_mjd_;
  std::vector<const TableData*> tables_;
  std::vector<const Column*> columns_;  // per plan node: the batch column of a kColumn
  Status status_;
};

// Appends element k of `v` as a Value.
void AppendValue(const Vec& v, size_t k, std::vector<Value>* out) {
  if (!v.valid[k]) {
    out->emplace_back();
    return;
  }
  switch (v.type) {
    case Type::kInt: out->emplace_back(v.i[k]); break;
    case Type::kDouble: out->emplace_back(v.d[k]); break;
    case Type::kString: out->emplace_back(std::in_place_type<std::string>, v.s[k]); break;
    case Type::kJson:
      if (v.json_kind[k] == 1) {
        out->emplace_back(v.d[k]);
      } else {
        out->emplace_back(std::in_place_type<std::string>, v.s[k]);
      }
      break;
    default: out->emplace_back(); break;
  }
}

// Appends row r of batch column `c` as a Value.
void AppendValue(const Column& c, uint32_t r, std::vector<Value>* out) {
  if (!c.valid[r]) {
    out->emplace_back();
    return;
  }
  switch (c.type) {
    case Type::kInt: out->emplace_back(c.ints[r]); break;
    case Type::kDouble: out->emplace_back(c.doubles[r]); break;
    case Type::kString: out->emplace_back(std::in_place_type<std::string>, c.strings[r]); break;
    default: out->emplace_back(); break;
  }
}

Value ToValue(const Vec& v, size_t k) {
  if (!v.valid[k]) return std::monostate{};
  switch (v.type) {
    case Type::kInt: return v.i[k];
    case Type::kDouble: return v.d[k];
    case Type::kString: return std::string(v.s[k]);
    case Type::kJson:
      if (v.json_kind[k] == 1) return v.d[k];
      return std::string(v.s[k]);
    default: return std::monostate{};
  }
}

// CompareValues(ToValue(v, x), ToValue(v, y)) without building the Values.
int CompareAt(const Vec& v, size_t x, size_t y) {
  const bool xn = !v.valid[x], yn = !v.valid[y];
  if (xn || yn) return xn && yn ? 0 : xn ? -1 : 1;
  switch (v.type) {
    case Type::kInt: return v.i[x] < v.i[y] ? -1 : v.i[x] > v.i[y];
    case Type::kDouble: return v.d[x] < v.d[y] ? -1 : v.d[x] > v.d[y];
    case Type::kString: return CaseCompare(v.s[x], v.s[y]);
    default: return CompareValues(ToValue(v, x), ToValue(v, y));
  }
}

// Stable sort of `order` (0..n-1) by one numeric key, as CompareAt orders it: NULL first
// ascending, last descending. The keys are copied next to their indexes so that the sort
// compares plain numbers in contiguous memory.
template <typename T>
void SortByOneKey(const std::vector<T>& values, const Vec& key, bool descending,
                  std::vector<size_t>* order) {
  struct Item {
    T key;
    size_t k;
  };
  std::vector<size_t> nulls;
  std::vector<Item> items;
  items.reserve(order->size());
  for (size_t k : *order) {
    if (key.valid[k]) {
      items.push_back({values[k], k});
    } else {
      nulls.push_back(k);
    }
  }
  if (descending) {
    std::stable_sort(items.begin(), items.end(),
                     [](const Item& a, const Item& b) { return a.key > b.key; });
  } else {
    std::stable_sort(items.begin(), items.end(),
                     [](const Item& a, const Item& b) { return a.key < b.key; });
  }
  auto out = order->begin();
  if (!descending) out = std::copy(nulls.begin(), nulls.end(), out);
  for (const Item& item : items) *out++ = item.k;
  if (descending) std::copy(nulls.begin(), nulls.end(), out);
}

double SystemMjd() {
  const double unix_s = std::chrono::duration<double>(
      std::chrono::system_clock::now().time_since_epoch()).count();
  return unix_s / 86400.0 + 40587.0;
}

}  // namespace

int CompareValues(const Value& a, const Value& b) {
  const bool an = std::holds_alternative<std::monostate>(a);
  const bool bn = std::holds_alternative<std::monostate>(b);
  if (an || bn) return an && bn ? 0 : an ? -1 : 1;
  const auto* as = std::get_if<std::string>(&a);
  const auto* bs = std::get_if<std::string>(&b);
  if (as != nullptr || bs != nullptr) {
    if (as == nullptr) return -1;  // numbers before strings (mixed only through JSON)
    if (bs == nullptr) return 1;
    return CaseCompare(*as, *bs);
  }
  const auto* ai = std::get_if<int64_t>(&a);
  const auto* bi = std::get_if<int64_t>(&b);
  if (ai != nullptr && bi != nullptr) return *ai < *bi ? -1 : *ai > *bi;
  const double x = ai != nullptr ? static_cast<double>(*ai) : std::get<double>(a);
  const double y = bi != nullptr ? static_cast<double>(*bi) : std::get<double>(b);
  return x < y ? -1 : x > y;
}

Result<Matches> CompiledFilter::Run(const Batch& batch, const RunOptions& options) const {
  const Plan& plan = *plan_;
  const double now = std::isfinite(options.now_mjd) ? options.now_mjd : SystemMjd();
  Evaluator ev(plan, batch, now);
  const Sel base = ev.Base();
  const size_t chunk = std::max<size_t>(options.chunk_rows, 1);
  Sel passed;
  for (size_t start = 0; start < base.size(); start += chunk) {
    Sel sel(base.begin() + start, base.begin() + std::min(base.size(), start + chunk));
    if (plan.where >= 0) sel = ev.Filter(plan.where, std::move(sel));
    if (!ev.status().ok()) return ev.status().WithContext("conditions");
    passed.insert(passed.end(), sel.begin(), sel.end());
    if (start + chunk < base.size() && options.deadline.Passed()) {
      return Status(StatusCode::kDeadlineExceeded,
                    "filter ran out of its time budget after " +
                        std::to_string(start + chunk) + " of " + std::to_string(base.size()) +
                        " rows");
    }
  }
  // ORDER BY sorts the passing rows on their typed keys; then the selected values are computed
  // column by column and laid out row by row.
  std::vector<Vec> keys;
  for (int node : plan.order) keys.push_back(ev.Eval(node, passed));
  std::vector<size_t> order(passed.size());
  std::iota(order.begin(), order.end(), 0);
  if (keys.size() == 1 && keys[0].type == Type::kDouble) {
    SortByOneKey(keys[0].d, keys[0], plan.descending[0], &order);
  } else if (keys.size() == 1 && keys[0].type == Type::kInt) {
    SortByOneKey(keys[0].i, keys[0], plan.descending[0], &order);
  } else if (!keys.empty()) {
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
      for (size_t j = 0; j < keys.size(); ++j) {
        const int c = CompareAt(keys[j], x, y);
        if (c != 0) return plan.descending[j] ? c > 0 : c < 0;
      }
      return false;
    });
  }
  Matches m;
  m.rows.resize(passed.size());
  for (size_t k = 0; k < order.size(); ++k) m.rows[k] = passed[order[k]];
  // Selected columns are read straight from the batch; other expressions are evaluated over
  // the matching rows first.
  std::vector<const Column*> columns;
  std::vector<Vec> selected;
  for (int node : plan.select) {
    columns.push_back(ev.ColumnAt(node));
    selected.push_back(columns.back() != nullptr ? Vec() : ev.Eval(node, m.rows));
  }
  if (!ev.status().ok()) return ev.status().WithContext("selected");
  m.width = selected.size();
  m.key_width = keys.size();
  m.cells.reserve(m.rows.size() * m.width);
  m.keys.reserve(m.rows.size() * m.key_width);
  for (size_t k = 0; k < m.rows.size(); ++k) {
    for (size_t j = 0; j < m.width; ++j) {
      if (columns[j] != nullptr) {
        AppendValue(*columns[j], m.rows[k], &m.cells);
      } else {
        AppendValue(selected[j], k, &m.cells);
      }
    }
    for (const Vec& v : keys) AppendValue(v, order[k], &m.keys);
  }
  return m;
}

void CompiledFilter::Sort(Matches* m) const {
  std::vector<size_t> idx(m->size());
  std::iota(idx.begin(), idx.end(), 0);
  const auto& desc = plan_->descending;
  std::stable_sort(idx.begin(), idx.end(), [&](size_t x, size_t y) {
    const std::span<const Value> a = m->order_keys(x), b = m->order_keys(y);
    for (size_t j = 0; j < desc.size() && j < a.size(); ++j) {
      const int c = CompareValues(a[j], b[j]);
      if (c != 0) return desc[j] ? c > 0 : c < 0;
    }
    return false;
  });
  Matches out;
  out.width = m->width;
  out.key_width = m->key_width;
  out.rows.reserve(idx.size());
  out.cells.reserve(m->cells.size());
  out.keys.reserve(m->keys.size());
  for (size_t i : idx) {
    out.rows.push_back(m->rows[i]);
    auto move_row = [i](std::vector<Value>& from, size_t width, std::vector<Value>* to) {
      std::move(from.begin() + i * width, from.begin() + (i + 1) * width,
                std::back_inserter(*to));
    };
    move_row(m->cells, m->width, &out.cells);
    move_row(m->keys, m->key_width, &out.keys);
  }
  *m = std::move(out);
}

void CompiledFilter::Append(Matches&& more, Matches* all) {
  if (all->rows.empty()) {
    *all = std::move(more);
    return;
  }
  all->rows.insert(all->rows.end(), more.rows.begin(), more.rows.end());
  std::move(more.cells.begin(), more.cells.end(), std::back_inserter(all->cells));
  std::move(more.keys.begin(), more.keys.end(), std::back_inserter(all->keys));
}

}  // namespace lantern::filter
