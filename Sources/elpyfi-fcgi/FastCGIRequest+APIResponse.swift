import ElpyfiCore
import FastCGI

extension FastCGIRequest {
    /// Sends `response` as nginx expects it on FastCGI stdout: the CGI head (`APIResponse.writeCGIHead`), written on
    /// this thread's stack, then the body, in the request's one gathering write.
    @discardableResult
    func respond(_ response: APIResponse) -> Bool {
        withUnsafeTemporaryAllocation(byteCount: response.cgiHeadCount, alignment: 8) { head in
            let count = response.writeCGIHead(into: head)
            return respond(head: UnsafeRawBufferPointer(rebasing: head[..<count]), body: response.body)
        }
    }
}
