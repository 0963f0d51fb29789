// How a PostgreSQL connection uses TLS, named as libpq's `sslmode` names it. A host on another
// machine gets `require` unless the URL says otherwise, so that a server refusing TLS never
// receives the password in clear; `verify-ca` and `verify-full` check the server's certificate
// against `sslrootcert` (a PEM file, or `system` for the system's roots).

import NIOSSL

/// A connection's TLS mode.
package enum PostgresSSLMode: String, CaseIterable, Sendable {
    /// No TLS: only when the URL asks for it.
    case disable
    /// TLS when the server offers it, else in clear: the default on this machine only.
    case prefer
    /// TLS or no connection; the certificate is checked only when `sslrootcert` is given.
    case require
    /// TLS with a certificate signed by a trusted root, for any host name.
    case verifyCA = "verify-ca"
    /// TLS with a certificate signed by a trusted root and naming the host.
    case verifyFull = "verify-full"

    /// The mode a URL's `sslmode` (nil when absent) asks for, else the default for `host`:
    /// `prefer` on this machine (localhost, a loopback address, a unix socket), `verify-full`
    /// elsewhere when `sslrootcert` names roots to check against, else `require`.
    package static func resolve(_ requested: String?, host: String, rootCertificate: String?) throws(Refusal) -> Self {
        guard let requested else {
            if isLocal(host) { return .prefer }
            return rootCertificate == nil ? .require : .verifyFull
        }
        guard let mode = Self(rawValue: requested) else {
            throw Refusal(
                reason: "unknown sslmode \(requested); use one of " + allCases.map(\.rawValue).joined(separator: ", "))
        }
        if mode.verifiesCertificate, rootCertificate == nil {
            throw Refusal(
                reason: "sslmode=\(requested) needs sslrootcert=<file of trusted roots in PEM> (or sslrootcert=system)")
        }
        return mode
    }

    /// Why a URL's TLS parameters cannot be used; the caller names the URL.
    package struct Refusal: Error, Equatable {
        package var reason: String
    }

    /// Whether `host` is this machine: `localhost`, a loopback address or a unix socket directory.
    package static func isLocal(_ host: String) -> Bool {
        host.hasPrefix("/") || ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host.lowercased())
    }

    var verifiesCertificate: Bool { self == .verifyCA || self == .verifyFull }

    /// The TLS settings of the mode, nil for `disable`. `rootCertificate` is a PEM file of trusted
    /// roots, or `system`; given with `prefer` or `require`, the chain is checked as `verify-ca` does.
    package func tlsConfiguration(rootCertificate: String?) -> TLSConfiguration? {
        guard self != .disable else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        switch self {
        case .verifyFull: tls.certificateVerification = .fullVerification
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        default: tls.certificateVerification = rootCertificate == nil ? .none : .noHostnameVerification
        }
        if let rootCertificate, rootCertificate != "system" { tls.trustRoots = .file(rootCertificate) }
        return tls
    }
}
