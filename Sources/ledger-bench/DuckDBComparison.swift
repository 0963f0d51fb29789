// DuckDB on the same data, where python3 can import duckdb: a python3 subprocess copies the
// store's tables into DuckDB (not timed), times each question's SQL (best of N) and reports
// back; the ratio printed is Ledger's query time over DuckDB's.

import Foundation

struct DuckDBComparison {
    var sqlitePath: String
    var directory: URL
    var repetitions: Int

    /// Copies runs, steps, transitions, streams and events into DuckDB and prints its time for
    /// each of `queries` next to Ledger's.
    func run(_ queries: [String], ledgerSeconds: [Double], names: [String]) throws {
        guard let version = python(["-c", "import duckdb; print(duckdb.__version__)"]), version.status == 0 else {
            print("  duckdb: skipped (python3 cannot import duckdb; `pip install duckdb` adds it)")
            return
        }
        let queryFile = directory.appendingPathComponent("queries.json")
        try JSONSerialization.data(withJSONObject: queries).write(to: queryFile)
        guard let result = python(["-c", Self.script, sqlitePath, queryFile.path, String(repetitions)]) else {
            print("  duckdb: skipped (python3 did not start)")
            return
        }
        guard result.status == 0 else {
            let lines = result.errors.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            let reason = lines.last { $0.contains("Error") || $0.contains("Exception") } ?? "exit \(result.status)"
            print("  duckdb: skipped (the python3 script failed: \(reason))")
            return
        }
        let seconds = result.output.split(separator: "\n").compactMap { Double($0) }
        print(
            "  DuckDB \(version.output.trimmingCharacters(in: .whitespacesAndNewlines)) on the same tables (ratio = Ledger / DuckDB):"
        )
        for (index, name) in names.enumerated() where index < seconds.count {
            print(
                String(
                    format: "  %@ DuckDB %7.2f ms  ratio %.2f", padded(name), seconds[index] * 1000,
                    ledgerSeconds[index] / max(seconds[index], 1e-9)))
        }
    }

    /// Runs python3 with `arguments`; its standard error goes to a file so neither pipe can fill up.
    private func python(_ arguments: [String]) -> (status: Int32, output: String, errors: String)? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let output = Pipe()
        let errorsFile = directory.appendingPathComponent("python-stderr.txt")
        guard FileManager.default.createFile(atPath: errorsFile.path, contents: nil),
            let errors = try? FileHandle(forWritingTo: errorsFile)
        else { return nil }
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errorText = (try? String(contentsOf: errorsFile, encoding: .utf8)) ?? ""
        return (process.terminationStatus, String(decoding: data, as: UTF8.self), errorText)
    }

    /// Copies the tables through CSV (sqlite3 and csv from python's standard library), then prints
    /// the best time of each query in seconds, one per line.
    private static let script = """
        import csv, duckdb, json, os, sqlite3, sys, tempfile, time
        source, queries, repetitions = sys.argv[1], json.load(open(sys.argv[2])), int(sys.argv[3])
        lite = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        duck = duckdb.connect()
        with tempfile.TemporaryDirectory() as folder:
            for table, columns in [
                ("runs", "*"), ("steps", "*"), ("transitions", "*"), ("streams", "run_key, run_id"),
                ("events", "seq, run_key, event_id, type, data, received_at"),
            ]:
                path = os.path.join(folder, table + ".csv")
                cursor = lite.execute(f"SELECT {columns} FROM {table}")
                with open(path, "w", newline="") as out:
                    writer = csv.writer(out)
                    writer.writerow([d[0] for d in cursor.description])
                    writer.writerows(cursor)
                duck.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{path}', header = true, all_varchar = false)")
        for query in queries:
            best = float("inf")
            for _ in range(repetitions):
                start = time.perf_counter()
                duck.execute(query).fetchall()
                best = min(best, time.perf_counter() - start)
            print(best)
        """
}
