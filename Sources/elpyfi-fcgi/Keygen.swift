import ElpyfiCore
import ElpyfiRuntime

/// `elpyfi-fcgi keygen`: a new key and the SHA-256 to put in `ELPYFI_API_KEY_HASHES`.
enum Keygen {
    /// No options; the help text says what the two output lines are.
    static let command = CommandSpec(
        name: "elpyfi-fcgi keygen",
        abstract: "Print a new API key and its SHA-256 (for ELPYFI_API_KEY_HASHES).",
        discussion: "Output is two lines: 'key: elpyfi_…' and 'sha256: <hex>'. Give clients the key; configure the hash."
    )

    /// Prints the two lines.
    static func run() {
        let key = KeyGenerator.newKey()
        print("key: \(key)")
        print("sha256: \(Hex.encode(APIKeyVerifier.sha256(key)))")
    }
}
