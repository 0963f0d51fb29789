// `ledgerctl prices`: the price of a step over time. `prices` lists the table; `prices set
// 0.04 --from 2027-01-01` adds a price (steps before that date keep the price of their time).

import ArgumentParser
import Ledger

struct Prices: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List or set the price of a step over time.",
        discussion: """
            A step costs the price in force at the step's own time. The table starts with $0.05 \
            per step from the beginning of time (effective_from empty, null in JSON).
            """,
        subcommands: [ListPrices.self, SetPrice.self],
        defaultSubcommand: ListPrices.self
    )

    struct ListPrices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List the price table: effective_from, usd_per_step, oldest first.")

        @OptionGroup var store: StoreOptions
        @OptionGroup var output: FormatOptions

        func run() async throws {
            output.print(Prices.report(try await store.openStore().prices()))
        }
    }

    struct SetPrice: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Make PRICE the price of a step from a date on.",
            discussion: """
                The price applies from --from (UTC) until the next later price. A price with the \
                same date is replaced. Stored steps in that span are re-priced at once, and their \
                runs' costs follow; steps before the date keep the price of their own time.
                """
        )

        @Argument(help: "Dollars per step, e.g. 0.04.")
        var price: String

        @Option(help: "From when it applies: 2027-01-01 or an ISO 8601 UTC time.")
        var from: String

        @OptionGroup var store: StoreOptions

        func validate() throws {
            _ = try parsed()
        }

        func run() async throws {
            let (perStep, start) = try parsed()
            let change = try await store.openStore(.create).setPrice(perStep, from: start)
            print(
                "price from \(UTCTime.format(start)): $\(perStep.decimalText) per step "
                    + "(was $\(change.previous.decimalText)); "
                    + "re-priced \(change.repricedSteps) stored steps in \(change.repricedRuns) runs")
        }

        private func parsed() throws -> (Money, Int64) {
            let whole = price.drop { $0 == "$" }.prefix { $0 != "." }
            guard whole.count <= 6, let perStep = Money(dollars: price) else {
                throw ValidationError("PRICE: expected dollars per step like 0.04 (up to 6 decimals), got '\(price)'")
            }
            guard let start = UTCTime.parse(from) else {
                throw ValidationError(
                    "--from: expected a date like 2027-01-01 or a time like 2027-01-01T00:00:00Z, got '\(from)'")
            }
            return (perStep, start)
        }
    }

    /// The price table as a report.
    static func report(_ rows: [PriceRow]) -> Report {
        Report(
            columns: ["effective_from", "usd_per_step"],
            rows: rows.map { [Cell(time: $0.effectiveFrom), .money($0.perStep)] })
    }
}
