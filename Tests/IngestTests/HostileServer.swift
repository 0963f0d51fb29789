// A small HTTP server on 127.0.0.1 that answers every request with what a test scripts (a
// redirect, an absurd header, a stream that ends without progress) and records what it was
// sent, so tests can prove what ingest does with a hostile server and what it gives away.

import Foundation
import Hummingbird
import Logging

/// A request as the server saw it.
struct RecordedRequest: Sendable {
    /// The request target as sent: path and query, percent-encoding untouched.
    var target: String
    var headers: [String: String]
}

/// An HTTP server whose every answer comes from `respond`; stopped by `stop()`.
final class HostileServer: Sendable {
    private let recorder = Recorder()
    private let task: Task<Void, Never>
    let url: URL

    /// Starts the server; `respond` gets each request's target and the number of requests so far (1-based).
    init(_ respond: @escaping @Sendable (_ target: String, _ number: Int) async -> Response) async throws {
        let router = Router()
        let recorder = recorder
        for method in [HTTPRequest.Method.get, .post] {
            router.on("**", method: method) { request, _ in
                var headers: [String: String] = [:]
                for field in request.headers { headers[field.name.canonicalName] = field.value }
                let target = request.uri.description
                let number = await recorder.record(RecordedRequest(target: target, headers: headers))
                return await respond(target, number)
            }
        }
        let (bound, continuation) = AsyncStream<Int>.makeStream()
        let application = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: Logger(label: "hostile-server", factory: { _ in SwiftLogNoOpLogHandler() }))
        task = Task {
            try? await application.run()
            continuation.finish()
        }
        var port = 0
        for await value in bound {
            port = value
            break
        }
        guard port > 0, let url = URL(string: "http://127.0.0.1:\(port)") else {
            task.cancel()
            throw CancellationError()
        }
        self.url = url
    }

    /// Every request received so far, in order.
    var requests: [RecordedRequest] { get async { await recorder.requests } }

    func stop() async {
        task.cancel()
        await task.value
    }

    private actor Recorder {
        var requests: [RecordedRequest] = []
        func record(_ request: RecordedRequest) -> Int {
            requests.append(request)
            return requests.count
        }
    }
}

extension Response {
    /// A 200 whose body is exactly `bytes`.
    static func bytes(_ bytes: [UInt8]) -> Response {
        Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// A response with `status`, `headers` and a text body.
    static func text(_ status: Int, _ body: String, headers: HTTPFields = [:]) -> Response {
        Response(
            status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
