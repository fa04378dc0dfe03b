import ArgumentParser

/// `elpyfi-fcgi`: the REST worker (`serve`, the default) and the key generator (`keygen`).
@main
struct ElpyfiFCGI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "elpyfi-fcgi",
        abstract: "Read-only REST API of the elpyfi trading engine, as a FastCGI responder behind nginx.",
        subcommands: [Serve.self, Keygen.self],
        defaultSubcommand: Serve.self
    )
}
