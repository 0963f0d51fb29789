// The recursive-descent parser: tokens to a Pipeline. Keywords are words the parser expects in
// context, so the grammar reads top-down here; each failure names what was expected where.

/// Parses query text into a `Pipeline`.
package struct Parser {
    private var tokens: [Token]
    private var index = 0
    /// How many parenthesized, negated or argument expressions enclose the current token.
    private var depth = 0

    /// The stage keywords, with the synonyms KQL users type.
    static let stageKeywords = ["where", "extend", "project", "summarize", "sort", "order", "take", "limit", "top"]

    /// Parses `text`, throwing the first error with its position.
    package static func parse(_ text: String) throws(QueryError) -> Pipeline {
        var parser = Parser(tokens: try Lexer.tokens(text))
        return try parser.pipeline()
    }

    private init(tokens: [Token]) { self.tokens = tokens }

    private var current: Token { tokens[index] }

    private mutating func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    /// Whether the current token is the keyword `word` (lowercase letters), in any case; compared
    /// byte by byte because the parser asks this for every keyword it might see.
    private func isWord(_ word: String) -> Bool {
        guard case .identifier(let text) = current.kind else { return false }
        return text.utf8.elementsEqual(word.utf8) { $0 | 0x20 == $1 }
    }

    private func isSymbol(_ symbol: String) -> Bool { current.kind == .symbol(symbol) }

    private mutating func skipWord(_ word: String) -> Bool {
        guard isWord(word) else { return false }
        _ = advance()
        return true
    }

    private mutating func skipSymbol(_ symbol: String) -> Bool {
        guard isSymbol(symbol) else { return false }
        _ = advance()
        return true
    }

    /// What the current token is, for messages: `'foo'` or `the end of the query`.
    private var found: String { current.kind == .end ? "the end of the query" : "'\(current.text)'" }

    private func failure(_ message: String, suggestion: String? = nil) -> QueryError {
        QueryError(position: current.position, message: message, suggestion: suggestion)
    }

    private mutating func expectWord(_ word: String, after context: String) throws(QueryError) {
        guard skipWord(word) else { throw failure("expected '\(word)' after '\(context)', found \(found)") }
    }

    private mutating func expectSymbol(_ symbol: String, _ context: String) throws(QueryError) {
        guard skipSymbol(symbol) else { throw failure("expected '\(symbol)' \(context), found \(found)") }
    }

    private mutating func name(_ what: String) throws(QueryError) -> Name {
        guard case .identifier(let text) = current.kind else { throw failure("expected \(what), found \(found)") }
        return Name(text: text, position: advance().position)
    }

    // MARK: - Pipeline and stages

    private mutating func pipeline() throws(QueryError) -> Pipeline {
        let source = try name("a source (runs, steps, events or transitions)")
        var stages: [Stage] = []
        while current.kind != .end {
            guard skipSymbol("|") else {
                let isStage = Self.stageKeywords.contains(current.text.lowercased())
                throw failure(
                    "expected '|' or the end of the query, found \(found)",
                    suggestion: isStage ? "put '|' before '\(current.text)'" : nil)
            }
            stages.append(try stage())
        }
        return Pipeline(source: source, stages: stages)
    }

    private mutating func stage() throws(QueryError) -> Stage {
        let keyword = current
        guard case .identifier(let word) = keyword.kind else {
            throw failure("expected a stage (\(Self.stageKeywords.joined(separator: ", "))), found \(found)")
        }
        _ = advance()
        let kind: Stage.Kind
        switch word.lowercased() {
        case "where": kind = .filter(try expression())
        case "extend":
            kind = .extend(try list { (p: inout Parser) throws(QueryError) in try p.assignment(named: true) })
        case "project":
            kind = .project(try list { (p: inout Parser) throws(QueryError) in try p.assignment(named: false) })
        case "summarize": kind = try summarize()
        case "sort", "order":
            try expectWord("by", after: word)
            kind = .sort(try list { (p: inout Parser) throws(QueryError) in try p.sortKey() })
        case "take", "limit": kind = .take(try primary())
        case "top":
            let count = try primary()
            try expectWord("by", after: "top \(tokens[index - 1].text)")
            kind = .top(count, try list { (p: inout Parser) throws(QueryError) in try p.sortKey() })
        default:
            throw QueryError(
                position: keyword.position, message: "unknown stage '\(word)'",
                suggestion: didYouMean(word, among: Self.stageKeywords))
        }
        return Stage(kind: kind, position: keyword.position)
    }

    private mutating func list<T>(_ item: (inout Parser) throws(QueryError) -> T) throws(QueryError) -> [T] {
        var items = [try item(&self)]
        while skipSymbol(",") { items.append(try item(&self)) }
        return items
    }

    /// `NAME = EXPR`; when `named` is false the name may stand alone (a column) or be left out.
    private mutating func assignment(named: Bool) throws(QueryError) -> Assignment {
        if case .identifier = current.kind, tokens[index + 1].kind == .symbol("=") {
            let target = try name("a column name")
            _ = advance()
            return Assignment(name: target, expression: try expression())
        }
        if named { throw failure("expected NAME = EXPRESSION, found \(found)") }
        return Assignment(name: nil, expression: try expression())
    }

    private mutating func summarize() throws(QueryError) -> Stage.Kind {
        var aggregates: [Assignment] = []
        if !isWord("by") {
            aggregates = try list { (p: inout Parser) throws(QueryError) in try p.assignment(named: false) }
        }
        var keys: [Assignment] = []
        if skipWord("by") {
            keys = try list { (p: inout Parser) throws(QueryError) in try p.assignment(named: false) }
        } else if aggregates.isEmpty {
            throw failure("expected an aggregate such as count() or 'by' after 'summarize', found \(found)")
        }
        return .summarize(aggregates: aggregates, by: keys)
    }

    private mutating func sortKey() throws(QueryError) -> SortKey {
        let expression = try expression()
        var descending = false
        if skipWord("desc") { descending = true } else { _ = skipWord("asc") }
        var nullsFirst: Bool?
        if skipWord("nulls") {
            if skipWord("first") {
                nullsFirst = true
            } else {
                try expectWord("last", after: "nulls")
                nullsFirst = false
            }
        }
        return SortKey(expression: expression, descending: descending, nullsFirst: nullsFirst)
    }

    // MARK: - Expressions, loosest binding first

    /// How deep an expression may nest; deeper is refused here so that no phase recurses without bound.
    static let maximumHeight = 128

    private mutating func expression() throws(QueryError) -> Expression {
        let start = current.position
        try descend()
        defer { depth -= 1 }
        let expression = try or()
        guard expression.height <= Self.maximumHeight else {
            throw QueryError(
                position: start, message: "this expression nests deeper than \(Self.maximumHeight) levels",
                suggestion: "split it with extend")
        }
        return expression
    }

    private mutating func or() throws(QueryError) -> Expression {
        var left = try and()
        while isWord("or") {
            _ = advance()
            left = Expression(kind: .binary(.or, left, try and()), position: left.position)
        }
        return left
    }

    private mutating func and() throws(QueryError) -> Expression {
        var left = try not()
        while isWord("and") {
            _ = advance()
            left = Expression(kind: .binary(.and, left, try not()), position: left.position)
        }
        return left
    }

    /// Counts one more level of nesting, refusing more than `maximumHeight`.
    private mutating func descend() throws(QueryError) {
        depth += 1
        guard depth <= Self.maximumHeight else {
            throw failure(
                "this expression nests deeper than \(Self.maximumHeight) levels", suggestion: "split it with extend")
        }
    }

    private mutating func not() throws(QueryError) -> Expression {
        guard isWord("not") else { return try comparison() }
        let position = advance().position
        try descend()
        defer { depth -= 1 }
        return Expression(kind: .not(try not()), position: position)
    }

    private mutating func comparison() throws(QueryError) -> Expression {
        let left = try additive()
        if isSymbol("=") {
            throw failure(
                "'=' names a column (in extend, project and summarize)", suggestion: "compare with '=='")
        }
        if case .symbol(let symbol) = current.kind, let op = BinaryOperator(rawValue: symbol), op.isComparison {
            _ = advance()
            return Expression(kind: .binary(op, left, try additive()), position: left.position)
        }
        let negated = isWord("not") && ["in", "contains", "startswith", "between"].contains(tokens[index + 1].text)
        if negated { _ = advance() }
        let kind: Expression.Kind
        if skipWord("in") {
            try expectSymbol("(", "to open the list after 'in'")
            let items = try list { (p: inout Parser) throws(QueryError) in try p.expression() }
            try expectSymbol(")", "to close the list after 'in'")
            kind = .inList(left, items)
        } else if skipWord("contains") {
            kind = .binary(.contains, left, try additive())
        } else if skipWord("startswith") {
            kind = .binary(.startswith, left, try additive())
        } else if skipWord("between") {
            let low = try additive()
            try expectWord("and", after: "between \(tokens[index - 1].text)")
            kind = .between(left, low, try additive())
        } else {
            return left
        }
        let result = Expression(kind: kind, position: left.position)
        return negated ? Expression(kind: .not(result), position: left.position) : result
    }

    private mutating func additive() throws(QueryError) -> Expression {
        var left = try multiplicative()
        while isSymbol("+") || isSymbol("-") {
            let op: BinaryOperator = advance().text == "+" ? .add : .subtract
            left = Expression(kind: .binary(op, left, try multiplicative()), position: left.position)
        }
        return left
    }

    private mutating func multiplicative() throws(QueryError) -> Expression {
        var left = try unary()
        while isSymbol("*") || isSymbol("/") {
            let op: BinaryOperator = advance().text == "*" ? .multiply : .divide
            left = Expression(kind: .binary(op, left, try unary()), position: left.position)
        }
        return left
    }

    /// `-x`; a minus before a number or duration folds into the literal, so `cost_usd > -1`
    /// still converts the literal to money.
    private mutating func unary() throws(QueryError) -> Expression {
        guard isSymbol("-") else { return try postfix() }
        let position = advance().position
        try descend()
        defer { depth -= 1 }
        let operand = try unary()
        switch operand.kind {
        case .number(let text) where !text.hasPrefix("-"):
            return Expression(kind: .number("-" + text), position: position)
        case .duration(let micros):
            return Expression(kind: .duration(-micros), position: position)
        default:
            return Expression(kind: .negate(operand), position: position)
        }
    }

    private mutating func postfix() throws(QueryError) -> Expression {
        let base = try primary()
        var path: [String] = []
        while skipSymbol(".") { path.append(try name("a field name after '.'").text) }
        return path.isEmpty ? base : Expression(kind: .field(base, path), position: base.position)
    }

    private mutating func primary() throws(QueryError) -> Expression {
        let token = current
        let kind: Expression.Kind
        switch token.kind {
        case .string(let text): kind = .string(text)
        case .number(let text): kind = .number(text)
        case .duration(let micros): kind = .duration(micros)
        case .timestamp(let micros): kind = .timestamp(micros)
        case .symbol("("):
            _ = advance()
            let inner = try expression()
            try expectSymbol(")", "to close '(' at \(token.position)")
            return inner
        case .identifier(let word):
            _ = advance()
            switch word.lowercased() {
            case "true": return Expression(kind: .bool(true), position: token.position)
            case "false": return Expression(kind: .bool(false), position: token.position)
            case "null": return Expression(kind: .null, position: token.position)
            default: break
            }
            guard skipSymbol("(") else { return Expression(kind: .column(word), position: token.position) }
            var arguments: [Expression] = []
            if !isSymbol(")") { arguments = try list { (p: inout Parser) throws(QueryError) in try p.expression() } }
            try expectSymbol(")", "to close the arguments of \(word)(")
            return Expression(kind: .call(word.lowercased(), arguments), position: token.position)
        default:
            throw failure("expected an expression, found \(found)")
        }
        _ = advance()
        return Expression(kind: kind, position: token.position)
    }
}
