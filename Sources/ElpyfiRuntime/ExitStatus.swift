/// The exit statuses both executables use, so a supervisor reads them the same way.
public enum ExitStatus {
    /// Stopped by SIGTERM/SIGINT after a clean shutdown, or a one-shot command that succeeded.
    public static let stopped: Int32 = 0
    /// Could not serve although the configuration was fine (socket taken, every thread failed).
    public static let failed: Int32 = 1
    /// A malformed `ELPYFI_` value or option value: fix the configuration, restarting will not help.
    public static let badConfiguration: Int32 = 2
    /// A command-line mistake (`EX_USAGE` from sysexits.h, what swift-argument-parser exited with).
    public static let usage: Int32 = 64
}
