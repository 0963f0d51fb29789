// The id-less keying rule of design.md (guarantee 2): own ids are keys, id-less messages are
// `<last id>#<n>`, and every replay or resume keys the same message the same way, in any chunking.

import Ingest
import LedgerTestSupport
import Testing

/// The keys of the messages of `text`, parsed in chunks of the given sizes.
private func keys(_ text: String, lastEventID: String = "", chunks: [Int] = []) -> [String] {
    keys(bytes: Array(text.utf8), lastEventID: lastEventID, chunks: chunks)
}

private func keys(bytes: [UInt8], lastEventID: String = "", chunks: [Int] = []) -> [String] {
    var parser = SSEParser(lastEventID: lastEventID)
    var keyer = EventKeyer()
    var keys: [String] = []
    var offset = 0
    for size in chunks + [bytes.count] where offset < bytes.count {
        let end = min(bytes.count, offset + size)
        parser.parse(bytes[offset..<end]) { keys.append(keyer.key(for: $0)) }
        offset = end
    }
    return keys
}

@Suite struct EventKeyerTests {
    @Test func ownIDIsTheKey() {
        #expect(keys("id: 1\ndata: a\n\nid: e-7\ndata: b\n\n") == ["1", "e-7"])
    }

    @Test func idlessMessagesCountFromTheLastOwnID() {
        let stream = "id: 5\ndata: a\n\ndata: b\n\ndata: c\n\nid: 6\ndata: d\n\ndata: e\n\n"
        #expect(keys(stream) == ["5", "5#1", "5#2", "6", "6#1"])
    }

    @Test func streamWithoutIDsCountsFromEmpty() {
        #expect(keys("data: a\n\ndata: b\n\n") == ["#1", "#2"])
    }

    @Test func emptyIDDoesNotRestartTheCount() {
        #expect(keys("id: 5\ndata: a\n\ndata: b\n\nid:\ndata: c\n\ndata: d\n\n") == ["5", "5#1", "#2", "#3"])
    }

    @Test func ignoredNULIDDoesNotRestartTheCount() {
        #expect(keys("id: 5\ndata: a\n\ndata: b\n\nid: 6\u{0}\ndata: c\n\n") == ["5", "5#1", "5#2"])
    }

    @Test func ignoredNULIDAfterAnOwnIDInTheSameBlockKeepsTheOwnID() {
        #expect(keys("id: 5\nid: 6\u{0}\ndata: a\n\n") == ["5"])
    }

    @Test func idOnlyBlockCountsAsTheNextMessagesOwnID() {
        #expect(keys("id: 5\ndata: a\n\ndata: b\n\nid: 9\n\ndata: c\n\ndata: d\n\n") == ["5", "5#1", "9", "9#1"])
    }

    @Test func blocksWithoutDataDoNotCount() {
        #expect(keys("id: 5\ndata: a\n\nevent: x\n\n: note\n\ndata: b\n\n") == ["5", "5#1"])
    }

    @Test func repeatedOwnIDGivesTheSameKey() {
        #expect(keys("id: 5\ndata: a\n\nid: 5\ndata: b\n\n") == ["5", "5"])
    }

    @Test func resumedParserKeysIdlessMessagesFromTheResumeID() {
        #expect(keys("data: b\n\ndata: c\n\nid: 8\ndata: d\n\n", lastEventID: "7") == ["7#1", "7#2", "8"])
    }

    @Test func resumingFromAnyRealIDReproducesTheTailsKeys() {
        let messages = [
            ("1", "a"), (nil, "b"), (nil, "c"), ("x-2", "d"), (nil, "e"), ("3", "f"), (nil, "g"), (nil, "h"),
        ]
        func stream(from index: Int) -> String {
            messages[index...].map { id, data in (id.map { "id: \($0)\n" } ?? "") + "data: \(data)\n\n" }.joined()
        }
        let all = keys(stream(from: 0))
        #expect(all == ["1", "1#1", "1#2", "x-2", "x-2#1", "3", "3#1", "3#2"])
        for (index, message) in messages.enumerated() {
            guard let id = message.0 else { continue }
            #expect(keys(stream(from: index + 1), lastEventID: id) == Array(all[(index + 1)...]), "resume after \(id)")
        }
    }

    @Test func anyChunkingGivesTheSameKeys() {
        let seed = testSeed()
        var random = SplitMix(seed: seed)
        for round in 0..<200 {
            let stream = randomStream(&random).bytes
            let whole = keys(bytes: stream)
            for _ in 0..<10 {
                let chunks = randomChunking(of: stream.count, &random)
                #expect(keys(bytes: stream, chunks: chunks) == whole, "seed \(seed), round \(round), chunks \(chunks)")
            }
        }
    }

    @Test func resumingFromEveryRealIDOfARandomStreamReproducesTheTailsKeys() {
        let seed = testSeed()
        var random = SplitMix(seed: seed)
        for round in 0..<200 {
            let blocks = randomStream(&random).blocks
            // Which messages each block dispatched, to know where the server resumes after an id.
            var parser = SSEParser()
            var keyer = EventKeyer()
            var all: [(key: String, message: SSEMessage, block: Int)] = []
            for (index, block) in blocks.enumerated() {
                parser.parse(block) { all.append((keyer.key(for: $0), $0, index)) }
            }
            for (position, entry) in all.enumerated() where entry.message.hasOwnID {
                let tail = Array(blocks[(entry.block + 1)...].joined())
                let chunks = randomChunking(of: tail.count, &random)
                let resumed = keys(bytes: tail, lastEventID: entry.message.lastEventID, chunks: chunks)
                #expect(
                    resumed == all[(position + 1)...].map(\.key),
                    "seed \(seed), round \(round), resume after \(entry.message.lastEventID)")
            }
        }
    }
}
