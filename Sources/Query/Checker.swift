// The checker: resolves every name against the source's columns and the columns earlier stages
// made, types every expression, converts literals to their stored form, and explains what is
// wrong where: unknown names with the closest known one, type errors naming both types.

import Ledger

/// Columns by name, in output order; shared by the checker (types) and the compiler (SQL).
struct Scope<Value> {
    private(set) var names: [String] = []
    private var values: [String: Value] = [:]

    init(_ entries: [(String, Value)] = []) {
        for (name, value) in entries { set(name, value) }
    }

    subscript(name: String) -> Value? { values[name] }

    var entries: [(name: String, value: Value)] { names.compactMap { name in values[name].map { (name, $0) } } }

    /// Adds `name`, or replaces it where it already is.
    mutating func set(_ name: String, _ value: Value) {
        if values.updateValue(value, forKey: name) == nil { names.append(name) }
    }
}

/// Checks a parsed pipeline against the catalog.
struct Checker {
    /// The time `now()` and `ago()` are relative to, fixed once per query.
    let now: Int64
    private(set) var source = Catalog.runs
    /// The columns each stage sees: name to type.
    private(set) var scope = Scope<ValueType>()

    init(now: Int64) { self.now = now }

    mutating func check(_ pipeline: Pipeline) throws(QueryError) -> CheckedQuery {
        guard let source = Catalog.source(named: pipeline.source.text.lowercased()) else {
            let names = Catalog.sources.map(\.name)
            throw QueryError(
                position: pipeline.source.position,
                message:
                    "unknown source '\(pipeline.source.text)'; a query starts with \(names.joined(separator: ", "))",
                suggestion: didYouMean(pipeline.source.text, among: names))
        }
        self.source = source
        scope = Scope(source.columns.map { ($0.name, $0.type) })
        var stages: [(stage: CheckedStage, position: SourcePosition)] = []
        for stage in pipeline.stages { stages += try check(stage).map { ($0, stage.position) } }
        return CheckedQuery(
            source: source, stages: stages, columns: scope.entries.map { QueryColumn(name: $0.name, type: $0.value) })
    }

    /// One stage as checked stages (`top` is a sort and a take); updates the scope after it.
    private mutating func check(_ stage: Stage) throws(QueryError) -> [CheckedStage] {
        switch stage.kind {
        case .filter(let expression):
            let condition = try check(expression, .row)
            try requireCondition(condition, "where")
            return [.filter(condition)]
        case .extend(let assignments):
            var bindings: [Binding] = []
            for assignment in assignments {
                let binding = try bind(assignment, .row, taken: [])
                scope.set(binding.name, binding.value.type)
                bindings.append(binding)
            }
            return [.extend(bindings)]
        case .project(let assignments):
            let bindings = try bindAll(assignments, .row)
            scope = Scope(bindings.map { ($0.name, $0.value.type) })
            return [.project(bindings)]
        case .summarize(let aggregates, let keys):
            let keyBindings = try bindAll(keys, .row)
            let aggregateBindings = try bindAll(aggregates, .aggregate, taken: keyBindings.map(\.name))
            scope = Scope((keyBindings + aggregateBindings).map { ($0.name, $0.value.type) })
            return [.summarize(keys: keyBindings, aggregates: aggregateBindings)]
        case .sort(let keys):
            return [.sort(try sortKeys(keys))]
        case .take(let count):
            return [.take(try rowCount(count, "take"))]
        case .top(let count, let keys):
            let limit = try rowCount(count, "top")
            return [.sort(try sortKeys(keys)), .take(limit)]
        }
    }

    private func requireCondition(_ condition: Typed, _ stage: String) throws(QueryError) {
        guard condition.type != .bool, condition.type != .null else { return }
        throw QueryError(
            position: condition.position, message: "\(stage) needs a true/false condition, got \(condition.type)",
            suggestion: condition.type == .json ? "compare the field, e.g. data.result.success == true" : nil)
    }

    private func rowCount(_ expression: Expression, _ stage: String) throws(QueryError) -> Int64 {
        guard case .number(let text) = expression.kind, let count = Int64(text), count >= 0 else {
            throw QueryError(
                position: expression.position, message: "\(stage) needs a whole number of rows",
                suggestion: "write it like \(stage) 10")
        }
        return count
    }

    private func sortKeys(_ keys: [SortKey]) throws(QueryError) -> [CheckedSortKey] {
        var checked: [CheckedSortKey] = []
        for key in keys {
            let value = try check(key.expression, .row)
            checked.append(CheckedSortKey(value: value, descending: key.descending, nullsFirst: key.nullsFirst))
        }
        return checked
    }

    /// Checks each assignment in turn; names must differ from each other and from `taken`.
    private func bindAll(
        _ assignments: [Assignment], _ context: Context, taken: [String] = []
    ) throws(QueryError) -> [Binding] {
        var bindings: [Binding] = []
        for assignment in assignments {
            bindings.append(try bind(assignment, context, taken: taken + bindings.map(\.name)))
        }
        return bindings
    }

    private func bind(_ assignment: Assignment, _ context: Context, taken: [String]) throws(QueryError) -> Binding {
        let value = try check(assignment.expression, context)
        if context == .aggregate, !Self.aggregates(value) {
            throw QueryError(
                position: assignment.expression.position, message: "summarize outputs must aggregate the rows",
                suggestion: "use count(), sum(…), avg(…) or another aggregate, or put the column after 'by'")
        }
        let position = assignment.name?.position ?? assignment.expression.position
        guard let name = assignment.name?.text ?? Self.defaultName(of: assignment.expression) else {
            throw QueryError(
                position: position, message: "this expression needs a name", suggestion: "write NAME = expression")
        }
        if taken.contains(name) {
            throw QueryError(
                position: position, message: "column '\(name)' is named twice here",
                suggestion: "name one of them: NAME = expression")
        }
        return Binding(name: name, value: value)
    }

    /// Whether `value` contains an aggregate call.
    private static func aggregates(_ value: Typed) -> Bool {
        switch value.node {
        case .aggregate: true
        case .column, .value: false
        case .jsonField(let operand, _), .not(let operand), .negate(let operand), .isNull(let operand, _):
            aggregates(operand)
        case .logical(_, let left, let right), .compare(_, let left, let right), .text(_, let left, let right),
            .arithmetic(_, let left, let right):
            aggregates(left) || aggregates(right)
        case .inList(let operand, let items): ([operand] + items).contains(where: aggregates)
        case .between(let operand, let low, let high): [operand, low, high].contains(where: aggregates)
        case .function(_, let arguments): arguments.contains(where: aggregates)
        }
    }

    /// The name of an unnamed output: a column keeps its name (also through bin), a field its
    /// path (`data_action_type`), a call `f_column` (`p95_duration_s`, `count`).
    static func defaultName(of expression: Expression) -> String? {
        switch expression.kind {
        case .column(let name):
            return name
        case .field(let base, let path):
            return defaultName(of: base).map { ([$0] + path).joined(separator: "_") }
        case .call(let function, let arguments):
            let column = arguments.lazy.compactMap { argument -> String? in
                if case .column = argument.kind { return defaultName(of: argument) }
                if case .field = argument.kind { return defaultName(of: argument) }
                return nil
            }.first
            if function == "bin", let column { return column }
            var name = [function] + (column.map { [$0] } ?? [])
            if function == "percentile", arguments.count == 2, case .number(let p) = arguments[1].kind {
                name.append(p)
            }
            return String(name.joined(separator: "_").map { $0 == "." ? "_" : $0 })
        default:
            return nil
        }
    }
}
