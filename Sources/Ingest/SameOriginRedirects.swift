// Redirects under the API key. The HTTP client's own redirect handling drops only Authorization
// and Cookie on a cross-origin hop, so `X-API-Key` would travel to wherever a server points:
// redirects are therefore never followed by default, and when allowed only within the origin of
// the first request (same scheme, host and port), so the key never reaches another server.

import AsyncHTTPClient
import Foundation
import NIOCore

/// A redirect that was not followed.
package struct RedirectRefused: Error, Sendable, Equatable {
    package var status: Int
    /// Where the server pointed (as it said it, or `(none)`).
    package var location: String
    /// Why it was not followed.
    package var reason: String

    package var message: String { "HTTP \(status) redirect to \(location) not followed: \(reason)" }
}

/// How requests that carry the API key treat redirects.
package enum RedirectPolicy: Sendable, Equatable {
    /// A 3xx answer is an error (the default).
    case refuse
    /// Up to five redirects within the first request's origin; any other is an error.
    case sameOrigin

    /// The client configuration every API client uses: redirects handled here, never by the client.
    static let clientRedirects = HTTPClient.Configuration.RedirectConfiguration.disallow
    private static let hops = 5

    /// Executes `request`, following redirects as the policy allows; returns the first answer that
    /// is not a redirect.
    ///
    /// - Throws: `RedirectRefused` for a redirect the policy does not follow, else the client's errors.
    func execute(_ request: HTTPClientRequest, on client: HTTPClient, timeout: TimeAmount) async throws
        -> HTTPClientResponse
    {
        var request = request
        let origin = Origin(request.url)
        for _ in 0...Self.hops {
            let response = try await client.execute(request, timeout: timeout)
            let status = Int(response.status.code)
            guard (300..<400).contains(status), status != 304 else { return response }
            let location = response.headers.first(name: "Location")
            let target = location.flatMap { URL(string: $0, relativeTo: URL(string: request.url))?.absoluteURL }
            let shown = Self.printable(location ?? "(none)")
            guard self == .sameOrigin else {
                throw RedirectRefused(
                    status: status, location: shown, reason: "redirects are followed only with --follow-redirects")
            }
            guard let target, origin != nil, Origin(target.absoluteString) == origin else {
                throw RedirectRefused(
                    status: status, location: shown,
                    reason: "it leaves \(origin?.description ?? request.url), and the API key is sent to no other origin")
            }
            request.url = target.absoluteString
        }
        throw RedirectRefused(status: 310, location: request.url, reason: "more than \(Self.hops) redirects in a row")
    }

    /// A server's Location as a message may show it: at most 200 characters, controls as `?`.
    private static func printable(_ text: String) -> String {
        var shown = ""
        for scalar in text.unicodeScalars.prefix(200) {
            shown.unicodeScalars.append(scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) ? "?" : scalar)
        }
        return shown
    }
}

/// The scheme, host and port of a URL, as browsers compare origins.
private struct Origin: Equatable, CustomStringConvertible {
    let scheme: String
    let host: String
    let port: Int

    init?(_ text: String) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host?.lowercased(), !host.isEmpty
        else { return nil }
        let defaultPort = scheme == "https" ? 443 : scheme == "http" ? 80 : nil
        guard let port = components.port ?? defaultPort else { return nil }
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    var description: String { "\(scheme)://\(host):\(port)" }
}
