// Money in the projections, to the exact cent: the default price, price changes with effective
// dates (a step keeps the price of its own time), re-pricing stored steps, and billing
// discrepancies between a result's stated step count and the steps seen.

import Foundation
import Ledger
import LedgerTestSupport
import Testing

@Suite struct PriceTests {
    let scratch: ScratchDirectory
    let store: LedgerStore

    init() throws {
        scratch = try ScratchDirectory()
        store = try LedgerStore(path: scratch.path("ledger.sqlite"))
    }

    private func time(_ text: String) throws -> Int64 { try #require(UTCTime.parse(text)) }

    private func dollars(_ text: String) throws -> Money { try #require(Money(dollars: text)) }

    /// A run of `steps` steps one second apart, the first at `start`.
    private func run(steps: Int, start: String) -> [RawEvent] {
        var script = RunScript(start: start)
        script.state("running")
        script.time -= 1_000_000
        for number in 1...steps { script.step(number) }
        return script.events
    }

    @Test func defaultPriceIsFiveCentsFromTheBeginningOfTime() throws {
        let prices = try store.prices()
        #expect(prices.map(\.effectiveFrom) == [nil])
        #expect(prices.map(\.perStep) == [Money(micros: 50_000)])
        try store.append(run(steps: 7, start: "1999-01-01T00:00:00Z"), to: "run-a")
        #expect(try store.run("run-a")?.cost.decimalText == "0.35")
    }

    @Test func stepsAfterAPriceChangeCostTheNewPriceAndEarlierOnesKeepTheirs() throws {
        try store.setPrice(dollars("0.04"), from: time("2027-01-01"))
        try store.append(run(steps: 3, start: "2026-12-31T23:59:58Z"), to: "run-a")
        #expect(try store.steps(of: "run-a").map(\.price.decimalText) == ["0.05", "0.05", "0.04"])
        let run = try #require(try store.run("run-a"))
        #expect(run.cost == Money(micros: 140_000))
        #expect(run.cost.decimalText == "0.14")
    }

    @Test func addingAPriceRepricesStoredStepsOnOrAfterItsDateOnly() throws {
        try store.append(run(steps: 4, start: "2026-12-31T23:59:58Z"), to: "run-a")
        try store.append(run(steps: 2, start: "2026-06-01T00:00:00Z"), to: "run-b")
        #expect(try store.run("run-a")?.cost.decimalText == "0.20")
        let change = try store.setPrice(dollars("0.04"), from: time("2027-01-01"))
        #expect(change.previous == Money(micros: 50_000))
        #expect(change.repricedSteps == 2)
        #expect(change.repricedRuns == 1)
        #expect(try store.run("run-a")?.cost.decimalText == "0.18")
        #expect(try store.run("run-b")?.cost.decimalText == "0.10")
        try store.append(run(steps: 1, start: "2027-02-01T00:00:00Z"), to: "run-c")
        #expect(try store.run("run-c")?.cost.decimalText == "0.04")
        let before = try rawProjectionRows(path: store.path)
        try store.rebuildProjections()
        #expect(try rawProjectionRows(path: store.path) == before)
    }

    @Test func aPriceBetweenTwoOthersAppliesUntilTheNextOne() throws {
        try store.setPrice(dollars("0.04"), from: time("2027-01-01"))
        try store.setPrice(dollars("0.07"), from: time("2027-03-01"))
        for (index, day) in ["2027-01-15", "2027-02-15", "2027-03-15"].enumerated() {
            try store.append(run(steps: 1, start: day + "T12:00:00Z"), to: "run-\(index)")
        }
        let change = try store.setPrice(dollars("0.10"), from: time("2027-02-01"))
        #expect(change.previous.decimalText == "0.04")
        #expect(change.repricedSteps == 1)
        #expect(try store.runs().map(\.cost.decimalText) == ["0.04", "0.10", "0.07"])
        #expect(try store.prices().map(\.perStep.decimalText) == ["0.05", "0.04", "0.10", "0.07"])
    }

    @Test func settingAPriceForAnExistingDateReplacesIt() throws {
        try store.setPrice(dollars("0.04"), from: time("2027-01-01"))
        let change = try store.setPrice(dollars("0.03"), from: time("2027-01-01"))
        #expect(change.previous.decimalText == "0.04")
        let prices = try store.prices()
        #expect(prices.map(\.effectiveFrom) == [nil, try time("2027-01-01")])
        #expect(prices.map(\.perStep.decimalText) == ["0.05", "0.03"])
    }

    @Test func subCentPricesAddUpExactly() throws {
        try store.setPrice(dollars("0.045"), from: time("2026-01-01"))
        try store.append(run(steps: 3, start: "2026-05-05T00:00:00Z"), to: "run-a")
        #expect(try store.run("run-a")?.cost == Money(micros: 135_000))
        #expect(try store.run("run-a")?.cost.decimalText == "0.135")
    }

    @Test func negativePriceIsRefused() throws {
        #expect(throws: LedgerError.self) { try store.setPrice(Money(micros: -1), from: 0) }
        #expect(try store.prices().count == 1)
    }

    @Test func resultStatingFewerStepsThanSeenFlagsTheRunAndBillsTheStepsSeen() throws {
        try store.append(RunScript.run(steps: 5, reportedSteps: 4), to: "run-a")
        try store.append(RunScript.run(steps: 5), to: "run-b")
        let flagged = try #require(try store.run("run-a"))
        #expect(flagged.billingDiscrepancy)
        #expect(flagged.reportedSteps == 4)
        #expect(flagged.steps == 5)
        #expect(flagged.cost.decimalText == "0.25")
        #expect(try store.run("run-b")?.billingDiscrepancy == false)
        #expect(try store.runs(RunFilter(discrepanciesOnly: true)).map(\.runID) == ["run-a"])
    }

    @Test func resultStatingMoreStepsThanSeenIsFlaggedUntilTheMissingStepArrives() throws {
        var events = RunScript.run(steps: 3, reportedSteps: 4)
        try store.append(events, to: "run-a")
        #expect(try store.run("run-a")?.billingDiscrepancy == true)
        var late = RunScript(start: "2026-11-02T10:00:00Z")
        late.step(4)
        events.append(RawEvent(eventID: "late", type: "step", data: late.events[0].data, receivedAt: 0))
        try store.append(events, to: "run-a")
        let run = try #require(try store.run("run-a"))
        #expect(!run.billingDiscrepancy)
        #expect(run.cost.decimalText == "0.20")
    }

    @Test func runWithoutAResultIsNeverADiscrepancy() throws {
        try store.append(Array(RunScript.run(steps: 3).dropLast()), to: "run-a")
        let run = try #require(try store.run("run-a"))
        #expect(run.reportedSteps == nil)
        #expect(!run.billingDiscrepancy)
    }
}
