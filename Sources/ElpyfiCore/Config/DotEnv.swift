/// The `.env` format the deploy scripts write: `KEY=value` lines, `#` comments,
/// optional `export ` prefix, optional single or double quotes around the value,
/// and ` # comment` after an unquoted value.
public enum DotEnv {
    /// The variables of `contents`; malformed lines are skipped (the environment is the authority, not this file).
    public static func parse(_ contents: String) -> [String: String] {
        var result: [String: String] = [:]
        for rawLine in contents.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            var line = String(rawLine).trimmingASCIIWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingASCIIWhitespace() }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals]).trimmingASCIIWhitespace()
            var value = String(line[line.index(after: equals)...]).trimmingASCIIWhitespace()
            if let first = value.first, first == "\"" || first == "'",
               let closing = value.dropFirst().firstIndex(of: first),
               String(value[value.index(after: closing)...]).trimmingASCIIWhitespace().hasPrefix("#") {
                // `KEY="value" # note`: the quoted value ends at its closing quote, the note is dropped.
                value = String(value[value.index(after: value.startIndex)..<closing])
            } else if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            } else if let comment = value.firstRange(of: " #") {
                // `KEY=value # note`: an unquoted value ends at a space-hash, so a note never becomes part of a key.
                value = String(value[..<comment.lowerBound]).trimmingASCIIWhitespace()
            }
            guard !key.isEmpty else { continue }
            result[key] = value
        }
        return result
    }
}
