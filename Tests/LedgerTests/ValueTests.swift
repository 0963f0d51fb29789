// The small value readers the store relies on: UTC time text, durations and JSON.

import Ledger
import Testing

@Suite struct UTCTimeTests {
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("2026-11-03T10:15:02.123Z", Int64(1_793_700_902_123_000)),
        ("2026-11-03T11:15:02.123+01:00", Int64(1_793_700_902_123_000)),
        ("2026-11-03", Int64(1_793_664_000_000_000)),
        ("1969-12-31T23:59:59Z", Int64(-1_000_000)),
    ])
    func parsesISO8601(text: String, micros: Int64) {
        #expect(UTCTime.parse(text) == micros)
    }

    @Test(arguments: ["", "2026-13-01", "2026-11-03T25:00Z", "yesterday", "2026-11-03T10:15:02Zjunk"])
    func rejectsWhatIsNotISO8601(text: String) {
        #expect(UTCTime.parse(text) == nil)
    }

    @Test func formatsWithMillisecondsInUTC() {
        #expect(UTCTime.format(1_793_700_902_123_456) == "2026-11-03T10:15:02.123Z")
        #expect(UTCTime.format(-1_000_000) == "1969-12-31T23:59:59.000Z")
    }

    @Test func formatAndParseRoundTrip() {
        for micros in stride(from: Int64(-10_000_000_000_000), to: 4_000_000_000_000_000, by: 123_456_789_123) {
            let millis = micros - ((micros % 1000) + 1000) % 1000
            #expect(UTCTime.parse(UTCTime.format(millis)) == millis)
        }
    }
}

@Suite struct JSONTests {
    @Test func readsTheDocumentedFields() throws {
        let value = try JSONValue.parse(#"{"event":"step","step":7,"message":"Clicked \"Sign in\" \u00e9","ok":true,"x":null}"#)
        #expect(value["event"]?.stringValue == "step")
        #expect(value["step"]?.intValue == 7)
        #expect(value["message"]?.stringValue == "Clicked \"Sign in\" é")
        #expect(value["ok"]?.boolValue == true)
        #expect(value["x"] == .null)
    }

    @Test(arguments: ["", "{", "{\"a\":}", "[1,]", "{\"a\":1}x", "nul", "\"\u{01}\"", "01", "{'a':1}"])
    func rejectsInvalidJSON(text: String) {
        #expect(throws: JSONError.self) { try JSONValue.parse(text) }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        #expect(throws: JSONError.self) { try JSONValue.parse(String(repeating: "[", count: 100_000)) }
    }
}

@Suite struct MoneyTests {
    @Test func parsesDollarsExactly() {
        #expect(Money(dollars: "0.05")?.micros == 50_000)
        #expect(Money(dollars: "$12.345678")?.micros == 12_345_678)
        #expect(Money(dollars: "3")?.micros == 3_000_000)
    }

    @Test(arguments: ["", "-1", "0.0000001", "1.2.3", "abc", "99999999999999", "9223372036854775807"])
    func rejectsWhatIsNotAnAmount(text: String) {
        #expect(Money(dollars: text) == nil)
    }

    @Test func formatsWithAtLeastCents() {
        #expect(Money(micros: 12_350_000).decimalText == "12.35")
        #expect(Money(micros: 45_000).decimalText == "0.045")
        #expect(Money(micros: -1_000_000).decimalText == "-1.00")
    }
}

@Suite struct DurationTextTests {
    @Test(arguments: [
        ("0", Duration.zero), ("800us", .microseconds(800)), ("250ms", .milliseconds(250)),
        ("1.5s", .milliseconds(1_500)), ("90m", .seconds(5_400)), ("12h", .seconds(43_200)),
        ("30d", .seconds(2_592_000)), ("0s", .zero),
    ])
    func parsesANumberAndAUnit(text: String, duration: Duration) {
        #expect(Duration(text: text) == duration)
    }

    @Test(arguments: ["", "soon", "30", "-1d", "1y", "d", "nan s", "1e300d"])
    func rejectsAnythingElse(text: String) {
        #expect(Duration(text: text) == nil)
    }
}
