import ElpyfiCore

extension Config {
    /// What both programs do first: load the configuration (an error is logged, nil returned: exit
    /// `ExitStatus.badConfiguration`), then say loudly what a reader of the log must know about access
    /// (development mode lets everyone in; which paths are anonymous).
    public static func startUp(envFile: String?, log: Log) -> (config: Config, policy: AccessPolicy)? {
        let config: Config
        do {
            config = try Config.load(envFile: envFile)
        } catch {
            log.error(error.description)
            return nil
        }
        let policy = AccessPolicy(config: config)
        if policy.isDevelopmentMode {
            log.warning("DEVELOPMENT MODE: no ELPYFI_API_KEYS or ELPYFI_API_KEY_HASHES configured; every request is allowed")
        }
        if !config.publicPaths.isEmpty {
            let paths = config.publicPaths.templates.sorted().joined(separator: ",")
            log.info("public paths (anonymous access, cacheable \(config.publicCacheSeconds) s): \(paths)")
        }
        return (config, policy)
    }
}
