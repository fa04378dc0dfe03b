// swift-tools-version:6.0
// elpyfi-api: a read-only window onto the trading engine's PostgreSQL.
//
// Dependencies, and why each is here:
// - swift-nio: the WebSocket sidecar's HTTP/1 server and RFC 6455 framing (NIOHTTP1 + NIOWebSocket).
// Everything else is a system C library wrapped by one target each: libfcgi (FastCGI), libpq (Postgres),
// and libcrypto (Digest: SHA-256 for `ELPYFI_API_KEY_HASHES` and `keygen`; OpenSSL is in both processes through
// libpq anyway). Nothing may link Foundation: its libraries cost each process ~8 MB of resident memory
// (issue 4), which is why command lines are parsed by ElpyfiRuntime rather than swift-argument-parser and
// SHA-256 comes from libcrypto rather than swift-crypto. Check: `nm .build/release/elpyfi-stream | grep -c 10Foundation`
// prints 0 (ldd cannot tell, since the Swift runtime is linked in statically; see below).
import PackageDescription

// Both executables carry the Swift runtime inside them (`-static-stdlib`, Linux only): each process then maps
// only the runtime pages it uses, 2-3 MB less resident memory than with the shared libraries, which is what keeps
// the sidecar under issue 4's 20 MB idle (measured: worker 16.6 -> 14.0 MB, sidecar 20.1 -> 18.2 MB), and the
// binaries run on hosts without a Swift toolchain. Declared here, on the two executables' link only, rather than
// as `--static-swift-stdlib` on the command line: every `swift build` (deploy/lib/build.sh, the Dockerfile, by
// hand) ships the same binaries, no module is compiled differently for it, and the unit tests still link
// (there is no static Swift Testing library to link them against).
let staticSwiftRuntime: [LinkerSetting] = [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux]))]

let package = Package(
    name: "elpyfi-api",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "elpyfi-fcgi", targets: ["elpyfi-fcgi"]),
        .executable(name: "elpyfi-stream", targets: ["elpyfi-stream"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // C libraries: a module map and a one-line shim each; imported by one wrapper target only.
        .systemLibrary(name: "CFastCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),

        // The only importer of CLibPQ: connections, prepared statements, results, LISTEN.
        .target(name: "Postgres", dependencies: ["CLibPQ"]),
        // The only importer of CFastCGI: listening socket, accept loop, request params, response writer.
        .target(name: "FastCGI", dependencies: ["CFastCGI"]),
        // The only importer of CLibCrypto: SHA-256 of byte arrays, nothing else.
        .target(name: "Digest", dependencies: ["CLibCrypto"]),
        // Plain Swift, no C, no I/O: config, auth, routing, parameters, JSON, errors, queries.
        // (SHA-256 of keys goes through Digest, whose API is plain Swift.)
        .target(name: "ElpyfiCore", dependencies: ["Digest"]),
        // The process edge shared by both executables: environment + `.env` loading, command-line flags
        // and `--help`, stderr log lines.
        .target(name: "ElpyfiRuntime", dependencies: ["ElpyfiCore"]),
        // Plain Swift, no I/O: the stream registry, event parsing and routing, replay ring, listener state machine.
        .target(name: "ElpyfiStream", dependencies: ["ElpyfiCore"]),

        .executableTarget(
            name: "elpyfi-fcgi",
            dependencies: ["ElpyfiCore", "ElpyfiRuntime", "Postgres", "FastCGI"],
            linkerSettings: staticSwiftRuntime
        ),
        .executableTarget(
            name: "elpyfi-stream",
            dependencies: [
                "ElpyfiCore", "ElpyfiRuntime", "ElpyfiStream", "Postgres",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            linkerSettings: staticSwiftRuntime
        ),

        .testTarget(name: "DigestTests", dependencies: ["Digest"]),
        .testTarget(name: "FastCGITests", dependencies: ["FastCGI"]),
        .testTarget(name: "ElpyfiCoreTests", dependencies: ["ElpyfiCore", "ElpyfiRuntime"]),
        .testTarget(name: "ElpyfiRuntimeTests", dependencies: ["ElpyfiRuntime"]),
        .testTarget(name: "ElpyfiStreamTests", dependencies: ["ElpyfiStream", "ElpyfiCore"]),
    ]
)
