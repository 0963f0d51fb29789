// The HTTP face of the simulator: the Hummingbird router with the Coasty runs API under /v1, the
// API-key check, and JSON responses and errors. Streaming `GET /v1/runs/{id}/events` lives in
// Server+Events.swift.

import Foundation
import Hummingbird

/// Builds the router for one simulator.
struct SimRouter: Sendable {
    let store: RunStore
    let configuration: SimConfiguration

    private static let maxBodyBytes = 1 << 20

    func build() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        let v1 = router.group("v1").add(middleware: APIKeyMiddleware(apiKey: configuration.apiKey))
        v1.post("runs") { request, _ in await createRun(request) }
        v1.get("runs/:id") { _, context in
            await answer { () throws(SimError) in try await store.runObject(context.runID) }
        }
        v1.get("runs/:id/events") { request, context in await events(request, runID: context.runID) }
        v1.post("runs/:id/cancel") { _, context in
            await answer { () throws(SimError) in try await store.cancel(context.runID) }
        }
        v1.post("runs/:id/resume") { _, context in
            await answer { () throws(SimError) in try await store.resume(context.runID) }
        }
        v1.get("machines") { _, _ in
            Response.json(.ok, .members(["machines": .array(Machine.fleet.map(\.json))]))
        }
        return router
    }

    private func createRun(_ request: Request) async -> Response {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: Self.maxBodyBytes)
        } catch {
            return Response.apiError(
                413, "payload_too_large", "the request body must be at most \(Self.maxBodyBytes) bytes")
        }
        let created: CreateRunRequest
        do {
            created = try CreateRunRequest(json: Data(body.readableBytesView))
        } catch {
            return Response.apiError(error)
        }
        let runID = await store.create(created)
        return Response.json(.created, .members(["run_id": .string(runID), "state": "queued"]))
    }

    /// A 200 with the JSON `body` returns, or the API error it throws.
    private func answer(_ body: () async throws(SimError) -> JSONValue) async -> Response {
        do {
            return Response.json(.ok, try await body())
        } catch {
            return Response.apiError(error)
        }
    }
}

/// Rejects `/v1` requests without the configured `X-API-Key` (401).
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let apiKey: String

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard request.headers.value(named: "x-api-key") == apiKey else {
            return Response.apiError(401, "unauthorized", "send the API key in the X-API-Key header")
        }
        return try await next(request, context)
    }
}

extension HTTPFields {
    /// The first value of the field with this lowercase name.
    func value(named canonicalName: String) -> String? {
        first { $0.name.canonicalName == canonicalName }?.value
    }
}

extension BasicRequestContext {
    /// The `:id` path parameter.
    var runID: String { parameters.get("id") ?? "" }
}

extension Response {
    /// A JSON response.
    static func json(_ status: HTTPResponse.Status, _ body: JSONValue, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(
            status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: body.serialized())))
    }

    /// `{"error":{"code":...,"message":...}}` with `status`.
    static func apiError(_ status: Int, _ code: String, _ message: String, headers: HTTPFields = [:]) -> Response {
        json(
            HTTPResponse.Status(code: status),
            .members(["error": .members(["code": .string(code), "message": .string(message)])]),
            headers: headers)
    }

    /// The API error for a simulator error.
    static func apiError(_ error: SimError) -> Response {
        apiError(error.httpStatus.status, error.httpStatus.code, error.apiMessage)
    }
}
