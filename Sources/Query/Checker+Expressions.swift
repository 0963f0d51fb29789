// Typing expressions: columns, literals, operators. A number literal next to money means
// dollars and next to a duration seconds, and converts exactly to the stored integer; other
// mixes of types are refused with both types named.

import Ledger

/// Where an expression stands, which decides what it may use.
enum Context {
    /// A value per row: columns, no aggregates.
    case row
    /// A summarize output: aggregates, and columns only inside them.
    case aggregate
    /// The arguments of an aggregate: columns, no further aggregates.
    case insideAggregate
}

extension Checker {
    func check(_ expression: Expression, _ context: Context) throws(QueryError) -> Typed {
        let position = expression.position
        func typed(_ type: ValueType, _ node: Typed.Node) -> Typed { Typed(type: type, node: node, position: position) }
        switch expression.kind {
        case .column(let name):
            return try column(name, at: position, context)
        case .field(let base, let path):
            return try field(base, path, context)
        case .string, .number, .duration, .timestamp, .bool, .null:
            return try literal(expression, as: nil)
        case .not(let operand):
            let value = try check(operand, context)
            try requireBool(value, "not")
            return typed(.bool, .not(value))
        case .negate(let operand):
            let value = try check(operand, context)
            guard [.int, .real, .money, .duration, .json, .null].contains(value.type) else {
                throw QueryError(position: position, message: "cannot negate a \(value.type)")
            }
            return typed(value.type == .json ? .real : value.type, .negate(value))
        case .binary(let op, let left, let right):
            return try binary(op, left, right, at: position, context)
        case .inList(let value, let items):
            let checked = try check(value, context)
            var list: [Typed] = []
            for item in items { list.append(try comparable(item, with: checked, "in", context)) }
            return typed(.bool, .inList(checked, list))
        case .between(let value, let low, let high):
            let checked = try check(value, context)
            let lowValue = try comparable(low, with: checked, "between", context)
            let highValue = try comparable(high, with: checked, "between", context)
            return typed(.bool, .between(checked, lowValue, highValue))
        case .call(let name, let arguments):
            return try call(name, arguments, at: position, context)
        }
    }

    private func column(_ name: String, at position: SourcePosition, _ context: Context) throws(QueryError) -> Typed {
        guard let type = scope[name] else {
            let known = scope.names
            let functions =
                Checker.functionNames.contains(name.lowercased()) ? " (\(name) is a function: \(name)(…))" : ""
            throw QueryError(
                position: position, message: "unknown column '\(name)' in \(source.name)\(functions)",
                suggestion: didYouMean(name, among: known) ?? "its columns are \(known.joined(separator: ", "))")
        }
        if context == .aggregate {
            throw QueryError(
                position: position, message: "column '\(name)' is neither aggregated nor in 'by'",
                suggestion: "aggregate it, e.g. max(\(name)), or add it after 'by'")
        }
        return Typed(type: type, node: .column(name), position: position)
    }

    private func field(_ base: Expression, _ path: [String], _ context: Context) throws(QueryError) -> Typed {
        let value = try check(base, context)
        guard case .column = value.node, value.type == .json else {
            throw QueryError(
                position: base.position,
                message:
                    "only JSON columns have fields, and this is \(value.type == .json ? "not a column" : "a \(value.type)")",
                suggestion: "fields are read from events' data, e.g. data.action.type")
        }
        return Typed(
            type: .json, node: .jsonField(value, path: "$." + path.joined(separator: ".")), position: base.position)
    }

    /// A literal as its default type, or converted to `target` (dollars to micro-dollars,
    /// seconds to microseconds) when one is given.
    func literal(_ expression: Expression, as target: ValueType?) throws(QueryError) -> Typed {
        let position = expression.position
        func value(_ type: ValueType, _ value: SQLValue) -> Typed {
            Typed(type: type, node: .value(value), position: position)
        }
        switch expression.kind {
        case .string(let text): return value(.string, .text(text))
        case .bool(let flag): return value(.bool, .integer(flag ? 1 : 0))
        case .duration(let micros): return value(.duration, .integer(micros))
        case .timestamp(let micros): return value(.timestamp, .integer(micros))
        case .null: return value(.null, .null)
        case .number(let text):
            switch target {
            case .money?, .duration?:
                guard let micros = scaledDecimal(text, scale: 1_000_000) else {
                    throw QueryError(
                        position: position,
                        message: "\(text) does not fit a \(target == .money ? "money amount" : "duration")",
                        suggestion: "use at most 6 decimals and less than 9 trillion")
                }
                return value(target ?? .money, .integer(micros))
            default:
                if let integer = Int64(text) { return value(.int, .integer(integer)) }
                guard text.contains("."), let real = Double(text) else {
                    throw QueryError(position: position, message: "\(text) is too large for a 64-bit integer")
                }
                return value(.real, .real(real))
            }
        default:
            return try check(expression, .row)
        }
    }

    /// Checks `right` to be compared with the already checked `left`: a number literal takes
    /// left's money or duration unit.
    func comparable(
        _ right: Expression, with left: Typed, _ op: String, _ context: Context
    ) throws(QueryError) -> Typed {
        let value = try operand(right, beside: left.type, context)
        try requireComparable(left, value, op)
        return value
    }

    /// `expression` checked; a number literal converts to `other` when that is money or a duration.
    func operand(_ expression: Expression, beside other: ValueType, _ context: Context) throws(QueryError) -> Typed {
        if case .number = expression.kind, other == .money || other == .duration {
            return try literal(expression, as: other)
        }
        return try check(expression, context)
    }

    func requireComparable(_ left: Typed, _ right: Typed, _ op: String) throws(QueryError) {
        let (a, b) = (left.type, right.type)
        let dynamic: Set<ValueType> = [.string, .int, .real, .bool, .json]
        if a == b || a == .null || b == .null || (a.isNumber && b.isNumber) || (a.isTime && b.isTime)
            || (a == .json && dynamic.contains(b)) || (b == .json && dynamic.contains(a))
        {
            return
        }
        throw QueryError(
            position: right.position, message: "cannot compare \(a) with \(b) (\(op))",
            suggestion: Self.conversionHint(a, b))
    }

    /// How to write a literal of `type` when `other` was written instead.
    static func conversionHint(_ type: ValueType, _ other: ValueType) -> String? {
        switch (type, other) {
        case (.timestamp, .string), (.date, .string), (.timestamp, .int), (.date, .int):
            "write times bare, without quotes: 2026-11-01 or 2026-11-01T10:00:00Z"
        case (.money, .string): "write money as a number of dollars: 1.50"
        case (.duration, .string): "write durations like 90s, 5m, 12h or 7d"
        case (.bool, .string), (.bool, .int): "write true or false"
        case (.string, _) where other != .string: "quote text: \"…\""
        default: nil
        }
    }

    func requireBool(_ value: Typed, _ op: String) throws(QueryError) {
        guard value.type != .bool, value.type != .null else { return }
        throw QueryError(
            position: value.position, message: "'\(op)' needs true/false operands, got \(value.type)",
            suggestion: value.type == .json ? "compare the field, e.g. data.result.success == true" : nil)
    }

    private func binary(
        _ op: BinaryOperator, _ left: Expression, _ right: Expression, at position: SourcePosition,
        _ context: Context
    ) throws(QueryError) -> Typed {
        func typed(_ type: ValueType, _ node: Typed.Node) -> Typed { Typed(type: type, node: node, position: position) }
        switch op {
        case .and, .or:
            let (l, r) = (try check(left, context), try check(right, context))
            try requireBool(l, op.rawValue)
            try requireBool(r, op.rawValue)
            return typed(.bool, .logical(op, l, r))
        case .contains, .startswith:
            let (l, r) = (try check(left, context), try check(right, context))
            for value in [l, r] where ![.string, .json, .null].contains(value.type) {
                throw QueryError(
                    position: value.position, message: "'\(op.rawValue)' works on text, got \(value.type)",
                    suggestion: Self.conversionHint(.string, value.type))
            }
            return typed(.bool, .text(op, l, r))
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual:
            let (l, r) = try operands(left, right, context)
            try requireComparable(l, r, op.rawValue)
            if op == .equal || op == .notEqual, l.type == .null || r.type == .null {
                return typed(.bool, .isNull(l.type == .null ? r : l, negated: op == .notEqual))
            }
            return typed(.bool, .compare(op, l, r))
        case .add, .subtract, .multiply, .divide:
            let (l, r) = try operands(left, right, context, convertNumbers: op == .add || op == .subtract)
            let (type, arithmetic) = try arithmeticType(op, l, r)
            return typed(type, .arithmetic(arithmetic, l, r))
        }
    }

    /// Both operands checked, a number literal on either side converted to the other's money or
    /// duration unit when `convertNumbers` is true.
    private func operands(
        _ left: Expression, _ right: Expression, _ context: Context, convertNumbers: Bool = true
    ) throws(QueryError) -> (Typed, Typed) {
        guard convertNumbers else { return (try check(left, context), try check(right, context)) }
        if case .number = left.kind {
            let r = try check(right, context)
            return (try operand(left, beside: r.type, context), r)
        }
        let l = try check(left, context)
        return (l, try operand(right, beside: l.type, context))
    }

    /// The result type of `l op r` and how to compute it, or an error naming both types.
    private func arithmeticType(_ op: BinaryOperator, _ l: Typed, _ r: Typed) throws(QueryError) -> (
        ValueType, Arithmetic
    ) {
        let (a, b) = (l.type == .json ? .real : l.type, r.type == .json ? .real : r.type)
        let plain = Arithmetic(op: op)
        let number: ValueType = a == .int && b == .int ? .int : .real
        let known: (ValueType, Arithmetic)? =
            switch (op, a, b) {
            case (_, .null, _), (_, _, .null): (a == .null ? b : a, plain)
            case (_, _, _) where a.isNumber && b.isNumber: (number, plain)
            case (.add, .money, .money), (.subtract, .money, .money): (.money, plain)
            case (.add, .duration, .duration), (.subtract, .duration, .duration): (.duration, plain)
            case (.add, .timestamp, .duration), (.subtract, .timestamp, .duration), (.add, .date, .duration),
                (.subtract, .date, .duration):
                (.timestamp, plain)
            case (.add, .duration, .timestamp), (.add, .duration, .date): (.timestamp, plain)
            case (.subtract, _, _) where a.isTime && b.isTime: (.duration, plain)
            case (.multiply, .money, _) where b.isNumber, (.multiply, .duration, _) where b.isNumber:
                (a, Arithmetic(op: op, roundToInteger: b == .real))
            case (.multiply, _, .money) where a.isNumber, (.multiply, _, .duration) where a.isNumber:
                (b, Arithmetic(op: op, roundToInteger: a == .real))
            case (.divide, .money, _) where b.isNumber, (.divide, .duration, _) where b.isNumber:
                (a, Arithmetic(op: op, realDivision: true, roundToInteger: true))
            case (.divide, .money, .money), (.divide, .duration, .duration):
                (.real, Arithmetic(op: op, realDivision: true))
            default: nil
            }
        guard let known else {
            throw QueryError(
                position: l.position, message: "cannot apply '\(op.rawValue)' to \(l.type) and \(r.type)",
                suggestion: Self.conversionHint(l.type, r.type))
        }
        return known
    }
}
