// Helpers for the CoastySim tests: start a simulator for the length of a test, talk to it over real
// HTTP with AsyncHTTPClient (every request bounded by a deadline), read raw socket bytes, and parse
// event streams by the WHATWG rules into the same `SimEvent`s the simulator logs.

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import CoastySim

let apiKey = "test-key"

/// Runs `body` against a started simulator and always stops it.
func withSim<T>(
    _ configuration: SimConfiguration, _ body: (CoastySim, URL) async throws -> T
) async throws -> T {
    var configuration = configuration
    configuration.apiKey = apiKey
    let sim = CoastySim(configuration: configuration)
    let url = try await sim.start()
    do {
        let result = try await body(sim, url)
        await sim.stop()
        return result
    } catch {
        await sim.stop()
        throw error
    }
}

/// A complete HTTP response.
struct Reply {
    let status: Int
    let headers: [(String, String)]
    let body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// The body as a JSON object.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }

    /// `error.code` and `error.message` of an API error body.
    var apiError: (code: String?, message: String?) {
        let error = json["error"] as? [String: Any]
        return (error?["code"] as? String, error?["message"] as? String)
    }
}

/// Sends one request and reads the whole response within `timeout`.
func call(
    _ method: HTTPMethod, _ url: URL, _ path: String, body: String? = nil, key: String? = apiKey,
    headers: [String: String] = [:], timeout: TimeAmount = .seconds(10)
) async throws -> Reply {
    var request = HTTPClientRequest(url: url.absoluteString + path)
    request.method = method
    if let key { request.headers.add(name: "X-API-Key", value: key) }
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body {
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
    }
    let response = try await HTTPClient.shared.execute(request, timeout: timeout)
    let bytes = try await response.body.collect(upTo: 1 << 24)
    return Reply(
        status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
        body: Array(bytes.readableBytesView))
}

/// What one events request delivered.
struct StreamRead {
    var status = 0
    var bytes: [UInt8] = []
    /// Set when the body did not end cleanly (the connection was cut).
    var error: (any Error)?
}

/// Reads an events response until it ends or fails, passing each body chunk to `onChunk`.
func readStream(
    _ url: URL, runID: String, lastEventID: String? = nil, timeout: TimeAmount = .seconds(15),
    onChunk: ([UInt8]) async throws -> Void = { _ in }
) async throws -> StreamRead {
    var request = HTTPClientRequest(url: url.absoluteString + "/v1/runs/\(runID)/events")
    request.headers.add(name: "X-API-Key", value: apiKey)
    request.headers.add(name: "Accept", value: "text/event-stream")
    if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
    let response = try await HTTPClient.shared.execute(request, timeout: timeout)
    var read = StreamRead(status: Int(response.status.code))
    do {
        for try await chunk in response.body {
            let bytes = Array(chunk.readableBytesView)
            read.bytes += bytes
            try await onChunk(bytes)
        }
    } catch {
        read.error = error
    }
    return read
}

/// An incremental event-stream parser following the WHATWG rules, reporting each dispatched
/// message as the simulator logs it: its own id (nil when no `id:` line came since the last
/// dispatch), its `event:` type (nil when absent) and its data.
struct SSEParser {
    private static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
    private(set) var fields: [(name: String, value: String)] = []
    private var line: [UInt8] = []
    private var lastWasCR = false
    /// The first bytes of the stream until it is known whether they are a BOM.
    private var start: [UInt8]? = []
    private var data: String?
    private var type: String?
    private var ownID: String?
    /// The last event id as WHATWG keeps it.
    private(set) var lastEventID = ""

    /// True when bytes of an undispatched message are pending (a cut message at end of input).
    var hasPartialMessage: Bool { !line.isEmpty || data != nil || type != nil || ownID != nil }

    mutating func feed(_ bytes: [UInt8]) -> [SimEvent] {
        var dispatched: [SimEvent] = []
        var input = bytes
        if var start {
            start += bytes
            if start.count < 3, SSEParser.bom.starts(with: start) {
                self.start = start
                return []
            }
            self.start = nil
            input = start.starts(with: SSEParser.bom) ? Array(start.dropFirst(3)) : start
        }
        for byte in input {
            if byte == 0x0A, lastWasCR {
                lastWasCR = false
                continue
            }
            lastWasCR = byte == 0x0D
            if byte == 0x0A || byte == 0x0D {
                if let event = endLine() { dispatched.append(event) }
            } else {
                line.append(byte)
            }
        }
        return dispatched
    }

    private mutating func endLine() -> SimEvent? {
        let text = String(decoding: line, as: UTF8.self)
        line.removeAll()
        if text.isEmpty {
            defer {
                data = nil
                type = nil
                ownID = nil
            }
            guard let data else { return nil }
            return SimEvent(id: ownID, type: type, data: data)
        }
        if text.hasPrefix(":") {
            fields.append((":", text))
            return nil
        }
        let name: String
        var value: String
        if let colon = text.firstIndex(of: ":") {
            name = String(text[..<colon])
            value = String(text[text.index(after: colon)...])
            if value.hasPrefix(" ") { value.removeFirst() }
        } else {
            name = text
            value = ""
        }
        fields.append((name, value))
        switch name {
        case "data": data = data.map { $0 + "\n" + value } ?? value
        case "event": type = value
        case "id" where !value.contains("\0"):
            lastEventID = value
            ownID = value.isEmpty ? nil : value
        default: break
        }
        return nil
    }
}

/// Parses a whole stream.
func parseEvents(_ bytes: [UInt8]) -> [SimEvent] {
    var parser = SSEParser()
    return parser.feed(bytes)
}

/// A plain HTTP/1.1 GET over a blocking socket, returning every byte until the server closes,
/// so tests can see the chunked framing itself.
func rawGet(port: Int, path: String, headers: [String: String]) async throws -> [UInt8] {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try blockingGet(port: port, path: path, headers: headers) })
        }
    }
}

#if canImport(Glibc)
    import Glibc

    private let streamSocketType = Int32(SOCK_STREAM.rawValue)
    private func sendAll(_ socket: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        Glibc.send(socket, bytes.baseAddress, bytes.count, 0)
    }
#else
    import Darwin

    private let streamSocketType = SOCK_STREAM
    private func sendAll(_ socket: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        Darwin.send(socket, bytes.baseAddress, bytes.count, 0)
    }
#endif

struct SocketError: Error, CustomStringConvertible {
    let description: String
}

private func blockingGet(port: Int, path: String, headers: [String: String]) throws -> [UInt8] {
    let socketFD = socket(AF_INET, streamSocketType, 0)
    guard socketFD >= 0 else { throw SocketError(description: "socket() failed") }
    defer { close(socketFD) }
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else { throw SocketError(description: "connect() failed") }
    var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
    for (name, value) in headers { request += "\(name): \(value)\r\n" }
    request += "\r\n"
    let sent = Array(request.utf8).withUnsafeBytes { sendAll(socketFD, $0) }
    guard sent == request.utf8.count else { throw SocketError(description: "send() failed") }
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = buffer.withUnsafeMutableBytes { recv(socketFD, $0.baseAddress, $0.count, 0) }
        if count > 0 {
            received += buffer[0..<count]
        } else if count == 0 || errno == ECONNRESET {
            return received
        } else {
            throw SocketError(description: "recv() failed with errno \(errno)")
        }
    }
}

/// Splits a raw chunked HTTP response into its body and whether the last-chunk (`0\r\n\r\n`) came.
func dechunk(_ raw: [UInt8]) -> (body: [UInt8], sawLastChunk: Bool) {
    let separator: [UInt8] = [13, 10, 13, 10]
    guard let headerEnd = raw.indices.first(where: { raw[$0...].starts(with: separator) }) else { return ([], false) }
    var index = headerEnd + 4
    var body: [UInt8] = []
    while let lineEnd = raw[index...].indices.first(where: { raw[$0...].starts(with: [13, 10]) }) {
        guard let size = Int(String(decoding: raw[index..<lineEnd], as: UTF8.self), radix: 16) else { break }
        if size == 0 { return (body, true) }
        let start = lineEnd + 2
        let end = min(raw.count, start + size)
        body += raw[start..<end]
        index = end + 2
        guard index < raw.count else { break }
    }
    return (body, false)
}

/// The JSON object of an event's data.
func object(_ event: SimEvent) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(event.data.utf8))) as? [String: Any] ?? [:]
}

/// A body for `POST /v1/runs`.
func runBody(_ fields: [String: Any] = [:]) -> String {
    var body: [String: Any] = ["machine_id": "m-1", "task": "Export the weekly sales report as CSV"]
    for (key, value) in fields { body[key] = value }
    let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
    return String(decoding: data, as: UTF8.self)
}

let terminalStates: Set<String> = ["succeeded", "failed", "cancelled", "timed_out"]
