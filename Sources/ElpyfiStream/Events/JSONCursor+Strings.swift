import ElpyfiCore

/// Strings: RFC 8259 escapes (with surrogate pairs), no raw control characters, well-formed UTF-8.
extension JSONCursor {
    /// Validates a string (escapes, control characters, UTF-8); returns its decoded text when asked.
    mutating func string(decode: Bool) throws(Invalid) -> String? {
        index += 1  // opening quote
        let start = index
        var decoded: [UInt8]? = nil
        while true {
            guard let byte = peek else { throw Invalid() }
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard decode else { return nil }
                return String(decoding: decoded ?? Array(bytes[start..<(index - 1)]), as: UTF8.self)
            case UInt8(ascii: "\\"):
                if decode && decoded == nil { decoded = Array(bytes[start..<index]) }
                try escape(into: &decoded)
            case 0x00..<0x20:
                throw Invalid()
            case 0x00..<0x80:
                decoded?.append(byte)
                index += 1
            default:
                let length = try utf8SequenceLength(at: index)
                decoded?.append(contentsOf: bytes[index..<(index + length)])
                index += length
            }
        }
    }

    private mutating func escape(into decoded: inout [UInt8]?) throws(Invalid) {
        index += 1
        guard let byte = peek else { throw Invalid() }
        index += 1
        if let simple = JSONCursor.shortEscapes[byte] {
            decoded?.append(simple)
            return
        }
        guard byte == UInt8(ascii: "u") else { throw Invalid() }
        var scalar = try hex4()
        // A high surrogate followed by an escaped low surrogate is one character; lone ones are legal JSON
        // (RFC 8259 §8.2) and decode to U+FFFD, which only matters for matching `type`.
        if (0xD800..<0xDC00).contains(scalar), index + 1 < bytes.count,
           bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
            let save = index
            index += 2
            let low = try hex4()
            if (0xDC00..<0xE000).contains(low) {
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else {
                index = save
            }
        }
        if decoded != nil {
            let character = Unicode.Scalar(scalar) ?? "\u{FFFD}"
            decoded!.append(contentsOf: String(character).utf8)
        }
    }

    /// The byte each two-character escape stands for, by the letter after the backslash (RFC 8259 §7).
    private static let shortEscapes: [UInt8: UInt8] = [
        UInt8(ascii: "\""): 0x22, UInt8(ascii: "\\"): 0x5C, UInt8(ascii: "/"): 0x2F,
        UInt8(ascii: "b"): 0x08, UInt8(ascii: "f"): 0x0C, UInt8(ascii: "n"): 0x0A, UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09,
    ]

    private mutating func hex4() throws(Invalid) -> UInt32 {
        guard index + 4 <= bytes.count else { throw Invalid() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let nibble = Hex.value(bytes[index]) else { throw Invalid() }
            value = value << 4 | UInt32(nibble)
            index += 1
        }
        return value
    }

    /// The length of the well-formed UTF-8 sequence at `position` (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF).
    private func utf8SequenceLength(at position: Int) throws(Invalid) -> Int {
        let first = bytes[position]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch first {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw Invalid()
        }
        guard position + length <= bytes.count else { throw Invalid() }
        let second = bytes[position + 1]
        guard second >= low, second <= high else { throw Invalid() }
        for offset in 2..<max(2, length) where bytes[position + offset] & 0xC0 != 0x80 { throw Invalid() }
        return length
    }
}
