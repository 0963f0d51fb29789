// swift-tools-version: 6.2
// Ledger: the flight recorder for Coasty computer-use agent runs.

import PackageDescription

let package = Package(
    name: "Ledger",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ledgerctl", targets: ["ledgerctl"]),
        .executable(name: "ledger-bench", targets: ["ledger-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CSQLiteSettings", linkerSettings: [.linkedLibrary("sqlite3")]),
        .target(
            name: "Ledger",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                "CZlib", "CSQLiteSettings",
            ]
        ),
        .target(
            name: "Ingest",
            dependencies: [
                "Ledger",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "CoastySim",
            dependencies: [
                "Ledger",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "LedgerPostgres",
            dependencies: [
                "Ledger",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "Query", dependencies: ["Ledger"]),
        .executableTarget(
            name: "ledgerctl",
            dependencies: [
                "Ledger", "LedgerPostgres", "Ingest", "Query", "CoastySim",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "ledger-bench",
            dependencies: [
                "Ledger", "LedgerPostgres", "Ingest", "Query", "CoastySim",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // Builders of test data shared by the test targets (not shipped in any product).
        .target(
            name: "LedgerTestSupport",
            dependencies: [
                "Ledger", "LedgerPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/LedgerTestSupport"
        ),
        .testTarget(
            name: "LedgerTests",
            dependencies: ["Ledger", "LedgerTestSupport", "Query", .product(name: "GRDB", package: "GRDB.swift")],
            // Stores and transcripts the tests read by path.
            exclude: ["Fixtures"]
        ),
        // One set of store tests, run against SQLite and (with LEDGER_TEST_POSTGRES) PostgreSQL.
        .testTarget(
            name: "EventStoreTests",
            dependencies: [
                "Ledger", "LedgerPostgres", "Query", "LedgerTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "QueryTests",
            dependencies: ["Query", "Ledger", "LedgerTestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "IngestTests",
            dependencies: [
                "Ingest", "Ledger", "LedgerTestSupport", "CoastySim", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "CoastySimTests",
            dependencies: ["CoastySim", .product(name: "AsyncHTTPClient", package: "async-http-client")]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "Ledger", "LedgerPostgres", "CoastySim", "LedgerTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
