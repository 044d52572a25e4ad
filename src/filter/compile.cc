// CompiledFilter::Compile: resolves tables and columns and types every expression.
#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

#include "filter/filter.h"
#include "filter/lexer.h"
#include "filter/parser.h"
#include "filter/plan.h"

namespace lantern::filter {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsNumeric(Type t) { return t == Type::kInt || t == Type::kDouble; }

// A table a filter may name: its qualifier(s), batch key and columns.
struct Bound {
  std::vector<std::string> qualifiers;  // lower case
  const TableDef* def = nullptr;
  int slot = -1;                        // index into Plan::tables
};

class Compiler {
 public:
  Compiler(const Schema& schema, Plan* plan) : schema_(schema), plan_(plan) {}

  Status BindTables(const std::vector<std::string>& tables) {
    AddTable({"objects", "objects_ext"}, &schema_.objects, "objects", false);
    bool watchlist = false, tns = false;
    for (const std::string& entry : tables) {
      const std::string name = Lower(entry);
      const size_t colon = name.find(':');
      const std::string kind = name.substr(0, colon);
      const std::string rest = colon == std::string::npos ? "" : entry.substr(colon + 1);
      if (colon == std::string::npos) {
        if (name == "objects" || name == "objects_ext") continue;
        if (name == "sherlock_classifications") {
          AddTable({name}, &schema_.sherlock, name, true);
          continue;
        }
        if (name == "crossmatch_tns") {
          if (watchlist) return TableError(entry, "cannot be combined with a watchlist");
          tns = true;
          AddTable({name}, &schema_.crossmatch_tns, name, true);
          continue;
        }
        return TableError(entry, "is not a table");
      }
      std::vector<std::string> ids;
      size_t start = 0;
      for (size_t i = 0; i <= rest.size(); ++i) {
        if (i == rest.size() || rest[i] == '&') {
          ids.push_back(rest.substr(start, i - start));
          start = i + 1;
        }
      }
      for (const std::string& id : ids) {
        if (id.empty()) return TableError(entry, "has an empty name after ':' or '&'");
      }
      if (kind == "watchlist" || kind == "watchlists") {
        if (ids.size() != 1 || !AllDigits(ids[0])) {
          return TableError(entry, "needs one numeric watchlist id (watchlist:<id>)");
        }
        if (watchlist) return TableError(entry, "is a second watchlist (one is allowed)");
        if (tns) return TableError(entry, "cannot be combined with crossmatch_tns");
        watchlist = true;
        AddTable({"watchlist_hits"}, &schema_.watchlist_hits, "watchlist:" + ids[0], true);
      } else if (kind == "area" || kind == "areas" || kind == "watchmap") {
        static const TableDef kNoColumns;
        for (const std::string& id : ids) {
          if (!AllDigits(id)) return TableError(entry, "needs numeric watchmap ids");
          AddTable({"ar" + std::to_string(areas_++)}, &kNoColumns, "area:" + id, true);
        }
      } else if (kind == "annotator" || kind == "annotators") {
        for (const std::string& topic : ids) {
          for (char c : topic) {
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
              return TableError(entry, "has a topic that is not a plain name");
            }
          }
          AddTable({Lower(topic)}, &schema_.annotations, "annotator:" + topic, true);
        }
      } else {
        return TableError(entry, "is not a table");
      }
    }
    return Status::Ok();
  }

  Result<int> Bind(const Expr& e, std::string_view part) {
    PlanNode n;
    n.offset = e.offset;
    std::vector<int> args;
    for (const auto& a : e.args) {
      ASSIGN_OR_RETURN(int idx, Bind(*a, part));
      args.push_back(idx);
    }
    auto type_of = [&](size_t i) { return plan_->nodes[args[i]].type; };
    auto arg_offset = [&](size_t i) { return plan_->nodes[args[i]].offset; };
    auto arg_error = [&](size_t i, std::string_view why) {
      return InvalidArgument(std::string(part) + " byte " + std::to_string(arg_offset(i)) +
                             ": " + std::string(why) + " (it is " +
                             std::string(TypeName(type_of(i))) + ")");
    };
    auto need_number = [&](size_t i, std::string_view what) -> Status {
      const Type t = type_of(i);
      if (IsNumeric(t) || t == Type::kNull || t == Type::kJson) return Status::Ok();
      return arg_error(i, std::string(what) + " needs a number");
    };
    switch (e.kind) {
      case ExprKind::kNull:
        n.op = Op::kNull;
        n.type = Type::kNull;
        break;
      case ExprKind::kInt:
        n.op = Op::kInt;
        n.type = Type::kInt;
        n.int_value = e.int_value;
        break;
      case ExprKind::kDouble:
        n.op = Op::kDouble;
        n.type = Type::kDouble;
        n.double_value = e.double_value;
        break;
      case ExprKind::kString:
        n.op = Op::kString;
        n.type = Type::kString;
        n.string_value = e.text;
        break;
      case ExprKind::kColumn: {
        RETURN_IF_ERROR(ResolveColumn(e, part, &n));
        break;
      }
      case ExprKind::kNeg:
        RETURN_IF_ERROR(need_number(0, "unary minus"));
        n.op = Op::kNeg;
        n.type = type_of(0) == Type::kInt ? Type::kInt : Type::kDouble;
        break;
      case ExprKind::kArith: {
        RETURN_IF_ERROR(need_number(0, "'" + e.op + "'"));
        RETURN_IF_ERROR(need_number(1, "'" + e.op + "'"));
        const char op = e.op[0];
        n.op = op == '+' ? Op::kAdd : op == '-' ? Op::kSub : op == '*' ? Op::kMul
             : op == '/' ? Op::kDiv : Op::kMod;
        const bool ints = type_of(0) == Type::kInt && type_of(1) == Type::kInt;
        n.type = ints && op != '/' ? Type::kInt : Type::kDouble;
        break;
      }
      case ExprKind::kCompare: {
        n.op = e.op == "=" ? Op::kEq : e.op == "!=" ? Op::kNe : e.op == "<" ? Op::kLt
             : e.op == "<=" ? Op::kLe : e.op == ">" ? Op::kGt : Op::kGe;
        n.type = Type::kInt;
        ASSIGN_OR_RETURN(n.compare, Unify(args, part, e));
        break;
      }
      case ExprKind::kIn:
      case ExprKind::kBetween: {
        n.op = e.kind == ExprKind::kIn ? Op::kIn : Op::kBetween;
        n.type = Type::kInt;
        n.negated = e.negated;
        ASSIGN_OR_RETURN(n.compare, Unify(args, part, e));
        break;
      }
      case ExprKind::kAnd:
      case ExprKind::kOr:
      case ExprKind::kNot:
        for (size_t i = 0; i < args.size(); ++i) {
          const Type t = type_of(i);
          if (!IsNumeric(t) && t != Type::kNull) {
            return arg_error(i, "a condition must be a comparison or a number");
          }
        }
        n.op = e.kind == ExprKind::kAnd ? Op::kAnd : e.kind == ExprKind::kOr ? Op::kOr : Op::kNot;
        n.type = Type::kInt;
        break;
      case ExprKind::kIsNull:
        n.op = Op::kIsNull;
        n.type = Type::kInt;
        n.negated = e.negated;
        break;
      case ExprKind::kLike:
        for (size_t i = 0; i < 2; ++i) {
          const Type t = type_of(i);
          if (t != Type::kString && t != Type::kNull && t != Type::kJson) {
            return arg_error(i, "LIKE needs strings");
          }
        }
        n.op = Op::kLike;
        n.type = Type::kInt;
        n.negated = e.negated;
        break;
      case ExprKind::kCall:
        RETURN_IF_ERROR(BindCall(e, part, args, &n));
        break;
    }
    n.constant = n.op != Op::kColumn;
    for (int a : args) n.constant = n.constant && plan_->nodes[a].constant;
    n.args = std::move(args);
    plan_->nodes.push_back(std::move(n));
    return static_cast<int>(plan_->nodes.size() - 1);
  }

 private:
  static bool AllDigits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
      return c >= '0' && c <= '9';
    });
  }

  Status TableError(std::string_view entry, std::string_view why) const {
    return InvalidArgument("tables: " + Quote(entry) + " " + std::string(why) +
                           " (tables: objects, sherlock_classifications, crossmatch_tns, "
                           "watchlist:<id>, area:<id>[&<id>...], annotator:<topic>)");
  }

  void AddTable(std::vector<std::string> qualifiers, const TableDef* def, std::string key,
                bool inner) {
    for (const Bound& b : bound_) {
      if (plan_->tables[b.slot].key == key) return;  // named twice
    }
    Bound b;
    b.qualifiers = std::move(qualifiers);
    b.def = def;
    b.slot = static_cast<int>(plan_->tables.size());
    plan_->tables.push_back({key, inner});
    plan_->table_keys.push_back(std::move(key));
    bound_.push_back(std::move(b));
  }

  Status ResolveColumn(const Expr& e, std::string_view part, PlanNode* n) {
    auto fail = [&](std::string why) {
      const std::string shown = e.table.empty() ? e.text : e.table + "." + e.text;
      return InvalidArgument(std::string(part) + " byte " + std::to_string(e.offset) + ": " +
                             Quote(shown) + " " + why);
    };
    const Bound* found = nullptr;
    int column = -1;
    if (!e.table.empty()) {
      const std::string q = Lower(e.table);
      for (const Bound& b : bound_) {
        if (std::find(b.qualifiers.begin(), b.qualifiers.end(), q) != b.qualifiers.end()) {
          found = &b;
        }
      }
      if (found == nullptr) return fail("names a table that is not in the tables list");
      column = found->def->Find(e.text);
      if (column < 0) return fail("is not a column of " + e.table);
    } else {
      std::vector<std::string> where;
      for (const Bound& b : bound_) {
        const int c = b.def->Find(e.text);
        if (c < 0) continue;
        if (found == nullptr) {
          found = &b;
          column = c;
        }
        where.push_back(b.qualifiers[0]);
      }
      if (found == nullptr) return fail("is not a column of any table in the filter");
      if (where.size() > 1) {
        std::string list;
        for (const std::string& w : where) list += (list.empty() ? "" : ", ") + w;
        return fail("is ambiguous (in " + list + "); qualify it");
      }
    }
    n->op = Op::kColumn;
    n->table = found->slot;
    n->column = found->def->columns[column].name;
    n->column_index = column;
    n->type = found->def->columns[column].type;
    return Status::Ok();
  }

  // The common comparison type of args (all operands of a comparison, IN or BETWEEN).
  Result<Type> Unify(const std::vector<int>& args, std::string_view part, const Expr& e) {
    bool any_string = false, any_number = false, all_int = true, any_null = false;
    size_t first_string = 0, first_number = 0;
    int json = 0;
    for (size_t i = 0; i < args.size(); ++i) {
      const Type t = plan_->nodes[args[i]].type;
      if (t == Type::kNull) {
        any_null = true;
        continue;
      }
      if (t == Type::kJson) {
        ++json;
        all_int = false;
        continue;
      }
      if (t == Type::kString) {
        if (!any_string) first_string = i;
        any_string = true;
        all_int = false;
      } else {
        if (!any_number) first_number = i;
        any_number = true;
        if (t != Type::kInt) all_int = false;
      }
    }
    if (any_string && any_number) {
      const size_t bad = std::max(first_string, first_number);
      return InvalidArgument(std::string(part) + " byte " +
                             std::to_string(plan_->nodes[args[bad]].offset) +
                             ": compares a string with a number (types must agree)");
    }
    if (json > 0 && !any_string && !any_number) {
      if (any_null) return Type::kNull;
      return InvalidArgument(std::string(part) + " byte " + std::to_string(e.offset) +
                             ": compare JSON_EXTRACT with a number or a string");
    }
    if (any_string) return Type::kString;
    if (any_number) return all_int ? Type::kInt : Type::kDouble;
    return Type::kNull;
  }

  Status BindCall(const Expr& e, std::string_view part, const std::vector<int>& args,
                  PlanNode* n) {
    struct Fn {
      std::string_view name;
      Op op;
      size_t min_args, max_args;
    };
    static constexpr Fn kFunctions[] = {
        {"ABS", Op::kAbs, 1, 1},          {"SQRT", Op::kSqrt, 1, 1},
        {"LOG10", Op::kLog10, 1, 1},      {"POW", Op::kPow, 2, 2},
        {"POWER", Op::kPow, 2, 2},        {"LEAST", Op::kLeast, 2, 64},
        {"GREATEST", Op::kGreatest, 2, 64}, {"ROUND", Op::kRound, 1, 2},
        {"FLOOR", Op::kFloor, 1, 1},      {"CEIL", Op::kCeil, 1, 1},
        {"CEILING", Op::kCeil, 1, 1},     {"MJDNOW", Op::kMjdNow, 0, 0},
        {"JDNOW", Op::kJdNow, 0, 0},      {"JSON_EXTRACT", Op::kJsonExtract, 2, 2},
    };
    const Fn* fn = nullptr;
    for (const Fn& f : kFunctions) {
      if (f.name == e.text) fn = &f;
    }
    const std::string where = std::string(part) + " byte " + std::to_string(e.offset) + ": ";
    if (fn == nullptr) {
      return InvalidArgument(where + Quote(e.text) +
                             " is not a function of the filter dialect (ABS, SQRT, LOG10, POW, "
                             "LEAST, GREATEST, ROUND, FLOOR, CEIL, MJDNOW, JDNOW, JSON_EXTRACT)");
    }
    if (args.size() < fn->min_args || args.size() > fn->max_args) {
      return InvalidArgument(where + Quote(e.text) + " takes " +
                             std::to_string(fn->min_args) +
                             (fn->max_args != fn->min_args
                                  ? " to " + std::to_string(fn->max_args) : std::string()) +
                             " arguments, not " + std::to_string(args.size()));
    }
    n->op = fn->op;
    if (fn->op == Op::kJsonExtract) {
      const PlanNode& doc = plan_->nodes[args[0]];
      const PlanNode& path = plan_->nodes[args[1]];
      if (doc.type != Type::kString && doc.type != Type::kNull) {
        return InvalidArgument(where + "JSON_EXTRACT needs a JSON text as its first argument");
      }
      if (path.op != Op::kString) {
        return InvalidArgument(where + "JSON_EXTRACT needs a constant path such as '$.key'");
      }
      RETURN_IF_ERROR(ParsePath(path.string_value, where, &n->path));
      n->type = Type::kJson;
      return Status::Ok();
    }
    bool all_int = true;
    for (size_t i = 0; i < args.size(); ++i) {
      const Type t = plan_->nodes[args[i]].type;
      if (!IsNumeric(t) && t != Type::kNull && t != Type::kJson) {
        return InvalidArgument(std::string(part) + " byte " +
                               std::to_string(plan_->nodes[args[i]].offset) + ": " + e.text +
                               " needs numbers (this argument is " +
                               std::string(TypeName(t)) + ")");
      }
      if (t != Type::kInt) all_int = false;
    }
    switch (fn->op) {
      case Op::kAbs: case Op::kFloor: case Op::kCeil: case Op::kLeast: case Op::kGreatest:
        n->type = all_int ? Type::kInt : Type::kDouble;
        break;
      case Op::kRound:
        n->type = plan_->nodes[args[0]].type == Type::kInt ? Type::kInt : Type::kDouble;
        break;
      default:
        n->type = Type::kDouble;
    }
    return Status::Ok();
  }

  static Status ParsePath(std::string_view path, const std::string& where,
                          std::vector<JsonStep>* out) {
    auto bad = [&] {
      return InvalidArgument(where + "JSON path " + Quote(path) +
                             " is not supported (use $, .key, .\"key\", [n])");
    };
    if (path.empty() || path[0] != '$') return bad();
    size_t i = 1;
    while (i < path.size()) {
      JsonStep step;
      if (path[i] == '.') {
        ++i;
        if (i < path.size() && path[i] == '"') {
          const size_t close = path.find('"', i + 1);
          if (close == std::string_view::npos) return bad();
          step.key = std::string(path.substr(i + 1, close - i - 1));
          i = close + 1;
        } else {
          const size_t start = i;
          while (i < path.size() && path[i] != '.' && path[i] != '[') ++i;
          if (i == start) return bad();
          step.key = std::string(path.substr(start, i - start));
        }
      } else if (path[i] == '[') {
        const size_t close = path.find(']', i);
        if (close == std::string_view::npos || close == i + 1) return bad();
        step.index = 0;
        for (size_t k = i + 1; k < close; ++k) {
          if (path[k] < '0' || path[k] > '9' || step.index > 1'000'000) return bad();
          step.index = step.index * 10 + (path[k] - '0');
        }
        i = close + 1;
      } else {
        return bad();
      }
      out->push_back(std::move(step));
    }
    return Status::Ok();
  }

  const Schema& schema_;
  Plan* plan_;
  std::vector<Bound> bound_;
  int areas_ = 0;
};

}  // namespace

Result<CompiledFilter> CompiledFilter::Compile(const Query& query, const Schema& schema) {
  auto plan = std::make_shared<Plan>();
  Compiler c(schema, plan.get());
  RETURN_IF_ERROR(c.BindTables(query.tables));
  for (const SelectItem& item : query.select) {
    ASSIGN_OR_RETURN(int idx, c.Bind(*item.expr, "selected"));
    plan->select.push_back(idx);
    plan->names.push_back(item.name);
  }
  if (query.where) {
    ASSIGN_OR_RETURN(plan->where, c.Bind(*query.where, "conditions"));
    const Type t = plan->nodes[plan->where].type;
    if (t != Type::kInt && t != Type::kDouble && t != Type::kNull) {
      return InvalidArgument("conditions byte " + std::to_string(query.where->offset) +
                             ": the condition is a " + std::string(TypeName(t)) +
                             ", not a comparison");
    }
  }
  for (const OrderItem& item : query.order_by) {
    ASSIGN_OR_RETURN(int idx, c.Bind(*item.expr, "conditions"));
    plan->order.push_back(idx);
    plan->descending.push_back(item.descending);
  }
  CompiledFilter f;
  f.plan_ = std::move(plan);
  return f;
}

Result<CompiledFilter> CompileFilter(std::string_view selected, std::string_view tables,
                                     std::string_view conditions, const Schema& schema) {
  ASSIGN_OR_RETURN(Query q, Parse(selected, tables, conditions));
  return CompiledFilter::Compile(q, schema);
}

const std::vector<std::string>& CompiledFilter::column_names() const { return plan_->names; }
const std::vector<std::string>& CompiledFilter::table_keys() const { return plan_->table_keys; }
bool CompiledFilter::ordered() const { return !plan_->order.empty(); }

}  // namespace lantern::filter
