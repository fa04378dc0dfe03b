"""The Debian package, on this machine, as an operator would use it: built from the checkout (deploy/package, with
the release binaries deploy/test already built), checked by lintian, installed with apt, its installed binaries and
units run against the test PostgreSQL behind the system's nginx layout (rendered by the installed
elpyfi-render-nginx), a slice of the end-to-end suite through it, an upgrade that keeps an edited conffile, then
removal and purge.

No systemd runs here, so its part is played in two halves: each dpkg run sees a stand-in `systemctl` (in a private
mount namespace where /run/systemd/system exists, so the maintainer scripts believe systemd runs) that records what
the scripts ask of it, and the test acts on those requests the way systemd would, starting the services from the
installed unit files (unit_exec.py). The tests run in order and share one install; needs root (CI runs as root).
"""

from __future__ import annotations

import fcntl
import grp
import os
import pathlib
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import time

import pytest
import requests

from extra_processes import REPO, free_port  # free_port: below the ephemeral range, no outgoing connection takes it

HERE = pathlib.Path(__file__).resolve().parent
UNITS = pathlib.Path("/lib/systemd/system")
CONFFILE = pathlib.Path("/etc/elpyfi/elpyfi.env")
NGINX_TREE = pathlib.Path("/etc/nginx/elpyfi")
NGINX_INCLUDE = pathlib.Path("/etc/nginx/conf.d/elpyfi.conf")
WORKERS = (1, 2)
CLEAN_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="installs a package: needs root (CI runs as root)")


def _run(cmd: list, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, **kw)
    assert proc.returncode == 0, f"{cmd}: exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


class Host:
    """The package's life on this machine: its .debs, dpkg runs with the recording systemctl, the services the test
    starts from the installed units, and an nginx that includes the rendered config as Debian's nginx.conf would."""

    def __init__(self, tmp: pathlib.Path):
        self.tmp = tmp
        self.record = tmp / "systemctl.record"
        self.stub = tmp / "stub"
        self.stub.mkdir()
        (self.stub / "systemctl").write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >>{self.record}\n')
        (self.stub / "systemctl").chmod(0o755)
        self.services: dict[str, subprocess.Popen] = {}
        self.nginx: subprocess.Popen | None = None
        self.debs: dict[int, pathlib.Path] = {}
        self.ports: dict[str, int] = {}

    def deb(self, revision: int) -> pathlib.Path:
        """deploy/package --revision N from the binaries deploy/test built (nothing is compiled)."""
        if revision not in self.debs:
            env = {**os.environ, "BIN_DIR": os.environ["ELPYFI_TEST_BIN_DIR"]}
            out = _run([str(REPO / "deploy/package"), "--revision", str(revision), "--out", str(self.tmp / "debs")],
                       env=env, timeout=600).stdout
            self.debs[revision] = pathlib.Path(out.strip().splitlines()[-1])
        return self.debs[revision]

    def dpkg(self, *cmd: str) -> list:
        """Runs a package command as if systemd ran (private mount namespace), non-interactively with stdin closed
        (a conffile prompt would fail, not hang); the systemctl lines the maintainer scripts sent."""
        self.record.write_text("")
        script = ('mkdir -p /run/systemd && mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/system && '
                  f'PATH={self.stub}:$PATH exec "$@"')
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        _run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *cmd], env=env, timeout=600)
        return self.record.read_text().splitlines()

    def apt_install(self, deb: pathlib.Path) -> list:
        # apt runs dpkg with its own PATH (DPkg::Path): the stand-in goes first there too.
        return self.dpkg("apt-get", "install", "-y", "-q", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=300",
                         "-o", f"DPkg::Path={self.stub}:/usr/sbin:/usr/bin:/sbin:/bin", str(deb))

    # -- the services, started from the installed units ----------------------------------------------------------
    def start(self, name: str) -> subprocess.Popen:
        """`systemctl start` of one unit: elpyfi-fcgi@N (with its socket) or elpyfi-stream."""
        if name.startswith("elpyfi-fcgi@"):
            n = name.split("@")[1]
            cmd = [sys.executable, str(HERE / "unit_exec.py"), str(UNITS / "elpyfi-fcgi@.service"), "--instance", n,
                   "--socket", str(UNITS / "elpyfi-fcgi@.socket")]
        else:
            cmd = [sys.executable, str(HERE / "unit_exec.py"), str(UNITS / f"{name}.service")]
        log = open(self.tmp / f"{name}.log", "a")
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, env=CLEAN_ENV)
        self.services[name] = proc
        return proc

    def stop(self, name: str) -> None:
        proc = self.services.pop(name, None)
        if proc and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # KillSignal=SIGTERM
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)

    def try_restart(self, pattern: str) -> None:
        """What systemd does with `try-restart PATTERN`: each running unit it matches, stopped and started again."""
        regex = re.compile(re.escape(pattern.removesuffix(".service")).replace(r"\*", ".*") + "$")
        for name in [n for n, p in self.services.items() if regex.match(n) and p.poll() is None]:
            self.stop(name)
            self.start(name)

    def stop_all(self) -> None:
        for name in list(self.services):
            self.stop(name)

    # -- nginx: Debian's nginx.conf (the sites left out: nothing on port 80), its pid and logs in tmp --------------
    def start_nginx(self) -> None:
        main = pathlib.Path("/etc/nginx/nginx.conf").read_text()
        main = re.sub(r"(?m)^\s*pid\s+[^;]+;", f"pid {self.tmp}/nginx.pid;", main)
        main = re.sub(r"(?m)^\s*include\s+/etc/nginx/sites-enabled/\*;", "", main)
        main = re.sub(r"(?m)^(\s*)(access_log|error_log)\s+/var/log/nginx/([a-z]+)\.log;",
                      rf"\1\2 {self.tmp}/nginx-\3.log;", main)
        assert "include /etc/nginx/conf.d/*.conf;" in main
        (self.tmp / "nginx-main.conf").write_text(main)
        self.nginx = subprocess.Popen(["nginx", "-c", str(self.tmp / "nginx-main.conf"), "-e",
                                       str(self.tmp / "nginx-error.log"), "-g", "daemon off;"],
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop_nginx(self) -> None:
        if self.nginx and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)
            try:
                self.nginx.wait(15)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
        self.nginx = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['http']}"


def _installed() -> bool:
    out = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "elpyfi-api"], capture_output=True, text=True).stdout
    return "installed" in out and "not-installed" not in out


def _wait(predicate, what: str, seconds: float = 30):
    """Polls an observable state (a socket answering, a file appearing); the bound only stops a hung run."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _healthy(url: str) -> bool:
    try:
        return requests.get(url + "/health", timeout=2).json().get("status") == "healthy"
    except (requests.RequestException, ValueError):
        return False


def _exe(pid: int) -> str:
    return os.readlink(f"/proc/{pid}/exe")


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    """One package life per run, serialized across concurrent runs on this machine (it owns /etc/elpyfi, the
    elpyfi-api package and /run/elpyfi). Whatever happens, nothing of it keeps running, and it is purged."""
    lock = open("/run/lock/elpyfi-package-test.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    h = Host(tmp_path_factory.mktemp("package"))
    if _installed():  # left by an interrupted run
        h.dpkg("dpkg", "--purge", "elpyfi-api")
    try:
        yield h
    finally:
        h.stop_nginx()
        h.stop_all()
        if _installed():
            h.dpkg("dpkg", "--purge", "elpyfi-api")
        shutil.rmtree("/run/elpyfi", ignore_errors=True)
        lock.close()


# -- build ----------------------------------------------------------------------------------------------------------

def test_package_builds_with_the_version_the_binaries_print(host):
    deb = host.deb(1)
    version = _run(["dpkg-deb", "-f", str(deb), "Version"]).stdout.strip()
    said = _run([os.path.join(os.environ["ELPYFI_TEST_BIN_DIR"], "elpyfi-fcgi"), "--version"]).stdout.split()
    assert version == f"{said[1]}-1"
    assert deb.name == f"elpyfi-api_{version}_{_run(['dpkg', '--print-architecture']).stdout.strip()}.deb"
    assert deb.stat().st_size < 20 * 1024 * 1024


def test_lintian_reports_no_error(host):
    proc = subprocess.run(["lintian", "--fail-on", "error", str(host.deb(1))], capture_output=True, text=True)
    errors = [line for line in proc.stdout.splitlines() if line.startswith("E:")]
    assert proc.returncode == 0 and not errors, proc.stdout + proc.stderr


def _expected_paths() -> set:
    files = {"etc/elpyfi/elpyfi.env", "etc/logrotate.d/elpyfi-api",
             "lib/systemd/system/elpyfi-fcgi@.socket", "lib/systemd/system/elpyfi-fcgi@.service",
             "lib/systemd/system/elpyfi-stream.service",
             "usr/bin/elpyfi-fcgi", "usr/bin/elpyfi-stream", "usr/bin/elpyfi-render-nginx",
             "usr/bin/elpyfi-render-prometheus",
             "usr/share/elpyfi/openapi.yaml", "usr/share/elpyfi/deploy/render-nginx",
             "usr/share/elpyfi/deploy/render-prometheus", "usr/share/elpyfi/deploy/lib/elpyfi_render.py",
             "usr/share/elpyfi/grafana/elpyfi-dashboard.json", "usr/share/lintian/overrides/elpyfi-api"}
    files |= {f"usr/share/elpyfi/deploy/prometheus/{p.name}" for p in (REPO / "deploy/prometheus").glob("*.yml.in")}
    files |= {f"usr/share/doc/elpyfi-api/{name}" for name in (
        "README.md.gz", "README.systemd.md", "CONTRACT.md.gz", "schema.sql", "elpyfi.env.example", "copyright",
        "changelog.Debian.gz")}
    files |= {f"usr/share/man/man1/{name}.1.gz" for name in (
        "elpyfi-fcgi", "elpyfi-stream", "elpyfi-render-nginx", "elpyfi-render-prometheus")}
    for tree in ("web", "nginx"):
        files |= {f"usr/share/elpyfi/{p.relative_to(REPO)}" for p in (REPO / tree).rglob("*") if p.is_file()}
    if (REPO / "asyncapi.yaml").exists():
        files.add("usr/share/elpyfi/asyncapi.yaml")
    dirs = {str(pathlib.PurePosixPath(f).parents[i]) for f in files
            for i in range(len(pathlib.PurePosixPath(f).parents) - 1)}
    return files | dirs


def test_package_holds_exactly_the_expected_paths(host):
    listing = _run(["dpkg-deb", "-c", str(host.deb(1))]).stdout.splitlines()
    paths = {line.split()[-1].removeprefix("./").rstrip("/") for line in listing} - {""}
    assert paths == _expected_paths()
    modes = {line.split()[-1].removeprefix("./"): line.split()[0] for line in listing}
    assert modes["etc/elpyfi/elpyfi.env"] == "-rw-r-----"
    assert modes["usr/bin/elpyfi-fcgi"] == modes["usr/bin/elpyfi-render-nginx"] == "-rwxr-xr-x"


# -- install ----------------------------------------------------------------------------------------------------------

def test_install_makes_the_user_and_enables_nothing(host):
    asked = host.apt_install(host.deb(1))
    assert [a for a in asked if "elpyfi" in a or "daemon-reload" in a] == ["--system daemon-reload"], asked
    assert _installed()
    user = pwd.getpwnam("elpyfi")
    assert user.pw_shell == "/usr/sbin/nologin" and user.pw_uid < 1000
    st = CONFFILE.stat()
    assert (stat.S_IMODE(st.st_mode), st.st_uid, grp.getgrgid(st.st_gid).gr_name) == (0o640, 0, "elpyfi")
    assert not list(pathlib.Path("/etc/systemd/system").glob("*.wants/elpyfi*"))
    # Every key of the example, with its default (the packaged layout's paths where they differ).
    example_text = (REPO / "deploy/elpyfi.env.example").read_text()
    example = {m.group(1) for m in re.finditer(r"(?m)^#?(ELPYFI_[A-Z0-9_]+)=", example_text)}
    conf = CONFFILE.read_text()
    assert all(re.search(rf"(?m)^#?{k}=", conf) for k in example)
    assert "ELPYFI_FCGI_UPSTREAMS=/run/elpyfi/fcgi-1.sock," in conf


def test_installing_twice_is_no_error(host):
    asked = host.dpkg("dpkg", "-i", str(host.deb(1)))
    assert "--system daemon-reload" in asked and not any(a.startswith(("start", "enable")) for a in asked)


def test_installed_binaries_need_no_swift_toolchain(host):
    for name in ("elpyfi-fcgi", "elpyfi-stream"):
        said = _run([f"/usr/bin/{name}", "--version"], env=CLEAN_ENV).stdout.strip()
        upstream = _run(["dpkg-query", "-W", "-f=${Version}", "elpyfi-api"]).stdout.split("-")[0]
        assert said == f"{name} {upstream}"
        libs = _run(["ldd", f"/usr/bin/{name}"], env=CLEAN_ENV).stdout
        assert "not found" not in libs and "swift" not in libs.lower(), libs
        for path in re.findall(r"=> (\S+)", libs):
            real = os.path.realpath(path)
            candidates = {path, real, "/usr" + path, real.removeprefix("/usr")}
            assert any(subprocess.run(["dpkg", "-S", c], capture_output=True).returncode == 0 for c in candidates), \
                f"{path} belongs to no Debian package"


def test_systemd_analyze_verifies_the_installed_units(host, tmp_path):
    # Templates are verified as an instance (what `systemctl start elpyfi-fcgi@1.socket` loads).
    for src, dst in (("elpyfi-fcgi@.socket", "elpyfi-fcgi@1.socket"), ("elpyfi-fcgi@.service", "elpyfi-fcgi@1.service"),
                     ("elpyfi-stream.service", "elpyfi-stream.service")):
        shutil.copy(UNITS / src, tmp_path / dst)
    proc = subprocess.run(["systemd-analyze", "verify", *(str(p) for p in sorted(tmp_path.iterdir()))],
                          capture_output=True, text=True, env={**CLEAN_ENV, "SYSTEMD_UNIT_PATH": f"{tmp_path}:"})
    assert proc.returncode == 0, proc.stdout + proc.stderr


# -- bad input ------------------------------------------------------------------------------------------------------

def test_a_malformed_value_stops_the_unit_with_exit_2_and_the_renderer_writes_nothing(host, tmp_path):
    original = CONFFILE.read_text()
    try:
        CONFFILE.write_text(original + "\nELPYFI_DB_CONNECT_TIMEOUT=soon\nELPYFI_PORT=http\n")
        for unit in ("elpyfi-stream", "elpyfi-fcgi@9"):
            assert host.start(unit).wait(30) == 2, unit  # RestartPreventExitStatus=2: systemd leaves it stopped
            host.services.pop(unit)
            assert "ELPYFI_DB_CONNECT_TIMEOUT" in (host.tmp / f"{unit}.log").read_text()
        render = subprocess.run(["elpyfi-render-nginx"], capture_output=True, text=True, env=CLEAN_ENV)
        assert render.returncode != 0 and "ELPYFI_PORT" in render.stderr
        assert not NGINX_INCLUDE.exists() and not NGINX_TREE.exists()
    finally:
        CONFFILE.write_text(original)


def test_a_missing_certificate_is_named_and_nothing_is_written(host):
    original = CONFFILE.read_text()
    try:
        CONFFILE.write_text(original + "\nELPYFI_TLS_CERT=/etc/elpyfi/tls/missing.pem\n")
        render = subprocess.run(["elpyfi-render-nginx"], capture_output=True, text=True, env=CLEAN_ENV)
        assert render.returncode != 0 and "/etc/elpyfi/tls/missing.pem" in render.stderr
        assert not NGINX_INCLUDE.exists() and not NGINX_TREE.exists()
    finally:
        CONFFILE.write_text(original)


# -- serving ----------------------------------------------------------------------------------------------------------

def _edit_conffile(host: Host) -> dict:
    """The operator's edit: the test database and keys, this run's ports, two workers."""
    host.ports = {name: free_port() for name in ("http", "tls", "ops", "stream")}
    env = os.environ
    edits = {
        "ELPYFI_DATABASE_URL": env["ELPYFI_TEST_READER_TCP_URL"], "ELPYFI_LISTEN_DATABASE_URL": env["ELPYFI_TEST_READER_TCP_URL"],
        "ELPYFI_API_KEYS": env["ELPYFI_API_KEYS"], "ELPYFI_API_KEY_HASHES": env.get("ELPYFI_API_KEY_HASHES", ""),
        "ELPYFI_PORT": str(host.ports["http"]), "ELPYFI_TLS_PORT": str(host.ports["tls"]),
        "ELPYFI_OPS_LISTEN": f"127.0.0.1:{host.ports['ops']}",
        "ELPYFI_STREAM_LISTEN": f"127.0.0.1:{host.ports['stream']}",
        "ELPYFI_FCGI_UPSTREAMS": ",".join(f"/run/elpyfi/fcgi-{n}.sock" for n in WORKERS),
        "ELPYFI_FCGI_THREADS": "2", "ELPYFI_RATE_LIMIT": "200r/s", "ELPYFI_RATE_BURST": "200",
        "ELPYFI_RATE_LIMIT_PER_ADDRESS": "5000r/s", "ELPYFI_RATE_BURST_PER_ADDRESS": "10000",
    }
    text = CONFFILE.read_text()
    for key, value in edits.items():
        text, n = re.subn(rf"(?m)^#?{key}=.*$", f"{key}={value}", text)
        if n == 0:
            text += f"{key}={value}\n"
    CONFFILE.write_text(text)
    return edits


def test_the_installed_units_serve_through_the_rendered_nginx(host):
    _edit_conffile(host)
    render = _run(["elpyfi-render-nginx"], env=CLEAN_ENV)
    assert "nginx -t passed" in render.stdout
    assert NGINX_INCLUDE.read_text().strip().endswith(f"include {NGINX_TREE}/elpyfi.conf;")
    _run(["nginx", "-t"])  # Debian's own nginx.conf, with the include
    for n in WORKERS:
        host.start(f"elpyfi-fcgi@{n}")
    host.start("elpyfi-stream")
    for n in WORKERS:
        sock = pathlib.Path(f"/run/elpyfi/fcgi-{n}.sock")
        _wait(sock.is_socket, f"{sock}")
        assert (stat.S_IMODE(sock.stat().st_mode), grp.getgrgid(sock.stat().st_gid).gr_name) == (0o660, "www-data")
    for name, proc in host.services.items():
        _wait(lambda: _exe(proc.pid).startswith("/usr/bin/elpyfi-"), f"{name} exec'd")
        assert pwd.getpwuid(os.stat(f"/proc/{proc.pid}").st_uid).pw_name == "elpyfi"
    host.start_nginx()
    _wait(lambda: _healthy(host.base_url), "/health through the package's nginx")
    page = requests.get(host.base_url + "/", timeout=5)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"] and "<html" in page.text.lower()
    tls = requests.get(f"https://127.0.0.1:{host.ports['tls']}/health", timeout=5, verify=False)
    assert tls.status_code == 200 and tls.headers["Strict-Transport-Security"] == "max-age=63072000"
    for document in ("openapi.yaml", "asyncapi.yaml"):
        if (REPO / document).exists():
            served = requests.get(f"{host.base_url}/{document}", timeout=5)
            assert served.status_code == 200 and served.text == (REPO / document).read_text(), document
    for n in WORKERS:  # the ops listener reaches each socket-activated worker
        metrics = requests.get(f"http://127.0.0.1:{host.ports['ops']}/metrics/fcgi-{n}", timeout=5)
        assert metrics.status_code == 200 and "elpyfi_db_up" in metrics.text


def test_the_installed_prometheus_renderer_writes_a_checked_config(host):
    _run(["elpyfi-render-prometheus"], env=CLEAN_ENV)
    conf = pathlib.Path("/etc/prometheus/elpyfi/prometheus.yml").read_text()
    assert conf.count("__metrics_path__: /metrics/fcgi-") == len(WORKERS)
    assert '"127.0.0.1:%d"' % host.ports["ops"] in conf
    if shutil.which("promtool"):
        _run(["promtool", "check", "config", "/etc/prometheus/elpyfi/prometheus.yml"])


def test_a_slice_of_the_end_to_end_suite_passes_through_the_package(host):
    """REST (every endpoint) and one stream, the suite's own tests, pointed at the package's nginx."""
    env = {**os.environ, "ELPYFI_TEST_BASE_URL": host.base_url,
           "ELPYFI_TEST_TLS_URL": f"https://127.0.0.1:{host.ports['tls']}",
           "ELPYFI_TEST_WS_URL": f"ws://127.0.0.1:{host.ports['http']}"}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(HERE / "test_rest_endpoints.py"),
                           f"{HERE}/test_stream_relay.py::test_event_arrives_unchanged_but_for_seq",
                           f"{HERE}/test_stream_relay.py::test_connected_comes_first_on_every_stream"],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    assert re.search(r"\b18 passed\b", proc.stdout), proc.stdout[-2000:]


# -- upgrade ----------------------------------------------------------------------------------------------------------

def test_upgrade_keeps_the_edited_conffile_and_restarts_what_runs(host):
    edited = CONFFILE.read_text()
    before = {name: proc.pid for name, proc in host.services.items()}
    asked = host.apt_install(host.deb(2))
    assert _run(["dpkg-query", "-W", "-f=${Version}", "elpyfi-api"]).stdout.endswith("-2")
    assert CONFFILE.read_text() == edited
    assert not list(CONFFILE.parent.glob("*.dpkg-*"))
    # The binaries were replaced under the running processes; postinst asked for exactly the running ones again.
    assert all(_exe(pid).endswith("(deleted)") for pid in before.values())
    assert "try-restart elpyfi-fcgi@*.service elpyfi-stream.service" in asked, asked
    assert not any(a.startswith(("start", "enable")) for a in asked), asked
    host.try_restart("elpyfi-fcgi@*.service")
    host.try_restart("elpyfi-stream.service")
    _wait(lambda: _healthy(host.base_url), "/health after the restart")
    for name, proc in host.services.items():
        assert proc.pid != before[name]
        _wait(lambda: _exe(proc.pid).startswith("/usr/bin/elpyfi-"), f"{name} exec'd")
        assert not _exe(proc.pid).endswith("(deleted)")
    key = os.environ["ELPYFI_TEST_API_KEY"]
    assert requests.get(host.base_url + "/strategies", headers={"X-API-Key": key}, timeout=5).status_code == 200


# -- removal --------------------------------------------------------------------------------------------------------

def _ours() -> list:
    """Paths of ours still on the system (the user and what the operator wrote aside)."""
    left = [p for p in ("/etc/elpyfi", "/usr/share/elpyfi", "/usr/share/doc/elpyfi-api", str(NGINX_TREE),
                        str(NGINX_INCLUDE), "/etc/logrotate.d/elpyfi-api", "/var/log/elpyfi",
                        "/etc/prometheus/elpyfi") if os.path.lexists(p)]
    left += [str(p) for d in ("/usr/bin", "/lib/systemd/system", "/usr/share/man/man1") for p in
             pathlib.Path(d).glob("elpyfi*")]
    return left


def test_remove_stops_sockets_before_services_and_nginx_still_passes(host):
    host.stop_nginx()
    asked = host.dpkg("dpkg", "--remove", "elpyfi-api")
    stops = [a for a in asked if a.startswith("stop")]
    assert stops == ["stop elpyfi-fcgi@*.socket", "stop elpyfi-fcgi@*.service elpyfi-stream.service"], asked
    host.stop_all()
    assert not NGINX_INCLUDE.exists()
    _run(["nginx", "-t"])
    assert CONFFILE.exists()  # removal keeps conffiles; purge drops them
    assert not pathlib.Path("/usr/bin/elpyfi-fcgi").exists()
    again = subprocess.run(["dpkg", "--remove", "elpyfi-api"], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr


def test_purge_leaves_nothing_but_the_user(host):
    host.dpkg("dpkg", "--purge", "elpyfi-api")
    assert not _installed()
    assert _ours() == []
    pwd.getpwnam("elpyfi")  # kept, as Debian's daemons keep theirs
    _run(["nginx", "-t"])
    again = subprocess.run(["dpkg", "--purge", "elpyfi-api"], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
