extension APIResponse {
    /// Turns a keyed 200/304 into the anonymous one (docs/CONTRACT.md "Public dashboard access"):
    /// `Cache-Control: public, max-age=N` so that a CDN may cache it too, and `X-Accel-Expires: N`, which tells
    /// nginx's shared anonymous cache to keep it N seconds. nginx never passes `X-Accel-Expires` on to the client,
    /// and stores in that cache only answers that carry it (nginx/snippets/cache-map.conf), so a keyed answer can
    /// never land there.
    public mutating func makePublic(maxAgeSeconds: Int) {
        guard status == 200 || status == 304 else { return }
        headers.removeAll { $0.0.lowercased() == "cache-control" }
        headers.append(("Cache-Control", "public, max-age=\(maxAgeSeconds)"))
        if status == 200 { headers.append(("X-Accel-Expires", String(maxAgeSeconds))) }
    }
}
