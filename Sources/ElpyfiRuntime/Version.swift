/// The release of both programs: the one place the version is written.
///
/// `elpyfi-fcgi --version` and `elpyfi-stream --version` print it; `deploy/package` reads this line for the
/// Debian package's version and refuses binaries whose `--version` says otherwise, so the two cannot drift.
public enum Version {
    /// `MAJOR.MINOR.PATCH`.
    public static let current = "0.1.0"
}
