import ElpyfiCore

/// The CGI-style response nginx expects on FastCGI stdout: `Status:` line, headers, blank line, body.
enum ResponseEncoding {
    /// The `Status:` line and headers up to the blank line; the body follows as it is
    /// (the transport writes both into the same records).
    static func head(_ response: APIResponse) -> [UInt8] {
        var head = "Status: \(response.status) \(APIResponse.reasonPhrase(response.status))\r\n"
        if let contentType = response.contentType { head += "Content-Type: \(contentType)\r\n" }
        if response.status != 304, response.header("Content-Length") == nil {
            head += "Content-Length: \(response.body.count)\r\n"
        }
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        return Array(head.utf8)
    }
}
