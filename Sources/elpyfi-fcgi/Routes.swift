import ElpyfiCore
import ElpyfiRuntime

/// `elpyfi-fcgi routes`: the endpoint table for tools that must agree with it (deploy/render-nginx writes
/// nginx's route map from `--format nginx`; the openapi test compares `--format json` with `openapi.yaml`).
enum Routes {
    /// `nginx` or `json`.
    static let format = Flag("format", help: "nginx (route-map lines) or json (paths, parameters, fields); default json.")

    /// The one option above.
    static let command = CommandSpec(
        name: "elpyfi-fcgi routes",
        abstract: "Print the REST endpoint table (for deploy/render-nginx and the openapi test).",
        flags: [format]
    )

    /// Prints the table; exit status 64 for an unknown format.
    static func run(_ flags: ParsedFlags) -> Int32 {
        switch flags.text(format) ?? "json" {
        case "nginx": print(EndpointTable.nginxRouteMap)
        case "json": print(EndpointTable.json)
        default:
            Log(component: "fcgi").error("invalid --format: must be nginx or json")
            return ExitStatus.usage
        }
        return ExitStatus.stopped
    }
}
