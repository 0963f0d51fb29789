// The lexer: query text to tokens, each with its position. Words are identifiers (keywords are
// recognized by the parser in context), and literals are converted here: durations to
// microseconds and timestamps to UTC microseconds, both exactly, never through a Double.

import Ledger

/// One token of a query.
package struct Token: Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        case identifier(String)
        case string(String)
        /// An integer or decimal number, kept as written so money and seconds convert exactly.
        case number(String)
        /// `90s`, `5m`, `1.5h`, `7d`, `250ms`, in microseconds.
        case duration(Int64)
        /// `2026-11-01` or `2026-11-01T10:00:00Z`, in UTC microseconds.
        case timestamp(Int64)
        case symbol(String)
        case end
    }

    package var kind: Kind
    package var position: SourcePosition
    /// The text as written, for messages.
    package var text: String
}

/// Splits a query into tokens.
package struct Lexer {
    /// The text as Unicode scalars: columns count scalars, which for queries are characters.
    private let characters: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var column = 1

    private init(_ text: String) { characters = Array(text.unicodeScalars) }

    /// Every token of the text, ending with `.end`.
    package static func tokens(_ text: String) throws(QueryError) -> [Token] {
        var lexer = Lexer(text)
        var tokens: [Token] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private static let twoCharacterSymbols: Set<String> = ["==", "!=", "<=", ">="]
    private static let symbols: Set<Unicode.Scalar> = ["|", ",", "(", ")", ".", "=", "<", ">", "+", "-", "*", "/"]
    /// Microseconds per unit of a duration literal.
    private static let units: [String: Int64] = [
        "ms": 1_000, "s": 1_000_000, "m": 60_000_000, "h": 3_600_000_000, "d": 86_400_000_000,
    ]

    private func text(_ range: Range<Int>) -> String {
        var text = ""
        text.unicodeScalars.append(contentsOf: characters[range])
        return text
    }

    private var position: SourcePosition { SourcePosition(line: line, column: column, offset: index) }

    private func peek(_ ahead: Int = 0) -> Unicode.Scalar? {
        index + ahead < characters.count ? characters[index + ahead] : nil
    }

    private mutating func advance() {
        if characters[index] == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
        index += 1
    }

    private mutating func skipSpaceAndComments() {
        while let c = peek() {
            if c.properties.isWhitespace {
                advance()
            } else if c == "/", peek(1) == "/" {
                while let c = peek(), c != "\n" { advance() }
            } else {
                return
            }
        }
    }

    private mutating func next() throws(QueryError) -> Token {
        skipSpaceAndComments()
        let start = position
        guard let c = peek() else { return Token(kind: .end, position: start, text: "") }
        func token(_ kind: Token.Kind) -> Token {
            Token(kind: kind, position: start, text: text(start.offset..<index))
        }
        if c.isLetter || c == "_" {
            while let c = peek(), c.isLetter || c.isNumber || c == "_" { advance() }
            return token(.identifier(text(start.offset..<index)))
        }
        if c.isASCII, c.isNumber { return try number(from: start) }
        if c == "\"" || c == "'" { return try string(quote: c, from: start) }
        if let d = peek(1), Self.twoCharacterSymbols.contains(String(c) + String(d)) {
            advance()
            advance()
            return token(.symbol(String(c) + String(d)))
        }
        if Self.symbols.contains(c) {
            advance()
            return token(.symbol(String(c)))
        }
        let hint: String? =
            switch c {
            case "&": "write 'and'"
            case "!": "write 'not', or '!=' to compare"
            case ";": "a query is one pipeline; join stages with '|'"
            default: nil
            }
        throw QueryError(position: start, message: "unexpected character '\(c)'", suggestion: hint)
    }

    /// A number, a duration (a number with a unit) or a timestamp (starting `YYYY-MM-DD`).
    private mutating func number(from start: SourcePosition) throws(QueryError) -> Token {
        if isDateAhead() { return try timestamp(from: start) }
        while let c = peek(), c.isASCII, c.isNumber { advance() }
        if peek() == ".", let d = peek(1), d.isASCII, d.isNumber {
            advance()
            while let c = peek(), c.isASCII, c.isNumber { advance() }
        }
        let digits = text(start.offset..<index)
        guard let c = peek(), c.isLetter || c == "_" else {
            return Token(kind: .number(digits), position: start, text: digits)
        }
        let unitStart = index
        while let c = peek(), c.isLetter || c.isNumber || c == "_" { advance() }
        let unit = text(unitStart..<index)
        let text = digits + unit
        guard let scale = Self.units[unit] else {
            throw QueryError(
                position: start, message: "unknown duration unit '\(unit)' in '\(text)'",
                suggestion: "durations are written like 250ms, 90s, 5m, 12h or 7d")
        }
        guard let micros = scaledDecimal(digits, scale: scale) else {
            throw QueryError(position: start, message: "duration '\(text)' is too large or too precise")
        }
        return Token(kind: .duration(micros), position: start, text: text)
    }

    private func isDateAhead() -> Bool {
        let pattern: [Unicode.Scalar] = Array("dddd-dd-dd".unicodeScalars)
        return pattern.enumerated().allSatisfy { offset, kind in
            guard let c = peek(offset) else { return false }
            return kind == "d" ? (c.isASCII && c.isNumber) : c == kind
        }
    }

    /// `YYYY-MM-DD`, optionally `THH:MM[:SS[.fff]]` and then `Z` or `±HH:MM`.
    private mutating func timestamp(from start: SourcePosition) throws(QueryError) -> Token {
        for _ in 0..<10 { advance() }
        if peek() == "T" || peek() == "t", let d = peek(1), d.isASCII, d.isNumber {
            advance()
            while let c = peek(), c.isASCII, c.isNumber || c == ":" || c == "." { advance() }
            if peek() == "Z" || peek() == "z" {
                advance()
            } else if peek() == "+" || peek() == "-", let d = peek(1), d.isASCII, d.isNumber {
                advance()
                while let c = peek(), c.isASCII, c.isNumber || c == ":" { advance() }
            }
        }
        let text = text(start.offset..<index)
        guard let micros = UTCTime.parse(text) else {
            throw QueryError(
                position: start, message: "'\(text)' is not a valid time",
                suggestion: "write a UTC date like 2026-11-01 or a time like 2026-11-01T10:00:00Z")
        }
        return Token(kind: .timestamp(micros), position: start, text: text)
    }

    private mutating func string(quote: Unicode.Scalar, from start: SourcePosition) throws(QueryError) -> Token {
        advance()
        var value = ""
        while let c = peek() {
            advance()
            if c == quote {
                return Token(kind: .string(value), position: start, text: text(start.offset..<index))
            }
            guard c == "\\" else {
                value.unicodeScalars.append(c)
                continue
            }
            guard let escaped = peek() else { break }
            let escapePosition = position
            advance()
            switch escaped {
            case "n": value.append("\n")
            case "t": value.append("\t")
            case "\\", "\"", "'": value.unicodeScalars.append(escaped)
            default:
                throw QueryError(
                    position: escapePosition, message: "unknown escape '\\\(escaped)' in a string",
                    suggestion: "use \\\\, \\\", \\', \\n or \\t")
            }
        }
        throw QueryError(
            position: start, message: "this string is not closed", suggestion: "end it with \(quote)")
    }
}

extension Unicode.Scalar {
    fileprivate var isLetter: Bool { properties.isAlphabetic }
    fileprivate var isNumber: Bool { properties.numericType != nil }
}

/// The decimal `text` (digits with at most one `.`, optionally a leading `-`) times `scale`,
/// exactly; nil when it overflows or has more decimals than the scale can hold.
func scaledDecimal(_ text: String, scale: Int64) -> Int64? {
    var text = Substring(text)
    let negative = text.first == "-"
    if negative { text = text.dropFirst() }
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard (1...2).contains(parts.count), !parts[0].isEmpty, let whole = Int64(parts[0]) else { return nil }
    var (result, overflow) = whole.multipliedReportingOverflow(by: scale)
    guard !overflow else { return nil }
    if parts.count == 2 {
        var unit = scale
        for digit in parts[1] {
            guard let value = digit.wholeNumberValue else { return nil }
            guard unit % 10 == 0 else {
                if value == 0 { continue }
                return nil
            }
            unit /= 10
            (result, overflow) = result.addingReportingOverflow(Int64(value) * unit)
            guard !overflow else { return nil }
        }
    }
    return negative ? -result : result
}
