import Foundation
import NIOHTTP1
import SigV4

extension FaultProxy {
    /// The headers a server that ignores conditional writes acts as if it never got.
    static let conditionHeaders: Set<String> = ["if-none-match", "if-match"]

    /// `head` without the headers `names` (lowercase; e.g. its conditional headers), signed
    /// again: they are signed headers, so dropping them alone would only earn a
    /// `SignatureDoesNotMatch`. The signed payload hash is kept, so the body goes through untouched.
    static func without(_ names: Set<String>, in head: HTTPRequestHead) throws -> HTTPRequestHead {
        let servers = try TestServers.require()
        let authorization = head.headers.first(name: "authorization") ?? ""
        let signedNames = authorization.split(separator: ",")
            .first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("SignedHeaders=") }
            .map { $0.trimmingCharacters(in: .whitespaces).dropFirst("SignedHeaders=".count).split(separator: ";").map(String.init) } ?? []
        let keep = Set(signedNames).subtracting(names).subtracting(["authorization", "x-amz-date"])
        let signed = head.headers.filter { keep.contains($0.name.lowercased()) }.map { HTTPHeader($0.name.lowercased(), $0.value) }
        let payloadHash = head.headers.first(name: "x-amz-content-sha256") ?? Payload.unsignedLiteral
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let signer = Signer(credentials: Credentials(accessKeyID: servers.accessKey, secretAccessKey: servers.secretKey),
                            region: servers.region)
        let request = signer.signHeaders(method: head.method.rawValue, host: head.headers.first(name: "host") ?? "",
                                         path: String(parts[0]), query: parts.count > 1 ? String(parts[1]) : "",
                                         headers: signed, payload: .sha256(payloadHash), date: Date())
        var unsigned = head.headers
        for name in names.union(keep).union(["authorization", "x-amz-date", "x-amz-content-sha256", "host"]) {
            unsigned.remove(name: name)
        }
        var result = head
        result.headers = HTTPHeaders(request.headers.map { ($0.name, $0.value) })
        result.headers.add(contentsOf: unsigned)
        return result
    }
}
