/// Validates a NOTIFY payload and prepares its outgoing frame, in one pass over the bytes.
///
/// Hand-written rather than `JSONSerialization`: the relay must forward the
/// engine's bytes untouched (numbers keep their digits, key order stays), so
/// it only needs to *check* the JSON and find three things in it: the
/// top-level `type`, `data.strategy`, and any top-level `seq` to drop.
public enum EventScanner {
    /// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; anything larger
    /// (a server built with other limits) is refused here too, so one event can never bloat the ring.
    public static let maximumPayloadBytes = 8000
    /// Deeper nesting is refused instead of recursing without bound.
    public static let maximumDepth = 64

    /// The routed event, or why the payload is dropped.
    public static func scan(_ payload: [UInt8]) -> Result<ScannedEvent, PayloadRejection> {
        guard payload.count < maximumPayloadBytes else { return .failure(.tooLarge) }
        var cursor = JSONCursor(payload)
        do {
            cursor.skipWhitespace()
            guard cursor.peek == UInt8(ascii: "{") else {
                try cursor.value(depth: 0)
                cursor.skipWhitespace()
                return .failure(cursor.atEnd ? .notAnObject : .notJSON)
            }
            let objectStart = cursor.index
            let members = try cursor.object(depth: 0, recordMembers: true)
            let objectEnd = cursor.index  // one past the closing brace
            cursor.skipWhitespace()
            guard cursor.atEnd else { return .failure(.notJSON) }
            return build(payload, members: members, objectStart: objectStart, objectEnd: objectEnd)
        } catch {
            return .failure(.notJSON)
        }
    }

    private static func build(_ bytes: [UInt8], members: [JSONMember], objectStart: Int, objectEnd: Int) -> Result<ScannedEvent, PayloadRejection> {
        var type: String?
        var strategy: String?
        // Duplicate names: the last one wins, as in JavaScript's JSON.parse.
        for member in members {
            switch member.name {
            case "type":
                type = member.stringValue
            case "data":
                strategy = member.nestedStrategy
            default:
                break
            }
        }
        guard let type else { return .failure(.missingType) }
        let kept = members.indices.filter { members[$0].name != "seq" }
        var head: [UInt8]
        let last = members[members.count - 1]
        if kept.count == members.count {
            // The common case: the engine's bytes verbatim up to the last value.
            head = Array(bytes[objectStart..<last.valueEnd])
        } else {
            head = Array(bytes[objectStart..<members[0].nameStart])
            for (position, index) in kept.enumerated() {
                if position > 0 { head += bytes[members[index - 1].valueEnd..<members[index].nameStart] }
                head += bytes[members[index].nameStart..<members[index].valueEnd]
            }
        }
        let tail = Array(bytes[last.valueEnd..<objectEnd])
        return .success(ScannedEvent(route: EventRoute(type: type, strategy: strategy), head: head, tail: tail))
    }
}

/// Why a payload is not relayed (counted in `/stream/health` `dropped_payloads`).
public enum PayloadRejection: Error, Equatable, Sendable, CustomStringConvertible {
    /// 8000 bytes or more.
    case tooLarge
    /// Not RFC 8259 JSON (including trailing garbage and invalid UTF-8).
    case notJSON
    /// Valid JSON but not an object.
    case notAnObject
    /// An object without a string `type`.
    case missingType

    /// A short reason for the log.
    public var description: String {
        switch self {
        case .tooLarge: "payload too large"
        case .notJSON: "payload is not JSON"
        case .notAnObject: "payload is not a JSON object"
        case .missingType: "payload has no string \"type\""
        }
    }
}
