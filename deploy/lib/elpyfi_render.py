"""elpyfi_render: what deploy/render-nginx and deploy/render-prometheus share, one helper per concern.

Settings (the environment, or an env file), checked values that name the variable when malformed, comma lists,
`${ELPYFI_...}` templates, and writing a rendered tree so that a failure writes nothing. Installed by the package
under /usr/share/elpyfi/deploy/lib with the scripts, which find it beside themselves.

`python3 elpyfi_render.py conffile EXAMPLE` prints the package's /etc/elpyfi/elpyfi.env: deploy/elpyfi.env.example
with the packaged layout's values (SYSTEM_DEFAULTS) in place of the development ones.
"""

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

# host:port as the programs accept it (ListenAddress): a name or IPv4 address, or an IPv6 address in brackets.
HOST_PORT = r"^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}$"
# Paths spliced into nginx directives: absolute, and nothing that could end or open a directive.
NGINX_PATH = r"""^/[^;{}"'\s]*$"""

# Where the Debian package puts things: the values the renderers use with --system, and the ones written into the
# package's /etc/elpyfi/elpyfi.env (`conffile` below), so the file, the units and the renderers agree.
SYSTEM_ENV_FILE = "/etc/elpyfi/elpyfi.env"
SYSTEM_DEFAULTS = {
    # Four socket-activated workers (elpyfi-fcgi@{1..4}.socket, /lib/systemd/system/elpyfi-fcgi@.socket).
    "ELPYFI_FCGI_UPSTREAMS": ",".join(f"/run/elpyfi/fcgi-{n}.sock" for n in range(1, 5)),
    # Debian's ssl-cert package makes this pair at install; replace it with the host's real certificate.
    "ELPYFI_TLS_CERT": "/etc/ssl/certs/ssl-cert-snakeoil.pem",
    "ELPYFI_TLS_KEY": "/etc/ssl/private/ssl-cert-snakeoil.key",
    # nginx's access and error logs for the elpyfi servers (made by the package's postinst, rotated by logrotate).
    "ELPYFI_NGINX_RUN_DIR": "/var/log/elpyfi",
    "ELPYFI_DOC_ROOT": "/usr/share/elpyfi",
}


class RenderError(Exception):
    """A setting or a file the renderer cannot use; the message names it."""


def fail(message: str) -> None:
    """The scripts' one error path: `error: ...` on stderr, exit 1, nothing written."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def step(message: str) -> None:
    """One line per step on stdout, as the shell scripts print them."""
    print(f"==> {message}")


def parse_env_file(text: str) -> dict:
    """`KEY=value` lines as the programs read them (Sources/ElpyfiCore/Config/DotEnv.swift) and systemd's
    EnvironmentFile= accepts them: `#` comments, optional `export `, optional quotes, ` # note` after a bare value."""
    values = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[7:].strip()
        key, equals, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not equals or not key:
            continue
        quoted = re.match(r"""^(["'])(.*?)\1\s*(#.*)?$""", value)
        if quoted:
            value = quoted.group(2)
        elif " #" in value:
            value = value.split(" #", 1)[0].strip()
        values[key] = value
    return values


def read_settings(env_file: str | None) -> dict:
    """The ELPYFI_* settings: the env file alone when one is given (what the systemd units read, so nginx and the
    programs agree), else the environment (deploy/dev-up, deploy/test, the tests)."""
    if env_file is None:
        return {k: v for k, v in os.environ.items() if k.startswith("ELPYFI_")}
    try:
        text = Path(env_file).read_text()
    except OSError as error:
        raise RenderError(f"cannot read {env_file}: {error.strerror}") from None
    return {k: v for k, v in parse_env_file(text).items() if k.startswith("ELPYFI_")}


def with_defaults(settings: dict, defaults: dict, keep_empty: tuple = ()) -> dict:
    """settings over defaults; an empty value counts as unset except for the keys in keep_empty (for them empty
    means none, e.g. no CORS origin at all)."""
    merged = dict(defaults)
    for key, value in settings.items():
        if value != "" or key in keep_empty or key not in defaults:
            merged[key] = value
    return merged


def check(settings: dict, name: str, pattern: str, what: str) -> None:
    """A malformed value stops the renderer here, naming the variable (nginx's or promtool's own message would not)."""
    value = settings.get(name, "")
    if not re.search(pattern, value):
        raise RenderError(f"{name}='{value}' is not valid ({what})")


def comma_list(value: str) -> list:
    """A comma-separated setting's entries, whitespace removed, blanks dropped (`a, b,,c` -> a b c)."""
    return [entry for entry in (re.sub(r"\s", "", part) for part in value.split(",")) if entry]


def substitute(template: str, values: dict) -> str:
    """`${NAME}` replaced for the names in values only, so nginx's own `$variables` and Prometheus' `{{ $labels }}`
    stay; a `${ELPYFI_...}` left over means a template needs a value this renderer does not provide."""
    return re.sub(r"\$\{([A-Z0-9_]+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


def leftover_placeholders(files: dict) -> list:
    """`file:line: text` of each `${ELPYFI_...}` nothing filled."""
    found = []
    for rel, text in sorted(files.items()):
        for number, line in enumerate(text.splitlines(), 1):
            if "${ELPYFI_" in line:
                found.append(f"{rel}:{number}: {line.strip()}")
    return found


def render_templates(template_dir: Path, patterns: list, values: dict) -> dict:
    """Every template matching patterns (relative to template_dir, e.g. `*.conf`, `snippets/*.conf`), filled in:
    {relative path: text}. Any template there is rendered, so a new snippet needs no change here."""
    files = {}
    for pattern in patterns:
        for template in sorted(template_dir.glob(pattern)):
            files[str(template.relative_to(template_dir))] = substitute(template.read_text(), values)
    left = leftover_placeholders(files)
    if left:
        raise RenderError("unrendered placeholders (add them to the renderer):\n" + "\n".join(left))
    return files


MANIFEST = ".elpyfi-rendered"


def check_outdir(out: Path, known_file: str) -> None:
    """OUTDIR must be new, empty, or a directory rendered before (it holds MANIFEST, or known_file from a render by
    an older version): only files of ours are ever replaced, so a mistyped OUTDIR never loses anything."""
    if out.is_dir() and not (out / MANIFEST).is_file() and not (out / known_file).is_file() and any(out.iterdir()):
        raise RenderError(f"{out} is not empty and was not rendered by this script (no {MANIFEST}): "
                          "choose a new or empty directory")


def write_tree(out: Path, files: dict) -> None:
    """Writes files into out: the files listed by an earlier render go first (a template may be gone since), then
    this render's, listed anew in MANIFEST."""
    out.mkdir(parents=True, exist_ok=True)
    manifest = out / MANIFEST
    if manifest.is_file():
        for rel in manifest.read_text().splitlines():
            if re.fullmatch(r"([A-Za-z0-9._-]+/)?[A-Za-z0-9._-]+\.(conf|yml)", rel):
                (out / rel).unlink(missing_ok=True)
    for rel, text in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    manifest.write_text("".join(f"{rel}\n" for rel in files))


def stage_tree(files: dict, parent: Path) -> Path:
    """files written into a new directory beside where they will live (same file system: the swap is a rename)."""
    parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=".elpyfi-new-", dir=parent))
    write_tree(staged, files)
    staged.chmod(0o755)
    return staged


def swap_in(staged: Path, target: Path) -> Path | None:
    """staged takes target's place; the previous tree (if any) is kept aside and returned, for restore_or_drop."""
    previous = None
    if target.exists():
        previous = target.with_name(f".{target.name}.old")
        shutil.rmtree(previous, ignore_errors=True)
        target.rename(previous)
    staged.rename(target)
    return previous


def restore_or_drop(target: Path, previous: Path | None, keep_new: bool) -> None:
    """After the check of a swapped-in tree: keep it (drop the previous one), or put the previous one back."""
    if keep_new:
        if previous:
            shutil.rmtree(previous, ignore_errors=True)
        return
    shutil.rmtree(target, ignore_errors=True)
    if previous:
        previous.rename(target)


def conffile(example: str) -> str:
    """The package's elpyfi.env: the example's lines, with each SYSTEM_DEFAULTS key set (uncommented if need be)
    to the packaged layout's value; every other key keeps the example's default."""
    lines = []
    for line in example.splitlines():
        key = re.match(r"^#?(ELPYFI_[A-Z0-9_]+)=", line)
        if key and key.group(1) in SYSTEM_DEFAULTS:
            line = f"{key.group(1)}={SYSTEM_DEFAULTS[key.group(1)]}"
        lines.append(line)
    missing = [k for k in SYSTEM_DEFAULTS if not any(l.startswith(f"{k}=") for l in lines)]
    if missing:
        lines += ["", "# --- the packaged layout ---"] + [f"{k}={SYSTEM_DEFAULTS[k]}" for k in missing]
    header = ["# /etc/elpyfi/elpyfi.env: read by the elpyfi units (EnvironmentFile=) and by elpyfi-render-nginx and",
              "# elpyfi-render-prometheus. After an edit: the renderers, then restart the units and reload nginx.", ""]
    return "\n".join(header + lines) + "\n"


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "conffile":
        sys.stdout.write(conffile(Path(sys.argv[2]).read_text()))
    else:
        fail("usage: elpyfi_render.py conffile deploy/elpyfi.env.example")
