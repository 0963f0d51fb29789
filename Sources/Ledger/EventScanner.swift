// A targeted, validating scan of one event's JSON data for the fields the projections read,
// in one pass over its UTF-8 bytes and without building a tree. It accepts exactly what
// `JSONValue.parse` accepts and, like `JSONValue`'s subscript, takes the first member of a name.

/// A span of the scanned bytes: a string value's content (between the quotes) or a number's text.
/// Kept in 32-bit offsets (event data is at most SQLite's 1 GB), since the prescan of a large
/// append holds many of them.
struct TextSlice {
    private var from: UInt32
    private var to: UInt32
    /// Whether it contains a backslash escape, so its bytes are not its text.
    var escaped: Bool

    init(start: Int, end: Int, escaped: Bool) {
        from = UInt32(start)
        to = UInt32(end)
        self.escaped = escaped
    }

    var start: Int { Int(from) }
    var end: Int { Int(to) }
    var range: Range<Int> { start..<end }
}

/// The projection fields of one event's data; every slice points into the scanned bytes.
struct ScannedFields {
    var event: TextSlice?
    var state: TextSlice?
    var message: TextSlice?
    var ts: TextSlice?
    var machineID: TextSlice?
    var task: TextSlice?
    var cuaVersion: TextSlice?
    /// The text of the `step` number.
    var step: TextSlice?
    /// `action.type`.
    var actionType: TextSlice?
    /// The text of the `result.steps` number.
    var resultSteps: TextSlice?
    /// `result.error` when it is a string.
    var errorText: TextSlice?
    /// `result.error.code` when `error` is an object.
    var errorCode: TextSlice?
}

/// The scanner. `scan` returns nil when the data is not JSON, empty fields when it is JSON but not an object.
struct EventScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var i = 0
    private var depth = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> ScannedFields? {
        var scanner = EventScanner(bytes)
        var fields = ScannedFields()
        scanner.skipSpace()
        guard scanner.peek(openBrace) ? scanner.topLevel(&fields) : scanner.value() else { return nil }
        scanner.skipSpace()
        return scanner.i == bytes.count ? fields : nil
    }

    /// The text of `slice`: its bytes, or for an escaped string its decoded value.
    static func text(_ slice: TextSlice, in bytes: UnsafeBufferPointer<UInt8>) -> String {
        if !slice.escaped {
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[slice.start..<slice.end]), as: UTF8.self)
        }
        let quoted = String(
            decoding: UnsafeBufferPointer(rebasing: bytes[(slice.start - 1)...slice.end]), as: UTF8.self)
        return (try? JSONValue.parse(quoted))?.stringValue ?? ""
    }

    /// Whether `slice`'s text is exactly `expected` (ASCII).
    static func text(_ slice: TextSlice, in bytes: UnsafeBufferPointer<UInt8>, is expected: StaticString) -> Bool {
        if slice.escaped { return text(slice, in: bytes) == expected.description }
        return equal(bytes, slice.start..<slice.end, expected)
    }

    /// The kinds of event the projections treat specially.
    enum Kind { case step, result, other }

    /// The event's kind from its data's `event` (`type`), else from its SSE type.
    static func kind(_ type: TextSlice?, in bytes: UnsafeBufferPointer<UInt8>, sseType: String) -> Kind {
        guard let type else { return sseType == "step" ? .step : sseType == "result" ? .result : .other }
        if text(type, in: bytes, is: "step") { return .step }
        return text(type, in: bytes, is: "result") ? .result : .other
    }

    /// Whether `slice`'s text equals `string` (as Swift compares strings; bytes first, which settles
    /// the common case without making a string).
    static func text(_ slice: TextSlice, in bytes: UnsafeBufferPointer<UInt8>, equals string: String) -> Bool {
        var string = string
        let sameBytes =
            !slice.escaped
            && string.withUTF8 { expected in
                expected.count == slice.end - slice.start
                    && expected.indices.allSatisfy { expected[$0] == bytes[slice.start + $0] }
            }
        return sameBytes || text(slice, in: bytes) == string
    }

    /// The time a `ts` value gives, with `UTCTime.parse`'s rules. Coasty's own form,
    /// `2026-11-02T09:14:05.685Z` (or without the fraction), is read here directly; anything
    /// else goes to `UTCTime.parse`.
    static func time(_ slice: TextSlice, in bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        let count = slice.end - slice.start
        guard !slice.escaped, count == 24 || count == 20 else {
            return UTCTime.parse(text(slice, in: bytes))
        }
        let b = UnsafeBufferPointer(rebasing: bytes[slice.start..<slice.end])
        func digits(_ from: Int, _ width: Int) -> Int64? {
            var value: Int64 = 0
            for k in from..<(from + width) {
                let digit = b[k] &- zero
                guard digit < 10 else { return nil }
                value = value * 10 + Int64(digit)
            }
            return value
        }
        guard b[4] == minus, b[7] == minus, b[10] == UInt8(ascii: "T"), b[13] == colon, b[16] == colon,
            b[count - 1] == UInt8(ascii: "Z"), count == 20 || b[19] == UInt8(ascii: "."),
            let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2), let hour = digits(11, 2),
            let minute = digits(14, 2), let second = digits(17, 2), let fraction = count == 24 ? digits(20, 3) : 0,
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return UTCTime.parse(bytes: b) }
        return UTCTime.days(fromYear: year, month: month, day: day) * 86_400_000_000
            + (hour * 3600 + minute * 60 + second) * 1_000_000 + fraction * 1_000
    }

    /// The value of a number, with `JSONValue.intValue`'s rules.
    static func integer(_ slice: TextSlice, in bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        let range = slice.range
        if range.count <= 18, !range.isEmpty, range.allSatisfy({ bytes[$0] &- zero < 10 }) {
            return range.reduce(0) { $0 * 10 + Int64(bytes[$1] &- zero) }
        }
        return JSONValue.number(String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)).intValue
    }

    // MARK: - The fields

    /// Top-level member names that matter, as bits of a `seen` mask.
    private enum Top: UInt16 {
        case event = 1
        case state = 2
        case message = 4
        case ts = 8
        case machineID = 16
        case task = 32
        case cuaVersion = 64
        case step = 128
        case action = 256
        case result = 512
    }

    /// The top-level object, keeping the first member of each name that matters.
    private mutating func topLevel(_ fields: inout ScannedFields) -> Bool {
        guard enterObject() else { return false }
        if peek(closeBrace) { return leaveObject() }
        var seen: UInt16 = 0
        while true {
            guard let key = memberName() else { return false }
            let read: Bool
            if let name = topName(key), seen & name.rawValue == 0 {
                seen |= name.rawValue
                switch name {
                case .event: read = string(into: &fields.event)
                case .state: read = string(into: &fields.state)
                case .message: read = string(into: &fields.message)
                case .ts: read = string(into: &fields.ts)
                case .machineID: read = string(into: &fields.machineID)
                case .task: read = string(into: &fields.task)
                case .cuaVersion: read = string(into: &fields.cuaVersion)
                case .step: read = number(into: &fields.step)
                case .action: read = peek(openBrace) ? action(&fields) : value()
                case .result: read = peek(openBrace) ? result(&fields) : value()
                }
            } else {
                read = value()
            }
            guard read, let more = nextMember() else { return false }
            if !more { return true }
        }
    }

    /// `action`: its first `type`.
    private mutating func action(_ fields: inout ScannedFields) -> Bool {
        guard enterObject() else { return false }
        if peek(closeBrace) { return leaveObject() }
        var typeSeen = false
        while true {
            guard let key = memberName() else { return false }
            let read: Bool
            if !typeSeen, named(key, Name.type, 4, "type") {
                typeSeen = true
                read = string(into: &fields.actionType)
            } else {
                read = value()
            }
            guard read, let more = nextMember() else { return false }
            if !more { return true }
        }
    }

    /// `result`: its first `steps` and `error` (and that error's first `code`).
    private mutating func result(_ fields: inout ScannedFields) -> Bool {
        guard enterObject() else { return false }
        if peek(closeBrace) { return leaveObject() }
        var stepsSeen = false
        var errorSeen = false
        while true {
            guard let key = memberName() else { return false }
            let read: Bool
            if !stepsSeen, named(key, Name.steps, 5, "steps") {
                stepsSeen = true
                read = number(into: &fields.resultSteps)
            } else if !errorSeen, named(key, Name.error, 5, "error") {
                errorSeen = true
                read = peek(openBrace) ? errorObject(&fields) : string(into: &fields.errorText)
            } else {
                read = value()
            }
            guard read, let more = nextMember() else { return false }
            if !more { return true }
        }
    }

    private mutating func errorObject(_ fields: inout ScannedFields) -> Bool {
        guard enterObject() else { return false }
        if peek(closeBrace) { return leaveObject() }
        var codeSeen = false
        while true {
            guard let key = memberName() else { return false }
            let read: Bool
            if !codeSeen, named(key, Name.code, 4, "code") {
                codeSeen = true
                read = string(into: &fields.errorCode)
            } else {
                read = value()
            }
            guard read, let more = nextMember() else { return false }
            if !more { return true }
        }
    }

    private func topName(_ key: TextSlice) -> Top? {
        if key.escaped {
            switch Self.text(key, in: bytes) {
            case "event": return .event
            case "state": return .state
            case "message": return .message
            case "ts": return .ts
            case "machine_id": return .machineID
            case "task": return .task
            case "cua_version": return .cuaVersion
            case "step": return .step
            case "action": return .action
            case "result": return .result
            default: return nil
            }
        }
        let head = word(key.start, key.end - key.start)
        switch key.end - key.start {
        case 2: return head == Name.ts ? .ts : nil
        case 4: return head == Name.step ? .step : head == Name.task ? .task : nil
        case 5: return head == Name.event ? .event : head == Name.state ? .state : nil
        case 6: return head == Name.action ? .action : head == Name.result ? .result : nil
        case 7: return head == Name.message ? .message : nil
        case 10: return head == Name.machine && word(key.start + 8, 2) == Name.id ? .machineID : nil
        case 11: return head == Name.cuaVers && word(key.start + 8, 3) == Name.ion ? .cuaVersion : nil
        default: return nil
        }
    }

    /// Whether `key` is `name` (at most 8 bytes, given packed).
    private func named(_ key: TextSlice, _ name: UInt64, _ count: Int, _ text: String) -> Bool {
        if key.escaped { return Self.text(key, in: bytes) == text }
        return key.end - key.start == count && word(key.start, count) == name
    }

    /// Up to the first 8 of `count` bytes at `start`, little-endian, zero-padded.
    @inline(__always)
    private func word(_ start: Int, _ count: Int) -> UInt64 {
        var value: UInt64 = 0
        for k in 0..<min(count, 8) { value |= UInt64(bytes[start + k]) << (8 * k) }
        return value
    }

    private static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ name: StaticString) -> Bool {
        name.withUTF8Buffer { expected in
            guard range.count == expected.count else { return false }
            for k in 0..<range.count where bytes[range.lowerBound + k] != expected[k] { return false }
            return true
        }
    }

    /// Member names (or their first 8 bytes, and the rest) as `word` reads them: the bytes
    /// little-endian, so "ts" is 0x7374 ('s' 0x73, 't' 0x74).
    private enum Name {
        static let event: UInt64 = 0x74_6e65_7665, state: UInt64 = 0x65_7461_7473
        static let message: UInt64 = 0x65_6761_7373_656d, ts: UInt64 = 0x7374
        static let task: UInt64 = 0x6b73_6174, step: UInt64 = 0x7065_7473
        static let action: UInt64 = 0x6e6f_6974_6361, result: UInt64 = 0x746c_7573_6572
        /// "machine_" and "id"; "cua_vers" and "ion".
        static let machine: UInt64 = 0x5f65_6e69_6863_616d, id: UInt64 = 0x6469
        static let cuaVers: UInt64 = 0x7372_6576_5f61_7563, ion: UInt64 = 0x6e_6f69
        static let type: UInt64 = 0x6570_7974, steps: UInt64 = 0x73_7065_7473
        static let error: UInt64 = 0x72_6f72_7265, code: UInt64 = 0x6564_6f63
    }

    /// Reads a value, keeping it in `slot` when it is a string.
    private mutating func string(into slot: inout TextSlice?) -> Bool {
        guard peek(quote) else { return value() }
        guard let slice = string() else { return false }
        slot = slice
        return true
    }

    /// Reads a value, keeping its text in `slot` when it is a number.
    private mutating func number(into slot: inout TextSlice?) -> Bool {
        guard i < bytes.count, bytes[i] == minus || bytes[i] &- zero < 10 else { return value() }
        let start = i
        guard number() else { return false }
        slot = TextSlice(start: start, end: i, escaped: false)
        return true
    }

    // MARK: - Validation, by JSONValue.parse's rules

    @inline(__always)
    private func peek(_ byte: UInt8) -> Bool { i < bytes.count && bytes[i] == byte }

    @inline(__always)
    private mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    /// Steps into the object at `i` (on its `{`), within JSONValue's nesting limit.
    @inline(__always)
    private mutating func enterObject() -> Bool {
        depth += 1
        guard depth <= 512 else { return false }
        i += 1
        skipSpace()
        return true
    }

    @inline(__always)
    private mutating func leaveObject() -> Bool {
        i += 1
        depth -= 1
        return true
    }

    /// Reads `"name" :` and the space after it.
    @inline(__always)
    private mutating func memberName() -> TextSlice? {
        skipSpace()
        guard peek(quote), let key = string() else { return nil }
        skipSpace()
        guard peek(colon) else { return nil }
        i += 1
        skipSpace()
        return key
    }

    /// After a member's value: true on `,` (another member follows), false on `}` (the object
    /// ended), nil on anything else.
    @inline(__always)
    private mutating func nextMember() -> Bool? {
        skipSpace()
        guard i < bytes.count else { return nil }
        if bytes[i] == comma {
            i += 1
            return true
        }
        guard bytes[i] == closeBrace else { return nil }
        _ = leaveObject()
        return false
    }

    /// Skips one value (after leading space), validating it.
    private mutating func value() -> Bool {
        skipSpace()
        guard i < bytes.count else { return false }
        switch bytes[i] {
        case openBrace:
            guard enterObject() else { return false }
            if peek(closeBrace) { return leaveObject() }
            while true {
                guard memberName() != nil, value(), let more = nextMember() else { return false }
                if !more { return true }
            }
        case UInt8(ascii: "["): return array()
        case quote: return string() != nil
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        case minus, zero...UInt8(ascii: "9"): return number()
        default: return false
        }
    }

    private mutating func array() -> Bool {
        depth += 1
        guard depth <= 512 else { return false }
        i += 1
        skipSpace()
        if peek(UInt8(ascii: "]")) {
            i += 1
            depth -= 1
            return true
        }
        while true {
            guard value() else { return false }
            skipSpace()
            guard i < bytes.count else { return false }
            if bytes[i] == comma {
                i += 1
                continue
            }
            guard bytes[i] == UInt8(ascii: "]") else { return false }
            i += 1
            depth -= 1
            return true
        }
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        guard i + word.utf8CodeUnitCount <= bytes.count, Self.equal(bytes, i..<(i + word.utf8CodeUnitCount), word)
        else {
            return false
        }
        i += word.utf8CodeUnitCount
        return true
    }

    @inline(__always)
    private mutating func number() -> Bool {
        if bytes[i] == minus { i += 1 }
        guard i < bytes.count, bytes[i] &- zero < 10 else { return false }
        if bytes[i] == zero { i += 1 } else { digits() }
        if peek(UInt8(ascii: ".")) {
            i += 1
            guard i < bytes.count, bytes[i] &- zero < 10 else { return false }
            digits()
        }
        if peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E")) {
            i += 1
            if peek(UInt8(ascii: "+")) || peek(minus) { i += 1 }
            guard i < bytes.count, bytes[i] &- zero < 10 else { return false }
            digits()
        }
        return true
    }

    @inline(__always)
    private mutating func digits() {
        while i < bytes.count, bytes[i] &- zero < 10 { i += 1 }
    }

    /// Reads a string at `i` (on its opening quote); nil when it is not valid. Plain runs of
    /// text are skipped eight bytes at a time.
    @inline(__always)
    private mutating func string() -> TextSlice? {
        i += 1
        let start = i
        var escaped = false
        while i < bytes.count {
            i = Self.plainRun(bytes, from: i)
            guard i < bytes.count else { return nil }
            let byte = bytes[i]
            if byte == quote {
                i += 1
                return TextSlice(start: start, end: i - 1, escaped: escaped)
            }
            guard byte == backslash, i + 1 < bytes.count else { return nil }
            escaped = true
            let escape = bytes[i + 1]
            i += 2
            switch escape {
            case quote, backslash, UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"),
                UInt8(ascii: "r"), UInt8(ascii: "t"):
                continue
            case UInt8(ascii: "u"):
                guard i + 4 <= bytes.count else { return nil }
                for _ in 0..<4 {
                    guard bytes[i].isHexDigit else { return nil }
                    i += 1
                }
            default: return nil
            }
        }
        return nil
    }

    /// The index of the first quote, backslash or control byte at or after `index` (or the end).
    @inline(__always)
    private static func plainRun(_ bytes: UnsafeBufferPointer<UInt8>, from index: Int) -> Int {
        var index = index
        if let base = UnsafeRawPointer(bytes.baseAddress) {
            while index + 8 <= bytes.count {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let quotes = word ^ 0x2222_2222_2222_2222
                let backslashes = word ^ 0x5C5C_5C5C_5C5C_5C5C
                let special =
                    ((quotes &- 0x0101_0101_0101_0101) & ~quotes)
                    | ((backslashes &- 0x0101_0101_0101_0101) & ~backslashes)
                    | ((word &- 0x2020_2020_2020_2020) & ~word)
                if special & 0x8080_8080_8080_8080 != 0 { break }
                index += 8
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == quote || byte == backslash || byte < 0x20 { return index }
            index += 1
        }
        return index
    }
}

private let quote = UInt8(ascii: "\"")
private let backslash = UInt8(ascii: "\\")
private let openBrace = UInt8(ascii: "{")
private let closeBrace = UInt8(ascii: "}")
private let colon = UInt8(ascii: ":")
private let comma = UInt8(ascii: ",")
private let minus = UInt8(ascii: "-")
private let zero = UInt8(ascii: "0")

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (0x30...0x39).contains(self) || (0x41...0x46).contains(self) || (0x61...0x66).contains(self)
    }
}
