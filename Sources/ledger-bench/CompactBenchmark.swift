// The compaction benchmark: 20,000 CoastySim runs (about 2,000,000 events) written the way
// concurrent ingest writes them, then compacted. It prints Ledger's bytes (archives alone, and
// with the key index) against gzip -9 and, when python3 has zstandard, zstd -19 plain and with a
// trained dictionary, all over the same per-run streams; codec speeds; and the time to read an
// archived run's timeline against a live one's.

import CoastySim
import Foundation
import GRDB
import Ledger

struct CompactBenchmark {
    var runs = 20_000
    var stepsPerRun = 45...160
    var seed: UInt64 = 42
    /// Runs whose timelines are read, live and then archived.
    var timelineSample = 500

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ledger-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let batches = await simulatedRuns()
        let streams = batches.map { ArchiveCodec.canonicalStream($0.events) }
        let raw = streams.reduce(0) { $0 + $1.count }
        let events = batches.reduce(0) { $0 + $1.events.count }
        print(
            "compaction benchmark: \(batches.count.formatted()) CoastySim runs, \(events.formatted()) events, "
                + "\(megabytes(raw)) of per-run streams (\(raw / max(1, events)) bytes per event)")
        print(
            "  per-run stream: the run's events in order, each `<n>:<event id> <n>:<type> <received_at> <n>:<data>\\n`;"
                + " the bytes every compressor below gets and archives keep the SHA-256 of")

        let store = try LedgerStore(path: directory.appendingPathComponent("ledger.sqlite").path)
        for call in interleavedCalls(batches, runsAtOnce: 1_000, eventsPerCall: 20_000) {
            try store.append(call, projections: .deferred)
        }
        try store.catchUpProjections()
        let sample = stride(from: 0, to: batches.count, by: max(1, batches.count / timelineSample)).map {
            batches[$0].runID
        }
        let fileBefore = try store.statistics().fileBytes
        let livePath = directory.appendingPathComponent("live.sqlite").path
        try await DatabaseQueue(path: store.path).writeWithoutTransaction {
            try $0.execute(sql: "VACUUM INTO ?", arguments: [livePath])
        }
        let live = try LedgerStore(path: livePath)

        var compacted: CompactionSummary?
        let compaction = try Timing.of { compacted = try store.compact(before: UTCTime.now(), reclaim: .vacuum) }
        guard let summary = compacted else { return }
        let (liveTimeline, archivedTimeline) = try timelineMicros(live: live, archived: store, sample)
        let statistics = try store.statistics()
        let tables = Dictionary(uniqueKeysWithValues: (statistics.tableBytes ?? []).map { ($0.name, $0.bytes) })
        let archivePages = tables["archives"] ?? 0
        print(
            String(
                format: "  compact: %d runs in %.1f s (%.0f MB/s of streams in, end to end: read, chain check, encode, "
                    + "decode check, write); file %@ -> %@ after --vacuum",
                summary.runs, compaction.wall, Double(summary.rawBytes) / compaction.wall / 1e6,
                megabytes(fileBefore), megabytes(statistics.fileBytes)))

        let (dictionary, blobs) = try storedArchives(store)
        var contents: [ArchiveContents] = []
        let decode = try Timing.of {
            contents = try blobs.map { blob, eventCount, rawBytes in
                try ArchiveCodec.decode(
                    blob, format: ArchiveCodec.format, dictionary: dictionary, eventCount: eventCount, rawBytes: rawBytes)
            }
        }
        let keys = try Timing.of {
            for (blob, eventCount, rawBytes) in blobs {
                _ = try ArchiveCodec.keys(
                    blob, format: ArchiveCodec.format, dictionary: dictionary, eventCount: eventCount, rawBytes: rawBytes)
            }
        }
        let encode = try Timing.of {
            for run in contents { _ = try ArchiveCodec.encode(run.events, seqs: run.seqs, dictionary: dictionary) }
        }
        print("  size against the per-run streams (\(megabytes(raw))); ratio = stream bytes / stored bytes:")
        report(
            "Ledger archives (format \(ArchiveCodec.format), \(dictionary.count / 1024) KiB dictionary)", raw: raw,
            bytes: summary.archiveBytes, compress: Double(raw) / encode.cpu, decompress: Double(raw) / decode.cpu)
        report("Ledger archives table pages (all an archived run keeps: data, keys, seqs)", raw: raw, bytes: Int(archivePages))
        print(
            String(
                format: "    keys alone (seqs, ids, types) read from every archive in %.2f s, %.0f%% of a full decode",
                keys.cpu, 100 * keys.cpu / decode.cpu))

        let gzip = try gzipBaseline(streams, directory: directory)
        report(
            "gzip -9 (zlib level 9, gzip container)", raw: raw, bytes: gzip.bytes, compress: gzip.compress,
            decompress: gzip.decompress)
        print("    \(gzip.check)")
        let sampleIndexes = stride(
            from: 0, to: streams.count, by: max(1, streams.count / LedgerStore.dictionarySampleRuns)
        )
        .prefix(LedgerStore.dictionarySampleRuns)
        for line in try zstdBaseline(streams, sample: Array(sampleIndexes), directory: directory) { print(line) }

        print(
            String(
                format: "  timeline of one run (mean of %d runs): live %.0f µs, archived %.0f µs (%.2fx)",
                sample.count, liveTimeline, archivedTimeline, archivedTimeline / liveTimeline))
        let scan = try Timing.of { try scanEventLog(store) }
        print(
            String(
                format: "  event_log scan, every event's data: %.2f s (%.0f MB/s)", scan.wall,
                Double(raw) / scan.wall / 1e6))
        var problems = 0
        let verify = try Timing.of { problems = try store.verify().problems.count }
        print(
            String(
                format: "  verify, every archive decoded and its chain recomputed: %.2f s, %@", verify.wall,
                problems == 0 ? "intact" : "\(problems) PROBLEMS"))
    }

    /// The runs of a seeded CoastySim, each event arriving 20–150 ms after its `ts`.
    private func simulatedRuns() async -> [RunBatch] {
        var configuration = SimConfiguration(seed: seed)
        configuration.initialRuns = runs
        configuration.stepsPerRun = stepsPerRun
        let sim = CoastySim(configuration: configuration)
        var random = SplitMix64(seed: seed)
        var batches: [RunBatch] = []
        for runID in await sim.runIDs {
            let events = await sim.log(of: runID).map { event in
                let type = event.type ?? "message"
                let at = EventFacts(sseType: type, data: event.data, receivedAt: 0).at
                return RawEvent(
                    eventID: event.id ?? "", type: type, data: event.data,
                    receivedAt: at + 20_000 + Int64(random.next() % 130_000))
            }
            batches.append(RunBatch(runID: runID, events: events))
        }
        return batches
    }

    /// The mean time of one `timeline` call over `runs` in a copy of the store taken before
    /// compaction and in the compacted store, in microseconds: the best of five passes each,
    /// alternating, so that other load on the machine weighs on both alike.
    private func timelineMicros(live: LedgerStore, archived: LedgerStore, _ runs: [String]) throws
        -> (live: Double, archived: Double)
    {
        var best = (live: Double.infinity, archived: Double.infinity)
        for _ in 0..<5 {
            best.live = min(best.live, try Timing.of { for run in runs { _ = try live.timeline(of: run) } }.wall)
            best.archived = min(
                best.archived, try Timing.of { for run in runs { _ = try archived.timeline(of: run) } }.wall)
        }
        let perRun = 1e6 / Double(max(1, runs.count))
        return (best.live * perRun, best.archived * perRun)
    }

    /// The dictionary and every archive's blob and stream size, as stored.
    private func storedArchives(_ store: LedgerStore) throws -> ([UInt8], [([UInt8], Int, Int)]) {
        try DatabaseQueue(path: store.path).read { db in
            let dictionary =
                try Data.fetchOne(db, sql: "SELECT bytes FROM archive_dictionaries ORDER BY id DESC LIMIT 1") ?? Data()
            let blobs = try Row.fetchAll(db, sql: "SELECT blob, event_count, raw_bytes FROM archives").map {
                ([UInt8]($0[0] as Data), $0[1] as Int, $0[2] as Int)
            }
            return ([UInt8](dictionary), blobs)
        }
    }

    /// Reads every event's data through `event_log`, as a query over archived runs does.
    private func scanEventLog(_ store: LedgerStore) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { try LedgerStore.prepare($0) }
        _ = try DatabaseQueue(path: store.path, configuration: configuration).read { db in
            try Int.fetchOne(db, sql: "SELECT sum(length(data)) FROM event_log")
        }
    }

    /// gzip -9 of every stream in process, and a check of a sample against the `gzip` binary.
    private func gzipBaseline(_ streams: [[UInt8]], directory: URL) throws
        -> (bytes: Int, compress: Double, decompress: Double, check: String)
    {
        var compressed: [[UInt8]] = []
        let raw = Double(streams.reduce(0) { $0 + $1.count })
        let compress = try Timing.of {
            compressed = try streams.map { try Deflate.compress($0, level: 9, container: .gzip) }
        }
        let decompress = try Timing.of {
            for (stream, gzip) in zip(streams, compressed) {
                _ = try Deflate.decompress(gzip, limit: stream.count, container: .gzip)
            }
        }
        var identical = 0
        let checked = Array(zip(streams, compressed).prefix(20))
        for (index, (stream, gzip)) in checked.enumerated() {
            let file = directory.appendingPathComponent("stream-\(index)")
            try Data(stream).write(to: file)
            identical += try run("gzip", ["-9", "-n", "-c", file.path]) == Data(gzip) ? 1 : 0
        }
        return (
            compressed.reduce(0) { $0 + $1.count }, raw / compress.cpu, raw / decompress.cpu,
            "the gzip binary (gzip -9 -n) writes the same bytes for \(identical) of the first \(checked.count) streams"
        )
    }

    /// zstd -19 of every stream, plain and with a dictionary trained on the runs Ledger samples
    /// for its own, through python3's zstandard; a line saying why when that is not possible.
    private func zstdBaseline(_ streams: [[UInt8]], sample: [Int], directory: URL) throws -> [String] {
        let file = directory.appendingPathComponent("streams.bin")
        var framed = Data()
        for stream in streams {
            withUnsafeBytes(of: UInt32(stream.count).littleEndian) { framed.append(contentsOf: $0) }
            framed.append(contentsOf: stream)
        }
        try framed.write(to: file)
        let script = directory.appendingPathComponent("zstd.py")
        try zstdScript.write(to: script, atomically: true, encoding: .utf8)
        let output: Data
        do {
            output = try run("python3", [script.path, file.path, sample.map(String.init).joined(separator: ",")])
        } catch {
            return ["    zstd: skipped (\(error))"]
        }
        return String(decoding: output, as: UTF8.self).split(separator: "\n").map { "    " + $0 }
    }

    private func report(_ name: String, raw: Int, bytes: Int, compress: Double? = nil, decompress: Double? = nil) {
        var line = "    \(name): \(megabytes(bytes)), " + String(format: "%.2fx", Double(raw) / Double(max(1, bytes)))
        if let compress, let decompress {
            line += String(
                format: ", %.0f MB/s compressing, %.0f MB/s decompressing (one core)", compress / 1e6, decompress / 1e6)
        }
        print(line)
    }

    /// Runs `tool` found on PATH and returns its stdout; throws when it cannot run or fails.
    private func run(_ tool: String, _ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw LedgerError.storage(context: tool, reason: "exited with status \(process.terminationStatus)")
        }
        return data
    }

    private func megabytes<Count: BinaryInteger>(_ bytes: Count) -> String {
        String(format: "%.1f MB", Double(bytes) / 1e6)
    }
}

/// Compresses the length-prefixed streams of argv[1] with zstd -19, plain and with a dictionary
/// trained on the streams whose indexes argv[2] lists; two threads, speeds per CPU second.
private let zstdScript = #"""
    import struct, sys, threading, time
    from concurrent.futures import ThreadPoolExecutor
    try:
        import zstandard
    except ImportError as error:
        print(f"zstd: skipped ({error}; pip install zstandard)")
        sys.exit(0)
    data = open(sys.argv[1], "rb").read()
    streams, i = [], 0
    while i < len(data):
        (n,) = struct.unpack_from("<I", data, i)
        streams.append(data[i + 4 : i + 4 + n])
        i += 4 + n
    raw = sum(map(len, streams))
    sample = [streams[int(k)] for k in sys.argv[2].split(",")]
    dictionary = zstandard.train_dictionary(112640, sample)
    for name, params in [("zstd -19", {}), ("zstd -19, 110 KiB dictionary trained on the same runs", {"dict_data": dictionary})]:
        local = threading.local()
        def compress(stream):
            if not hasattr(local, "c"):
                local.c = zstandard.ZstdCompressor(level=19, **params)
            return local.c.compress(stream)
        start = time.process_time()
        with ThreadPoolExecutor(2) as pool:
            out = list(pool.map(compress, streams))
        compress_cpu = time.process_time() - start
        d = zstandard.ZstdDecompressor(**params)
        start = time.process_time()
        for blob in out:
            d.decompress(blob)
        decompress_cpu = time.process_time() - start
        size = sum(map(len, out))
        print(f"{name}: {size / 1e6:.1f} MB, {raw / size:.2f}x, {raw / compress_cpu / 1e6:.0f} MB/s compressing, "
              f"{raw / decompress_cpu / 1e6:.0f} MB/s decompressing (one core)")
    """#
