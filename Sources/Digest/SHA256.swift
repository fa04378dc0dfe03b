import CLibCrypto

/// SHA-256 from OpenSSL's libcrypto (this target is the only importer of CLibCrypto).
///
/// libcrypto is mapped into both processes already (libpq links it for TLS), so this keeps
/// hand-rolled crypto out of the code base without swift-crypto, whose Foundation
/// dependency cost each process ~8 MB of resident pages.
///
/// It calls the low-level `SHA256_Init`/`Update`/`Final`, deprecated since OpenSSL 3.0
/// (the shim silences that), rather than `EVP_Digest` or the one-shot `SHA256()`: in 3.x
/// those go through the provider machinery, whose first use reads openssl.cnf and loads the
/// default provider, ~2 MB more resident libcrypto in a process whose libpq connections do
/// not use TLS (measured: 1.4 MB → 3.4 MB, against 1.6 MB for these calls). The low-level
/// ones are plain functions over a stack context.
public enum SHA256 {
    /// Bytes in a digest.
    public static let byteCount = 32

    /// The 32-byte SHA-256 of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: byteCount)
        bytes.withUnsafeBytes { bytes in digest.withUnsafeMutableBytes { hash(bytes, into: $0) } }
        return digest
    }

    /// The SHA-256 of `bytes`, written to the first `byteCount` bytes of `digest`: no array either side, for the
    /// API key check, which takes one per request (an array each way cost ~1.5k instructions of a 40k request:
    /// callgrind, bench/rest-instructions).
    ///
    /// The three calls return 1 unconditionally in OpenSSL 3 (no allocation, no provider);
    /// they are checked anyway, and a failure traps rather than hand out a digest that
    /// would silently never match.
    public static func hash(_ bytes: UnsafeRawBufferPointer, into digest: UnsafeMutableRawBufferPointer) {
        precondition(digest.count >= byteCount, "SHA256.hash: the digest buffer is shorter than 32 bytes")
        var context = SHA256_CTX()
        let initialised = SHA256_Init(&context) == 1
        let updated = initialised && SHA256_Update(&context, bytes.baseAddress, bytes.count) == 1
        let finished = updated && SHA256_Final(digest.baseAddress!.assumingMemoryBound(to: UInt8.self), &context) == 1
        precondition(finished, "libcrypto SHA256_Init/Update/Final failed")
    }
}
