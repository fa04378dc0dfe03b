import ArgumentParser
import ElpyfiCore

/// `elpyfi-fcgi keygen`: a new key and the SHA-256 to put in `ELPYFI_API_KEY_HASHES`.
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a new API key and its SHA-256 (for ELPYFI_API_KEY_HASHES).",
        discussion: "Output is two lines: 'key: elpyfi_…' and 'sha256: <hex>'. Give clients the key; configure the hash."
    )

    func run() {
        let key = KeyGenerator.newKey()
        print("key: \(key)")
        print("sha256: \(Hex.encode(APIKeyVerifier.sha256(key)))")
    }
}
