// ledgerctl, the command line of Ledger. The root command only lists the subcommands; the entry
// point maps failures to the documented exit codes: 0 ok, 1 bad input or failure, 2 usage,
// 3 verification failed.

import ArgumentParser
import Foundation

struct Ledgerctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledgerctl",
        abstract: "Ledger: the flight recorder for Coasty computer-use agent runs.",
        discussion: """
            Ledger keeps every event of every agent run, append-only and hash-chained, and answers \
            audit, billing and debugging questions from it. The store is one SQLite file: --db PATH, \
            else $LEDGER_DB, else ./ledger.sqlite.
            """,
        subcommands: [
            Demo.self, IngestCommand.self, Import.self, Runs.self, Timeline.self, Cost.self, Failures.self,
            QueryCommand.self, Verify.self, Prices.self, Rebuild.self, RunCommand.self, Sim.self, Compact.self,
            Stats.self, MigrateStore.self,
        ]
    )
}

/// Thrown by a command that has already printed its findings and must exit with `code`.
struct CommandExit: Error {
    var code: Int32
}

@main
enum Main {
    static func main() async {
        do {
            var command = try Ledgerctl.parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exit as CommandExit {
            Foundation.exit(exit.code)
        } catch {
            let code = Ledgerctl.exitCode(for: error)
            if code == .success {
                Ledgerctl.exit(withError: error)
            }
            if error is LocalizedError, !(error is ValidationError) {
                printError(error.localizedDescription)
                Foundation.exit(1)
            }
            if code == .validationFailure {
                let message = Ledgerctl.fullMessage(for: error)
                FileHandle.standardError.write(Data((message.terminalSafe(keeping: ["\n", "\t"]) + "\n").utf8))
                Foundation.exit(2)
            }
            Ledgerctl.exit(withError: error)
        }
    }
}

/// Prints one line to stderr, prefixed with `ledgerctl: `; control characters in it (server or
/// stream text an error echoes) are escaped, newlines and tabs kept.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("ledgerctl: \(message.terminalSafe(keeping: ["\n", "\t"]))\n".utf8))
}

/// Prints a progress or status line to stderr, never stdout, so results stay clean in pipes;
/// control characters escaped as in `printError`.
func printStatus(_ message: String) {
    FileHandle.standardError.write(Data("\(message.terminalSafe(keeping: ["\n", "\t"]))\n".utf8))
}
