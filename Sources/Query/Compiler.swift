// The compiler: a checked query to one SQL SELECT with bound values. Stages fold into the same
// SELECT while SQL allows it (where before summarize is WHERE, after it HAVING; project after
// sort keeps the ORDER BY) and wrap the SELECT so far in a subquery only when a stage must see
// its result (a where after take, a second summarize). Engine-specific SQL is the dialect's.

import Ledger

/// A query ready to run: SQL, the values bound to its `?` in order, and its typed columns.
package struct CompiledQuery: Sendable {
    package var sql: String
    package var arguments: [SQLValue]
    package var columns: [QueryColumn]
}

/// How a column of the current scope reads in SQL.
private struct ScopeColumn {
    var sql: SQL
    /// A cheaper SQL with the same grouping (a run key for `run_id`).
    var identity: SQL?
}

private struct OrderTerm {
    var sql: SQL
    var descending: Bool
    var nullsFirst: Bool?
}

/// One SELECT under construction.
private struct Select {
    var from: SQL
    var scope: Scope<ScopeColumn>
    var wheres: [SQL] = []
    /// Set once the rows are grouped; later conditions go to HAVING.
    var groupBy: [SQL]?
    var havings: [SQL] = []
    var order: [OrderTerm] = []
    var limit: Int64?

    /// Every piece of SQL the SELECT is made of.
    var parts: [SQL] {
        [from] + scope.entries.map(\.value.sql) + wheres + (groupBy ?? []) + havings + order.map(\.sql)
    }
}

struct Compiler {
    let dialect: any SQLDialect
    private var subqueries = 0

    init(dialect: any SQLDialect = SQLiteDialect()) { self.dialect = dialect }

    /// The deepest SQL the compiler writes: SQLite 3.40's parser overflows its stack at about
    /// 90 levels (see `SQL.depth`); this leaves a margin for the clauses around an expression.
    static let maximumDepth = 80
    /// The longest SQL the compiler writes; columns that repeat an extended column can double it
    /// at every stage.
    static let maximumBytes = 16 << 20

    /// - Throws: `QueryError` at the stage whose SQL would nest deeper than `maximumDepth` or grow
    ///   longer than `maximumBytes`.
    mutating func compile(_ query: CheckedQuery) throws(QueryError) -> CompiledQuery {
        var select = Select(
            from: SQL(catalog: query.source.relation),
            scope: Scope(
                query.source.columns.map { column in
                    (
                        column.name,
                        ScopeColumn(
                            sql: SQL(catalog: column.sql, joins: column.joins),
                            identity: column.identity.map { SQL(catalog: $0) })
                    )
                }))
        for (stage, position) in query.stages {
            try apply(stage, to: &select, at: position)
            try Self.requireFits(select.parts, at: position)
        }
        let sql = render(select, hiddenOrder: false)
        return CompiledQuery(sql: sql.text, arguments: sql.arguments, columns: query.columns)
    }

    /// Refuses SQL that nests deeper or is longer than the compiler writes.
    private static func requireFits(_ parts: [SQL], at position: SourcePosition) throws(QueryError) {
        let depth = parts.map(\.depth).max() ?? 0
        guard depth <= maximumDepth else {
            throw QueryError(
                position: position,
                message: "the query is too deep for the database here: its SQL would nest \(depth) levels, "
                    + "more than the \(maximumDepth) allowed",
                suggestion: "use fewer stages after take or a second summarize (each nests a subquery), "
                    + "or shorter chains of extended columns")
        }
        let bytes = parts.reduce(0) { $0 + $1.text.utf8.count }
        guard bytes <= maximumBytes else {
            throw QueryError(
                position: position,
                message: "the query is too complex here: its SQL would pass \(maximumBytes >> 20) MiB",
                suggestion: "extended columns used twice repeat their whole expression; shorten the chain")
        }
    }

    private mutating func apply(
        _ stage: CheckedStage, to select: inout Select, at position: SourcePosition
    ) throws(QueryError) {
        switch stage {
        case .filter(let condition):
            if select.limit != nil { select = wrap(select) }
            let sql = emit(condition, select.scope)
            if select.groupBy == nil { select.wheres.append(sql) } else { select.havings.append(sql) }
        case .extend(let bindings):
            for binding in bindings {
                let value = column(binding.value, select.scope)
                try Self.requireFits([value.sql], at: binding.value.position)
                select.scope.set(binding.name, value)
            }
        case .project(let bindings):
            let scope = select.scope
            select.scope = Scope(bindings.map { ($0.name, column($0.value, scope)) })
        case .summarize(let keys, let aggregates):
            if select.groupBy != nil || select.limit != nil { select = wrap(select) }
            let scope = select.scope
            // A key with an identity groups by it (`run_id` by the run key, no text compared) and
            // still outputs its SQL, which SQLite allows since it is the same within a group; an
            // engine that requires every output in GROUP BY groups by both (the dialect says).
            select.groupBy = keys.flatMap { key in
                let value = column(key.value, scope)
                return dialect.groupTerms(value.sql, identity: value.identity)
            }
            select.scope = Scope(
                keys.map { ($0.name, ScopeColumn(sql: emit($0.value, scope))) }
                    + aggregates.map { ($0.name, ScopeColumn(sql: emit($0.value, scope))) })
            select.order = []
        case .sort(let keys):
            if select.limit != nil { select = wrap(select) }
            select.order = keys.map {
                OrderTerm(sql: emit($0.value, select.scope), descending: $0.descending, nullsFirst: $0.nullsFirst)
            }
        case .take(let count):
            select.limit = min(select.limit ?? count, count)
        }
    }

    /// A plain column reference keeps its identity; anything else is a new expression.
    private func column(_ value: Typed, _ scope: Scope<ScopeColumn>) -> ScopeColumn {
        if case .column(let name) = value.node, let column = scope[name] { return column }
        return ScopeColumn(sql: emit(value, scope))
    }

    /// `select` as a subquery the next stage reads from, its order carried in hidden columns.
    private mutating func wrap(_ select: Select) -> Select {
        subqueries += 1
        let alias = "q\(subqueries)"
        let inner = render(select, hiddenOrder: true)
        let names = select.scope.names
        return Select(
            from: .subquery(inner, alias: alias),
            scope: Scope(names.enumerated().map { ($1, ScopeColumn(sql: "\(raw: alias).c\(raw: String($0))")) }),
            order: select.order.enumerated().map { index, term in
                OrderTerm(
                    sql: "\(raw: alias).o\(raw: String(index))", descending: term.descending,
                    nullsFirst: term.nullsFirst)
            })
    }

    /// The SELECT's text. Output columns are `c0, c1, …` (names stay out of SQL); with
    /// `hiddenOrder` the sort keys are output too, as `o0, o1, …`, for an enclosing query.
    fileprivate func render(_ select: Select, hiddenOrder: Bool) -> SQL {
        var outputs = select.scope.entries.enumerated().map { index, entry -> SQL in
            "\(entry.value.sql) AS c\(raw: String(index))"
        }
        if hiddenOrder {
            outputs += select.order.enumerated().map { index, term -> SQL in "\(term.sql) AS o\(raw: String(index))" }
        }
        let list = SQL.joined(outputs, separator: ", ")
        let wheres = SQL.joined(select.wheres, separator: " AND ")
        let groups = SQL.joined(select.groupBy ?? [], separator: ", ")
        let havings = SQL.joined(select.havings, separator: " AND ")
        let keepOrder = !hiddenOrder || select.limit != nil
        let order = SQL.joined(
            keepOrder
                ? select.order.map { dialect.orderTerm($0.sql, descending: $0.descending, nullsFirst: $0.nullsFirst) }
                : [],
            separator: ", ")
        var joins = select.from.joins
        for part in [list, wheres, groups, havings, order] {
            for join in part.joins where !joins.contains(join) { joins.append(join) }
        }
        var sql: SQL = "SELECT \(list.withoutJoins)\nFROM \(select.from.withoutJoins)"
        for join in joins { sql.append(" \(raw: join)") }
        if !select.wheres.isEmpty { sql.append("\nWHERE \(wheres.withoutJoins)") }
        if let groupBy = select.groupBy, !groupBy.isEmpty { sql.append("\nGROUP BY \(groups.withoutJoins)") }
        if !select.havings.isEmpty { sql.append("\nHAVING \(havings.withoutJoins)") }
        if keepOrder, !select.order.isEmpty { sql.append("\nORDER BY \(order.withoutJoins)") }
        if let limit = select.limit { sql.append("\nLIMIT \(dialect.parameter(.integer(limit)))") }
        return sql
    }
}

extension Compiler {
    /// The SQL of a checked expression over `scope`.
    fileprivate func emit(_ value: Typed, _ scope: Scope<ScopeColumn>) -> SQL {
        func e(_ operand: Typed) -> SQL { emit(operand, scope) }
        /// An operand where a `type` is expected: a JSON value is typed by the dialect.
        func e(_ operand: Typed, as type: ValueType) -> SQL {
            operand.type == .json && type != .json ? dialect.json(e(operand), as: type) : e(operand)
        }
        /// An operand beside others: typed as the first of them that is not JSON.
        func e(_ operand: Typed, beside others: [Typed]) -> SQL {
            e(operand, as: others.first { $0.type != .json }?.type ?? .json)
        }
        switch value.node {
        case .column(let name):
            return scope[name]?.sql ?? dialect.parameter(.null)
        case .value(let literal):
            if value.type == .bool, case .integer(let flag) = literal { return dialect.boolean(flag != 0) }
            return dialect.parameter(literal)
        case .jsonField(let json, let path):
            return dialect.jsonField(e(json), path: path)
        case .not(let operand):
            return "(NOT \(e(operand, as: .bool)))"
        case .negate(let operand):
            return "(-\(e(operand, as: .real)))"
        case .logical(let op, let left, let right):
            return "(\(e(left, as: .bool)) \(raw: op == .and ? "AND" : "OR") \(e(right, as: .bool)))"
        case .compare(let op, let left, let right):
            let sign = op == .equal ? "=" : op == .notEqual ? "<>" : op.rawValue
            return "(\(e(left, beside: [right])) \(raw: sign) \(e(right, beside: [left])))"
        case .isNull(let operand, let negated):
            return "(\(e(operand)) \(raw: negated ? "IS NOT NULL" : "IS NULL"))"
        case .text(let op, let left, let right):
            return dialect.textContains(e(left, as: .string), e(right, as: .string), startsWith: op == .startswith)
        case .inList(let operand, let items):
            // One type for the whole list, found once: the list is never copied per item.
            let type = ([operand] + items).first { $0.type != .json }?.type ?? .json
            let list = items.map { e($0, as: type) }
            return "(\(e(operand, beside: items)) IN (\(SQL.joined(list, separator: ", "))))"
        case .between(let operand, let low, let high):
            let all = [operand, low, high]
            return "(\(e(operand, beside: all)) BETWEEN \(e(low, beside: all)) AND \(e(high, beside: all)))"
        case .arithmetic(let arithmetic, let left, let right):
            let (a, b) = (e(left, as: .real), e(right, as: .real))
            let sql = arithmetic.realDivision ? dialect.realDivision(a, b) : dialect.arithmetic(arithmetic.op.rawValue, a, b)
            return arithmetic.roundToInteger ? dialect.roundToInteger(sql) : sql
        case .function(let function, let arguments):
            switch function {
            case .lower: return dialect.lower(e(arguments[0], as: .string))
            case .len: return dialect.length(e(arguments[0], as: .string))
            case .coalesce:
                let sql = arguments.map { e($0, as: value.type) }
                return sql.count == 1 ? sql[0] : "coalesce(\(SQL.joined(sql, separator: ", ")))"
            case .floorMultiple: return dialect.floorMultiple(e(arguments[0]), e(arguments[1]))
            }
        case .aggregate(let function, let arguments):
            return aggregate(function, arguments, type: value.type, scope)
        }
    }

    private func aggregate(
        _ function: AggregateFunction, _ arguments: [Typed], type: ValueType, _ scope: Scope<ScopeColumn>
    ) -> SQL {
        guard let first = arguments.first else { return "count(*)" }
        let plain = emit(first, scope)
        // Sums, averages, extremes and percentiles of a JSON value are numeric.
        let x = first.type == .json ? dialect.json(plain, as: .real) : plain
        switch function {
        case .count: return "count(*)"
        case .countif: return "count(CASE WHEN \(x) THEN 1 END)"
        case .dcount:
            if case .column(let name) = first.node, let identity = scope[name]?.identity {
                return "count(DISTINCT \(identity))"
            }
            return "count(DISTINCT \(plain))"
        case .avg:
            let integer: Set<ValueType> = [.money, .duration, .timestamp, .date]
            return integer.contains(type) ? dialect.roundToInteger("avg(\(x))") : "avg(\(x))"
        case .sum, .min, .max: return "\(raw: function.rawValue)(\(x))"
        case .percentile: return dialect.percentile(x, emit(arguments[1], scope))
        }
    }
}
