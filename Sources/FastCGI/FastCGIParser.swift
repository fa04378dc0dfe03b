/// One FastCGI responder request read off a connection (FastCGI 1.0 spec §3.3, §5.1): its id, whether the
/// web server keeps the connection for more requests (`FCGI_KEEP_CONN`), and its parameters.
///
/// Plain Swift, no I/O: the server hands it the bytes a connection has received so far.
public struct FastCGIRequestHead: Sendable, Equatable {
    /// The request id, echoed in every record of the answer.
    public let requestID: Int
    /// `FCGI_KEEP_CONN`: the connection stays open after the answer (nginx's `fastcgi_keep_conn on`).
    public let keepConnection: Bool
    /// The parameters' name-value pairs as sent, back to back (`PARAMS` stream content).
    let pairs: [UInt8]
    /// Where each name and value lies in `pairs`.
    let fields: [Field]

    struct Field: Sendable, Equatable {
        let name: Range<Int>
        let value: Range<Int>
    }

    /// The first value of the parameter `name` (`REQUEST_URI`, `HTTP_X_API_KEY`, ...), nil when absent.
    public func parameter(_ name: String) -> String? {
        var name = name
        return name.withUTF8 { wanted in
            fields.first { matches($0, wanted) }.map { String(decoding: pairs[$0.value], as: UTF8.self) }
        }
    }

    /// Every value of a parameter that may occur more than once (nginx before 1.23 passes each repeated
    /// request header as its own `HTTP_*` parameter: a valid key line followed by a junk one must not pass).
    public func parameterValues(_ name: String) -> [String] {
        var name = name
        return name.withUTF8 { wanted in
            fields.filter { matches($0, wanted) }.map { String(decoding: pairs[$0.value], as: UTF8.self) }
        }
    }

    private func matches(_ field: Field, _ wanted: UnsafeBufferPointer<UInt8>) -> Bool {
        field.name.count == wanted.count && pairs[field.name].elementsEqual(wanted)
    }
}

/// Reads requests from a connection's received bytes.
public enum FastCGIParser {
    /// What the bytes received so far hold.
    public enum Outcome: Equatable, Sendable {
        /// Not yet a whole request: read more.
        case incomplete
        /// A whole request; it took the first `consumed` bytes.
        case request(FastCGIRequestHead, consumed: Int)
        /// Not FastCGI as a web server speaks it: close the connection.
        case invalid
    }

    static let beginRequest: UInt8 = 1
    static let params: UInt8 = 4
    static let stdin: UInt8 = 5
    /// A request with more parameter bytes than this is refused (nginx's own header limits are far below).
    static let maxParameterBytes = 1 << 20
    /// Bytes a connection may hold without a whole request in them (parameters, headers, padding, skipped body
    /// records): past this it is closed, so a peer that never completes a request cannot grow it without bound.
    public static let maxRequestBytes = 2 << 20

    /// The first request in `bytes`: `BEGIN_REQUEST`, `PARAMS` up to the empty record, then `STDIN` up to the
    /// empty record (nginx sends no body: `fastcgi_pass_request_body off`; any body bytes are skipped).
    /// Records of other types (management records, `ABORT_REQUEST`) are skipped.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Outcome {
        var offset = 0
        var requestID: Int?
        var keep = false
        var pairs: [UInt8] = []
        var paramsEnded = false
        while offset + 8 <= bytes.count {
            guard bytes[offset] == 1 else { return .invalid }
            let type = bytes[offset + 1]
            let id = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            let length = Int(bytes[offset + 4]) << 8 | Int(bytes[offset + 5])
            let end = offset + 8 + length + Int(bytes[offset + 6])
            guard end <= bytes.count else { return .incomplete }
            let content = UnsafeBufferPointer(rebasing: bytes[(offset + 8)..<(offset + 8 + length)])
            switch type {
            case beginRequest:
                guard requestID == nil, length >= 8, content[0] == 0, content[1] == 1 /* FCGI_RESPONDER */ else {
                    return .invalid
                }
                requestID = id
                keep = content[2] & 1 != 0
            case params where id == requestID && !paramsEnded:
                if length == 0 { paramsEnded = true } else { pairs.append(contentsOf: content) }
                guard pairs.count <= maxParameterBytes else { return .invalid }
            case stdin where id == requestID && paramsEnded:
                if length == 0 {
                    guard let requestID, let fields = fields(pairs) else { return .invalid }
                    return .request(FastCGIRequestHead(requestID: requestID, keepConnection: keep, pairs: pairs,
                                                       fields: fields), consumed: end)
                }
            case params, stdin:
                return .invalid
            default:
                break
            }
            offset = end
        }
        return .incomplete
    }

    /// The name-value pairs of a `PARAMS` stream (§3.4: lengths of 1 byte, or 4 with the high bit set).
    static func fields(_ pairs: [UInt8]) -> [FastCGIRequestHead.Field]? {
        var fields: [FastCGIRequestHead.Field] = []
        fields.reserveCapacity(24)
        var index = 0
        func length() -> Int? {
            guard index < pairs.count else { return nil }
            if pairs[index] & 0x80 == 0 {
                index += 1
                return Int(pairs[index - 1])
            }
            guard index + 4 <= pairs.count else { return nil }
            let value = Int(pairs[index] & 0x7F) << 24 | Int(pairs[index + 1]) << 16 | Int(pairs[index + 2]) << 8
                | Int(pairs[index + 3])
            index += 4
            return value
        }
        while index < pairs.count {
            guard let nameLength = length(), let valueLength = length(),
                  index + nameLength + valueLength <= pairs.count else { return nil }
            fields.append(.init(name: index..<(index + nameLength), value: (index + nameLength)..<(index + nameLength + valueLength)))
            index += nameLength + valueLength
        }
        return fields
    }
}
