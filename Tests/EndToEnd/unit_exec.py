#!/usr/bin/env python3
"""unit_exec.py SERVICE_UNIT [--instance I] [--socket SOCKET_UNIT]: runs a service the way systemd would start it
from its installed unit files, for a machine where no systemd runs (CI containers; test_package.py).

It reads the unit files themselves, so what it proves is what they say: the socket of ListenStream= (made with
DirectoryMode=, SocketUser=/SocketGroup=, SocketMode=, Backlog=) handed over as fd 3 with LISTEN_FDS=1 and
LISTEN_PID, the environment of EnvironmentFile=/Environment= only (systemd's clean environment, nothing of the
caller's), User=/Group= with the user's groups, WorkingDirectory=, LimitNOFILE=, then ExecStart= exec'd in place
(the pid the caller started is the service's). %i is the instance. The socket is opened at once (systemd opens it
at `systemctl start X.socket`; the first connection would start the service, here the service starts right away).
"""

import argparse
import grp
import os
import pwd
import resource
import shlex
import socket
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy", "lib"))
from elpyfi_render import parse_env_file  # noqa: E402  (the programs' and systemd's KEY=value format)

SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def read_unit(path: str, instance: str) -> dict:
    """{section: {key: [values in order]}}, with %i expanded."""
    sections, current = {}, None
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("[") and line.endswith("]"):
                current = sections.setdefault(line[1:-1], {})
                continue
            key, _, value = line.partition("=")
            current.setdefault(key.strip(), []).append(value.strip().replace("%i", instance))
    return sections


def last(section: dict, key: str, default: str | None = None) -> str | None:
    """A single-valued setting: the last assignment wins, as in systemd."""
    return section.get(key, [default])[-1]


def open_socket(unit: dict) -> socket.socket:
    """The Unix socket of the socket unit, as systemd creates it."""
    s = unit["Socket"]
    path = last(s, "ListenStream")
    os.makedirs(os.path.dirname(path), mode=int(last(s, "DirectoryMode", "0755"), 8), exist_ok=True)
    if os.path.exists(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    owner = pwd.getpwnam(last(s, "SocketUser", "root")).pw_uid
    os.chown(path, owner, grp.getgrnam(last(s, "SocketGroup", "root")).gr_gid)
    os.chmod(path, int(last(s, "SocketMode", "0666"), 8))
    sock.listen(int(last(s, "Backlog", "128")))
    return sock


def environment(service: dict, user: pwd.struct_passwd | None) -> dict:
    """systemd's environment for the service: a fixed PATH, the user's names, Environment=, EnvironmentFile=."""
    env = {"PATH": SYSTEMD_PATH}
    if user:
        env.update(USER=user.pw_name, LOGNAME=user.pw_name, HOME=user.pw_dir, SHELL=user.pw_shell)
    for assignment in service.get("Environment", []):
        for word in shlex.split(assignment):
            key, _, value = word.partition("=")
            env[key] = value
    for path in service.get("EnvironmentFile", []):
        optional = path.startswith("-")
        try:
            with open(path.lstrip("-")) as f:
                env.update(parse_env_file(f.read()))
        except FileNotFoundError:
            if not optional:
                sys.exit(f"unit_exec: EnvironmentFile {path} is missing (systemd would refuse to start the unit)")
    return env


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("service")
    parser.add_argument("--instance", default="")
    parser.add_argument("--socket")
    args = parser.parse_args()
    service = read_unit(args.service, args.instance)["Service"]
    user = pwd.getpwnam(last(service, "User")) if last(service, "User") else None
    env = environment(service, user)
    if args.socket:
        sock = open_socket(read_unit(args.socket, args.instance))
        if sock.fileno() != 3:
            os.dup2(sock.fileno(), 3)
        os.set_inheritable(3, True)  # survives the exec below (Python opens everything close-on-exec)
        env.update(LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
    nofile = last(service, "LimitNOFILE")
    if nofile:
        # systemd (PID 1) may raise the hard limit; a container's root may not (20,000 here): as high as allowed.
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        limit = int(nofile) if hard == resource.RLIM_INFINITY else min(int(nofile), hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
    os.chdir(last(service, "WorkingDirectory", "/"))
    if user:
        gid = grp.getgrnam(last(service, "Group")).gr_gid if last(service, "Group") else user.pw_gid
        os.initgroups(user.pw_name, gid)
        os.setgid(gid)
        os.setuid(user.pw_uid)
    os.umask(int(last(service, "UMask", "0022"), 8))
    argv = shlex.split(last(service, "ExecStart"))
    os.execve(argv[0], argv, env)


if __name__ == "__main__":
    main()
