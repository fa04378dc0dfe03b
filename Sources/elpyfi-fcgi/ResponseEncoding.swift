import ElpyfiCore

/// The CGI-style response nginx expects on FastCGI stdout: `Status:` line, headers, blank line, body.
enum ResponseEncoding {
    /// Header block and body in one buffer, so libfcgi sends it in as few records as possible.
    static func bytes(_ response: APIResponse) -> [UInt8] {
        var head = "Status: \(response.status) \(APIResponse.reasonPhrase(response.status))\r\n"
        if let contentType = response.contentType { head += "Content-Type: \(contentType)\r\n" }
        if response.status != 304, response.header("Content-Length") == nil {
            head += "Content-Length: \(response.body.count)\r\n"
        }
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        var out = Array(head.utf8)
        out.append(contentsOf: response.body)
        return out
    }
}
