import CFastCGI

/// One thread's reusable FastCGI request slot: accept, read params, write, repeat.
///
/// Owned by exactly one thread for its whole life (libfcgi's `FCGX_Request`
/// is not thread-safe), hence `@unchecked Sendable` only to hand it over at start.
public final class FastCGIRequest: @unchecked Sendable {
    private let request: UnsafeMutablePointer<FCGX_Request>

    /// A slot that accepts on `listener`.
    public init(listener: FastCGIListener) {
        request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        FCGX_InitRequest(request, listener.descriptor, 0)
    }

    deinit {
        FCGX_Free(request, 1)
        request.deallocate()
    }

    /// Finishes the previous request and waits for the next; false once shutdown began or the socket failed.
    public func accept() -> Bool {
        FCGX_Accept_r(request) >= 0
    }

    /// A CGI parameter of the current request (`REQUEST_URI`, `HTTP_X_API_KEY`, ...).
    public func parameter(_ name: String) -> String? {
        guard let value = FCGX_GetParam(name, request.pointee.envp) else { return nil }
        return String(cString: value)
    }

    /// Every value of a parameter that may occur more than once.
    ///
    /// nginx before 1.23 passes each repeated request header as its own
    /// `HTTP_*` parameter, and `FCGX_GetParam` would return only the first:
    /// a valid `X-API-Key` line followed by a junk one must not pass as valid.
    public func parameterValues(_ name: String) -> [String] {
        let prefix = Array((name + "=").utf8)
        var values: [String] = []
        guard var cursor = request.pointee.envp else { return values }
        while let entry = cursor.pointee {
            let matches = prefix.indices.allSatisfy { entry[$0] != 0 && UInt8(bitPattern: entry[$0]) == prefix[$0] }
            if matches { values.append(String(cString: entry + prefix.count)) }
            cursor += 1
        }
        return values
    }

    /// Writes `bytes` to the current request's stdout stream (buffered by libfcgi; sent at finish).
    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                _ = FCGX_PutStr(chars.baseAddress, Int32(chars.count), request.pointee.out)
            }
        }
    }

    /// Ends the current request now (the next `accept` would too).
    public func finish() {
        FCGX_Finish_r(request)
    }
}
