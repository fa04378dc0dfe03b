import ElpyfiCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Config {
    /// The configuration of this process: its environment over the `.env` file at `envFile`
    /// (or `./.env` when nil and it exists). A named file that cannot be read is a config error.
    public static func load(envFile: String?) throws(ConfigError) -> Config {
        let dotEnv: String?
        if let envFile {
            guard let contents = readTextFile(envFile) else {
                throw ConfigError(variable: "--env-file", reason: "cannot read \(envFile)")
            }
            dotEnv = contents
        } else {
            dotEnv = readTextFile(".env")
        }
        let environment = mergedEnvironment(process: processEnvironment(), dotEnvContents: dotEnv)
        return try Config(environment: environment, defaultThreads: numberOfCores())
    }

    /// `environ` as a dictionary.
    public static func processEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            cursor += 1
        }
        return result
    }

    /// Online processors, at least 1.
    public static func numberOfCores() -> Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// A whole small text file, nil when it cannot be opened.
    static func readTextFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
