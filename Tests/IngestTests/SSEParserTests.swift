// Every WHATWG event-stream rule Ledger relies on, one test each, plus two properties over random
// streams: splitting the input anywhere never changes what is dispatched, and the parser agrees
// with a plain String-based reading of the WHATWG algorithm.

import Foundation
import Ingest
import LedgerTestSupport
import Testing

/// What a parser produced for a whole input.
struct Parsed: Equatable {
    var messages: [SSEMessage]
    /// What `finish()` returned: the line of a block cut off by the end of the stream.
    var pending: Int?
    var lastEventID: String
    var reconnectionTime: Int?
}

/// Parses `bytes` fed in chunks of the given sizes (the rest in one last chunk), then finishes.
func parse(bytes: [UInt8], chunks: [Int] = [], lastEventID: String = "") -> Parsed {
    var parser = SSEParser(lastEventID: lastEventID)
    var messages: [SSEMessage] = []
    var offset = 0
    for size in chunks + [bytes.count] where offset < bytes.count {
        let end = min(bytes.count, offset + size)
        parser.parse(bytes[offset..<end]) { messages.append($0) }
        offset = end
    }
    let pending = parser.finish()
    return Parsed(
        messages: messages, pending: pending, lastEventID: parser.lastEventID,
        reconnectionTime: parser.reconnectionTime)
}

/// Parses `text` as UTF-8 in one chunk.
func parse(_ text: String, lastEventID: String = "") -> Parsed {
    parse(bytes: Array(text.utf8), lastEventID: lastEventID)
}

@Suite struct SSEParserTests {
    // MARK: - Lines

    @Test(arguments: ["\n", "\r", "\r\n"])
    func everyKindOfLineEndEndsLines(end: String) {
        let messages = parse("data: a\(end)data: b\(end)\(end)data: c\(end)\(end)").messages
        #expect(messages.map(\.data) == ["a\nb", "c"])
        #expect(messages.map(\.line) == [1, 4])
    }

    @Test func mixedLineEndsInOneStream() {
        let messages = parse("data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r").messages
        #expect(messages.map(\.data) == ["a\nb\nc", "d"])
    }

    @Test func crAtTheEndOfAChunkAndLfAtTheStartOfTheNextAreOneLineEnd() {
        let bytes = Array("data: a\r\ndata: b\r\n\r\n".utf8)
        let messages = parse(bytes: bytes, chunks: [8]).messages  // "data: a\r" | "\ndata: b..."
        #expect(messages.map(\.data) == ["a\nb"])
        #expect(messages.map(\.line) == [1])
    }

    @Test func crThenCrIsTwoLineEnds() {
        let messages = parse(bytes: Array("data: a\r\rdata: b\r\r".utf8), chunks: [8]).messages
        #expect(messages.map(\.data) == ["a", "b"])
    }

    // MARK: - Byte order mark

    @Test func leadingBOMIsDropped() {
        let messages = parse("\u{FEFF}data: a\n\n").messages
        #expect(messages.map(\.data) == ["a"])
        #expect(messages.map(\.line) == [1])
    }

    @Test func bomSplitAcrossChunksIsDropped() {
        let bytes = [0xEF, 0xBB, 0xBF] + Array("data: a\n\n".utf8)
        #expect(parse(bytes: bytes, chunks: [1, 1, 1]).messages.map(\.data) == ["a"])
        #expect(parse(bytes: bytes, chunks: [0, 2, 0, 2]).messages.map(\.data) == ["a"])
    }

    @Test func onlyTheFirstOfTwoLeadingBOMsIsDropped() {
        // The second BOM becomes part of the first field name, which is then unknown.
        #expect(parse("\u{FEFF}\u{FEFF}data: a\n\ndata: b\n\n").messages.map(\.data) == ["b"])
    }

    @Test func bomLaterInTheStreamIsKeptAsData() {
        #expect(parse("data: a\n\ndata: \u{FEFF}b\n\n").messages.map(\.data) == ["a", "\u{FEFF}b"])
    }

    @Test func bytesThatOnlyBeginLikeABOMAreAnOrdinaryLine() {
        // Line 1 is an unknown field named by the bytes EF BB; the blank line 2 ends its block.
        let bytes: [UInt8] = [0xEF, 0xBB, 0x0A, 0x0A] + Array("data: a\n\n".utf8)
        for chunks in [[], [1], [1, 1], [2, 1]] {
            let messages = parse(bytes: bytes, chunks: chunks).messages
            #expect(messages.map(\.data) == ["a"], "chunks \(chunks)")
            #expect(messages.map(\.line) == [3], "chunks \(chunks)")
        }
        #expect(parse(bytes: [0xEF, 0xBB]).pending == 1)
    }

    // MARK: - Fields

    @Test func commentLinesAreIgnored() {
        let messages = parse(": hello\ndata: a\n: keep-alive\ndata: b\n\n:\n\n").messages
        #expect(messages.map(\.data) == ["a\nb"])
    }

    @Test func oneOptionalSpaceAfterTheColonIsRemoved() {
        #expect(parse("data:a\n\n").messages.map(\.data) == ["a"])
        #expect(parse("data: a\n\n").messages.map(\.data) == ["a"])
        #expect(parse("data:  a\n\n").messages.map(\.data) == [" a"])
        #expect(parse("data:\ta\n\n").messages.map(\.data) == ["\ta"])
    }

    @Test func onlyTheFirstColonSplitsFieldFromValue() {
        #expect(parse("data:a: b\n\n").messages.map(\.data) == ["a: b"])
    }

    @Test func lineWithoutAColonIsAFieldWithAnEmptyValue() {
        #expect(parse("data\n\n").messages.map(\.data) == [""])
        #expect(parse("data\ndata\n\n").messages.map(\.data) == ["\n"])
        #expect(parse("event\ndata: x\n\n").messages.map(\.type) == ["message"])
    }

    @Test func emptyDataValueStillDispatches() {
        #expect(parse("data:\n\n").messages.map(\.data) == [""])
    }

    @Test func dataLinesJoinWithLF() {
        #expect(parse("data: {\"a\":\ndata: 1}\n\n").messages.map(\.data) == ["{\"a\":\n1}"])
    }

    @Test func eventFieldSetsTheType() {
        #expect(parse("event: step\ndata: a\n\n").messages.map(\.type) == ["step"])
    }

    @Test func typeIsMessageWhenTheEventFieldIsAbsentOrEmpty() {
        #expect(parse("data: a\n\nevent:\ndata: b\n\n").messages.map(\.type) == ["message", "message"])
    }

    @Test func lastEventFieldOfABlockWins() {
        #expect(parse("event: a\nevent: b\ndata: x\n\n").messages.map(\.type) == ["b"])
    }

    @Test func idSetsTheLastEventIDAndItPersistsToLaterMessages() {
        let result = parse("id: 7\ndata: a\n\ndata: b\n\nid: x-9\ndata: c\n\n")
        #expect(result.messages.map(\.lastEventID) == ["7", "7", "x-9"])
        #expect(result.lastEventID == "x-9")
    }

    @Test func idContainingNULIsIgnored() {
        let messages = parse("id: 7\ndata: a\n\nid: 8\u{0}9\ndata: b\n\n").messages
        #expect(messages.map(\.lastEventID) == ["7", "7"])
    }

    @Test func emptyIDResetsTheLastEventID() {
        let messages = parse("id: 7\ndata: a\n\nid\ndata: b\n\nid: 5\nid:\ndata: c\n\n").messages
        #expect(messages.map(\.lastEventID) == ["7", "", ""])
    }

    @Test func resumedParserStartsFromTheGivenLastEventID() {
        let messages = parse("data: a\n\n", lastEventID: "12").messages
        #expect(messages.map(\.lastEventID) == ["12"])
        #expect(messages.map(\.hasOwnID) == [false])
    }

    @Test func retrySetsTheReconnectionTime() {
        #expect(parse("retry: 2500\n\n").reconnectionTime == 2500)
        #expect(parse("retry: 0\n").reconnectionTime == 0)
    }

    @Test(arguments: ["retry: 10s", "retry: -1", "retry: 1.5", "retry:", "retry: +3", "retry:  7", "retry: ٣"])
    func retryIsIgnoredUnlessAllASCIIDigits(line: String) {
        #expect(parse("retry: 2500\n\(line)\n\n").reconnectionTime == 2500)
    }

    @Test func retryTooLargeForAnIntIsIgnored() {
        #expect(parse("retry: 2500\nretry: 99999999999999999999999\n\n").reconnectionTime == 2500)
    }

    @Test func unknownFieldsAreIgnored() {
        let messages = parse("foo: bar\ndata: a\nDATA: b\nEvent: x\nId: 3\n\n").messages
        #expect(messages == [SSEMessage(type: "message", data: "a", lastEventID: "", hasOwnID: false, line: 1)])
    }

    // MARK: - Dispatch

    @Test func blankLineDispatches() {
        var parser = SSEParser()
        var messages: [SSEMessage] = []
        parser.parse(Array("data: a\n".utf8)) { messages.append($0) }
        #expect(messages.isEmpty)
        parser.parse(Array("\n".utf8)) { messages.append($0) }
        #expect(messages.map(\.data) == ["a"])
    }

    @Test func blockWithNoDataIsNotDispatchedAndResetsTheType() {
        let messages = parse("event: step\n\ndata: a\n\n\n\n").messages
        #expect(messages.map(\.type) == ["message"])
    }

    @Test func dispatchResetsDataAndTypeButNotTheLastEventID() {
        let messages = parse("id: 1\nevent: step\ndata: a\n\ndata: b\n\n").messages
        #expect(messages.map(\.data) == ["a", "b"])
        #expect(messages.map(\.type) == ["step", "message"])
        #expect(messages.map(\.lastEventID) == ["1", "1"])
    }

    @Test func nonContiguousSequencesParseLikeContiguousBytes() {
        let bytes = Array("id: 1\r\nevent: step\r\ndata: a\r\n\r\n".utf8)
        var parser = SSEParser()
        var messages: [SSEMessage] = []
        parser.parse(bytes.lazy.map { $0 }) { messages.append($0) }
        #expect(messages == parse(bytes: bytes).messages)
    }

    @Test func invalidUTF8BecomesReplacementCharacters() {
        let bytes = Array("event: st".utf8) + [0xFF] + Array("\ndata: a".utf8) + [0xFF, 0xC3] + Array("b\n\n".utf8)
        let messages = parse(bytes: bytes).messages
        #expect(messages.map(\.data) == ["a\u{FFFD}\u{FFFD}b"])
        #expect(messages.map(\.type) == ["st\u{FFFD}"])
    }

    @Test func utf8CharacterSplitAcrossChunksIsKeptWhole() {
        let bytes = Array("data: café ✓\n\n".utf8)
        for cut in 1..<bytes.count {
            #expect(parse(bytes: bytes, chunks: [cut]).messages.map(\.data) == ["café ✓"], "cut at \(cut)")
        }
    }

    @Test func fieldNameSplitAcrossChunksIsRecognised() {
        let bytes = Array("event: step\nid: 3\ndata: x\n\n".utf8)
        for cut in 1..<bytes.count {
            let messages = parse(bytes: bytes, chunks: [cut]).messages
            #expect(messages == [SSEMessage(type: "step", data: "x", lastEventID: "3", hasOwnID: true, line: 1)])
        }
    }

    @Test func messageLineIsItsFirstFieldLine() {
        let messages = parse(": c\n\nid: 1\ndata: a\n\n\n: x\nevent: e\ndata: b\n\n").messages
        #expect(messages.map(\.line) == [3, 8])
    }

    // MARK: - Own ids (the keying flag)

    @Test func nonEmptyIDGivesTheMessageItsOwnID() {
        #expect(parse("id: 7\ndata: a\n\ndata: b\n\n").messages.map(\.hasOwnID) == [true, false])
    }

    @Test func emptyIDTakesTheOwnIDAway() {
        #expect(parse("id: 5\nid:\ndata: a\n\n").messages.map(\.hasOwnID) == [false])
    }

    @Test func ignoredNULIDLeavesTheOwnIDFlagAsItWas() {
        let messages = parse("id: 5\nid: 6\u{0}\ndata: a\n\nid: 7\u{0}\ndata: b\n\n").messages
        #expect(messages.map(\.hasOwnID) == [true, false])
        #expect(messages.map(\.lastEventID) == ["5", "5"])
    }

    @Test func idOnlyBlockGivesTheNextMessageItsOwnID() {
        let messages = parse("id: 4\n\ndata: a\n\ndata: b\n\n").messages
        #expect(messages.map(\.lastEventID) == ["4", "4"])
        #expect(messages.map(\.hasOwnID) == [true, false])
    }

    // MARK: - End of stream

    @Test func finalMessageWithoutABlankLineIsNotDispatched() {
        let result = parse("data: a\n\nid: 2\ndata: b\n")
        #expect(result.messages.map(\.data) == ["a"])
        #expect(result.pending == 3)
    }

    @Test func streamCutInsideAFieldLineReportsThatLine() {
        let result = parse("data: a\n\ndata: {\"trunc")
        #expect(result.messages.count == 1)
        #expect(result.pending == 3)
        #expect(parse("x").pending == 1)
    }

    @Test func blockWithFieldsButNoDataCutByTheEndIsReported() {
        #expect(parse("data: a\n\n: note\nevent: step\n").pending == 4)
    }

    @Test func streamEndingBetweenBlocksHasNothingPending() {
        #expect(parse("data: a\n\n: bye").pending == nil)
        #expect(parse("id: 1\n\n").pending == nil)
        #expect(parse("").pending == nil)
        #expect(parse("\n").pending == nil)
    }

    @Test func finishReadiesTheParserForTheNextConnection() {
        var parser = SSEParser()
        var messages: [SSEMessage] = []
        parser.parse(Array("retry: 900\nid: 3\ndata: a\n\ndata: cut\r".utf8)) { messages.append($0) }
        #expect(parser.finish() == 5)
        parser.parse(Array("\u{FEFF}\ndata: b\n\n".utf8)) { messages.append($0) }
        #expect(messages.map(\.data) == ["a", "b"])
        #expect(messages.map(\.lastEventID) == ["3", "3"])
        #expect(messages.map(\.line) == [1, 2])
        #expect(parser.reconnectionTime == 900)
    }

    // MARK: - Properties over random streams

    @Test func anyChunkingGivesTheSameResultAsOneChunk() {
        let seed = testSeed()
        var random = SplitMix(seed: seed)
        for round in 0..<200 {
            let stream = randomStream(&random).bytes
            let whole = parse(bytes: stream)
            for _ in 0..<10 {
                let chunks = randomChunking(of: stream.count, &random)
                #expect(parse(bytes: stream, chunks: chunks) == whole, "seed \(seed), round \(round), chunks \(chunks)")
            }
        }
    }

    @Test func everySingleSplitPointGivesTheSameResultAsOneChunk() {
        let seed = testSeed()
        var random = SplitMix(seed: seed)
        let stream = randomStream(&random).bytes
        let whole = parse(bytes: stream)
        for cut in 0...stream.count {
            #expect(parse(bytes: stream, chunks: [cut]) == whole, "seed \(seed), cut \(cut)")
        }
    }

    @Test func aMessageWithBytesThatAreNotUTF8IsMarkedWithItsDataAsReceived() {
        let bytes: [UInt8] = Array("id: 7\ndata: ok\ndata: bad ".utf8) + [0xC3, 0x28] + Array("\n\ndata: fine\n\n".utf8)
        let messages = parse(bytes: bytes).messages
        #expect(messages.count == 2)
        #expect(messages[0].invalidUTF8 == InvalidUTF8(field: "data", data: Array("ok\nbad ".utf8) + [0xC3, 0x28]))
        #expect(messages[0].data == "ok\nbad \u{FFFD}(")
        #expect(messages[1].invalidUTF8 == nil, "the mark belongs to one message")
        let badType = parse(bytes: Array("event: x".utf8) + [0xFF] + Array("\ndata: {}\n\n".utf8)).messages
        #expect(badType.first?.invalidUTF8 == InvalidUTF8(field: "event", data: Array("{}".utf8)))
    }

    @Test func parserAgreesWithAPlainReadingOfTheWHATWGAlgorithm() {
        let seed = testSeed()
        var random = SplitMix(seed: seed)
        for round in 0..<300 {
            let stream = randomStream(&random).bytes
            #expect(parse(bytes: stream) == referenceParse(stream), "seed \(seed), round \(round)")
        }
    }
}

// MARK: - Random streams

/// The seed for a property test: `LEDGER_TEST_SEED` to replay a failure, else a fresh one. Every
/// failure message names it.
func testSeed() -> UInt64 {
    ProcessInfo.processInfo.environment["LEDGER_TEST_SEED"].flatMap { UInt64($0) } ?? .random(in: 0...UInt64.max)
}

/// Chunk sizes summing to at least `count`, mostly tiny, sometimes empty or large.
func randomChunking(of count: Int, _ random: inout SplitMix) -> [Int] {
    var chunks: [Int] = []
    var total = 0
    while total < count {
        let size = random.next() % 8 == 0 ? Int(random.next() % 64) : Int(random.next() % 5)
        chunks.append(size)
        total += size
    }
    return chunks
}

/// A stream of random blocks, each a list of lines, in random framings, with the tricky parts
/// over-represented: whole and partial BOMs, CR/LF mixes, comments, NUL and empty ids, id-only blocks, bad UTF-8,
/// unknown and colon-less fields, and sometimes an unterminated final block.
func randomStream(_ random: inout SplitMix) -> (bytes: [UInt8], blocks: [[UInt8]]) {
    func pick<T>(_ options: [T]) -> T { options[Int(random.next() % UInt64(options.count))] }
    let values: [[UInt8]] = [
        [], Array("x".utf8), Array(" spaced".utf8), Array("{\"event\":\"step\",\"step\":3}".utf8),
        Array("naïve ✓ 🚀".utf8), [0xFF, 0x61], [0xE2, 0x82], [0xC3], Array(": colon".utf8), [0xEF, 0xBB, 0xBF],
    ]
    var ids = 0
    func line() -> [UInt8] {
        switch random.next() % 16 {
        case 0...5: return Array("data".utf8) + pick([Array(":".utf8), Array(": ".utf8), []]) + pick(values)
        case 6: return Array("event: ".utf8) + pick([Array("step".utf8), Array("state".utf8), []])
        case 7, 8:
            ids += 1
            return Array("id: \(ids)".utf8)
        case 9: return Array("id:".utf8) + pick([[], [0x20], Array(" 9\u{0}".utf8)])
        case 10: return Array("retry: ".utf8) + pick([Array("1500".utf8), Array("15s".utf8), []])
        case 11: return Array(": comment".utf8) + pick(values)
        case 12: return pick([Array("foo: bar".utf8), Array("Data: y".utf8), Array("data".utf8)])
        default: return Array("data: ".utf8) + pick(values) + pick(values)
        }
    }
    // Sometimes a BOM, sometimes only its first bytes, which are then text of the first line.
    var bytes: [UInt8] = pick([[], [], [], [0xEF, 0xBB, 0xBF], [0xEF], [0xEF, 0xBB]])
    var blocks: [[UInt8]] = []
    for _ in 0..<Int(random.next() % 12) {
        var block: [UInt8] = []
        for _ in 0..<Int(random.next() % 4) {
            block += line() + pick([[0x0A], [0x0D], [0x0D, 0x0A]])
        }
        block += pick([[0x0A], [0x0D], [0x0D, 0x0A]])
        blocks.append(block)
        bytes += block
    }
    if random.next() % 3 == 0 { bytes += line() + pick([[], [0x0A], [0x0D]]) }
    return (bytes, blocks)
}

// MARK: - Reference

/// The WHATWG algorithm read literally, slow and obvious: BOM removal, lines split at CRLF, CR or
/// LF, then each line processed. Field values are kept as bytes and decoded when used, so a
/// message with a value that is not valid UTF-8 is marked (`invalidUTF8`, with its data bytes).
func referenceParse(_ bytes: [UInt8]) -> Parsed {
    let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
    var lines: [[UInt8]] = []
    var current: [UInt8] = []
    var previousWasCR = false
    for byte in body {
        defer { previousWasCR = byte == 0x0D }
        if byte == 0x0A, previousWasCR { continue }
        if byte == 0x0A || byte == 0x0D {
            lines.append(current)
            current = []
        } else {
            current.append(byte)
        }
    }
    func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
    func valid(_ bytes: [UInt8]) -> Bool { String(validating: bytes, as: UTF8.self) != nil }
    var result = Parsed(messages: [], pending: nil, lastEventID: "", reconnectionTime: nil)
    var data: [UInt8] = []
    var hasData = false
    var type: [UInt8] = []
    var ownID = false
    var invalidField: String?
    var blockLine = 0
    let colon = UInt8(ascii: ":")
    for (index, line) in lines.enumerated() {
        if line.isEmpty {
            if hasData {
                data.removeLast()
                result.messages.append(
                    SSEMessage(
                        type: type.isEmpty ? "message" : text(type), data: text(data),
                        lastEventID: result.lastEventID, hasOwnID: ownID, line: blockLine,
                        invalidUTF8: invalidField.map { InvalidUTF8(field: $0, data: data) }))
                ownID = false
            }
            data = []
            hasData = false
            type = []
            invalidField = nil
            blockLine = 0
            continue
        }
        if line.first == colon { continue }
        if blockLine == 0 { blockLine = index + 1 }
        var field = line
        var value: [UInt8] = []
        if let at = line.firstIndex(of: colon) {
            field = Array(line[..<at])
            value = Array(line[(at + 1)...])
            if value.first == UInt8(ascii: " ") { value.removeFirst() }
        }
        switch text(field) {
        case "data":
            if !valid(value) { invalidField = invalidField ?? "data" }
            data += value + [0x0A]
            hasData = true
        case "event":
            if !valid(value) { invalidField = invalidField ?? "event" }
            type = value
        case "id" where !value.contains(0):
            if !valid(value) { invalidField = invalidField ?? "id" }
            result.lastEventID = text(value)
            ownID = !value.isEmpty
        case "retry" where !value.isEmpty && value.allSatisfy({ (0x30...0x39).contains($0) }):
            result.reconnectionTime = Int(text(value)) ?? result.reconnectionTime
        default:
            break
        }
    }
    let cutLine = !current.isEmpty && current.first != colon
    result.pending = blockLine > 0 ? blockLine : cutLine ? lines.count + 1 : nil
    return result
}
