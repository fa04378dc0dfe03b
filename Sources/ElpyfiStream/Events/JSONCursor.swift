import ElpyfiCore

/// One member of an object the scanner was asked to record.
struct JSONMember {
    /// The decoded member name.
    var name: String
    /// Index of the name's opening quote.
    var nameStart: Int
    /// One past the value's last byte.
    var valueEnd: Int
    /// The decoded value, for string members named `type` or `strategy` only (nil for any other kind of value).
    var stringValue: String?
    /// For a member named `data` whose value is an object: its string `strategy`.
    var nestedStrategy: String?
}

/// A strict RFC 8259 validator over a byte array (UTF-8 checked, no trailing commas, no NaN).
struct JSONCursor {
    struct Invalid: Error {}

    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index >= bytes.count }
    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// Validates one value starting at the cursor (no leading whitespace).
    mutating func value(depth: Int) throws(Invalid) {
        guard let byte = peek else { throw Invalid() }
        switch byte {
        case UInt8(ascii: "{"): _ = try object(depth: depth, recordMembers: false)
        case UInt8(ascii: "["): try array(depth: depth)
        case UInt8(ascii: "\""): _ = try string(decode: false)
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: try number()
        }
    }

    /// Validates an object; with `recordMembers`, returns its members (names decoded).
    mutating func object(depth: Int, recordMembers: Bool) throws(Invalid) -> [JSONMember] {
        guard depth < EventScanner.maximumDepth, peek == UInt8(ascii: "{") else { throw Invalid() }
        index += 1
        var members: [JSONMember] = []
        skipWhitespace()
        if peek == UInt8(ascii: "}") { index += 1; return members }
        while true {
            skipWhitespace()
            let nameStart = index
            guard peek == UInt8(ascii: "\"") else { throw Invalid() }
            let name = try string(decode: recordMembers)
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { throw Invalid() }
            index += 1
            skipWhitespace()
            if recordMembers, let name {
                members.append(try recordedValue(name: name, nameStart: nameStart, depth: depth))
            } else {
                try value(depth: depth + 1)
            }
            skipWhitespace()
            guard let next = peek else { throw Invalid() }
            index += 1
            if next == UInt8(ascii: "}") { return members }
            guard next == UInt8(ascii: ",") else { throw Invalid() }
        }
    }

    private mutating func recordedValue(name: String, nameStart: Int, depth: Int) throws(Invalid) -> JSONMember {
        var member = JSONMember(name: name, nameStart: nameStart, valueEnd: 0)
        if peek == UInt8(ascii: "\"") {
            member.stringValue = try string(decode: name == "type" || name == "strategy")
        } else if name == "data" && depth == 0 && peek == UInt8(ascii: "{") {
            let nested = try object(depth: depth + 1, recordMembers: true)
            member.nestedStrategy = nested.last { $0.name == "strategy" }?.stringValue
        } else {
            try value(depth: depth + 1)
        }
        member.valueEnd = index
        return member
    }

    private mutating func array(depth: Int) throws(Invalid) {
        guard depth < EventScanner.maximumDepth else { throw Invalid() }
        index += 1
        skipWhitespace()
        if peek == UInt8(ascii: "]") { index += 1; return }
        while true {
            skipWhitespace()
            try value(depth: depth + 1)
            skipWhitespace()
            guard let next = peek else { throw Invalid() }
            index += 1
            if next == UInt8(ascii: "]") { return }
            guard next == UInt8(ascii: ",") else { throw Invalid() }
        }
    }

    private mutating func literal(_ word: StaticString) throws(Invalid) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw Invalid() }
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: count)
        for offset in 0..<count where bytes[index + offset] != expected[offset] { throw Invalid() }
        index += count
    }

    /// A number, by the grammar `JSONNumber` holds.
    private mutating func number() throws(Invalid) {
        guard let end = JSONNumber.end(of: bytes, from: index) else { throw Invalid() }
        index = end
    }
}
