#!/usr/bin/env python3
"""Runs the command examples of the README and docs/*.md against the bundled example.

An example is a `$ ` line inside a fenced block tagged `console` (a line ending
with a backslash continues on the next one; the other lines are the output
shown to the reader and are not compared). Each command must exit 0 unless its
comment says otherwise: `$ tollgate gate .   # exit 1: the planted key blocks`.

Each Markdown file gets a fresh sandbox: a git repository holding a copy of
examples/payments-api (one commit), with HOME, the ledger and the advisory
database inside the sandbox and every TOLLGATE_* variable cleared, and the
binary under test first on PATH as `tollgate`. The files' examples run in
order in that sandbox, so later ones see what earlier ones wrote. A block may
be preceded by a setup comment that readers do not see, run with bash in the
sandbox before the block:

    <!-- example-setup
    # cwd: examples/payments-api       (where this file's later commands run)
    git rm -q --cached app/settings.py
    -->

Usage: run_examples.py TOLLGATE_BINARY SOURCE_DIR [FILE.md...]
Exit status 1 when an example fails, 2 on bad usage; prints one line per failure.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w+-]*)")
SETUP = re.compile(r"^\s*<!--\s*example-setup\s*$")
TIMEOUT = 120


def comment_of(command):
    """The shell comment of a command line: from the first unquoted ' #'."""
    quote = None
    for i, c in enumerate(command):
        if quote:
            if c == quote:
                quote = None
            elif c == "\\" and quote == '"':
                continue
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or command[i - 1].isspace()):
            return command[i + 1:]
    return ""


def expected_exit(command):
    m = re.search(r"\bexit (\d+)\b", comment_of(command))
    return int(m.group(1)) if m else 0


def parse(path):
    """[(kind, line, text)]: kind 'setup' (a script) or 'cmd' (a command)."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    items, i = [], 0
    while i < len(lines):
        line = lines[i]
        if SETUP.match(line):
            start, body = i + 1, []
            i += 1
            while i < len(lines) and "-->" not in lines[i]:
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise ValueError(f"{path}:{start}: example-setup comment is not closed")
            items.append(("setup", start, "\n".join(body)))
            i += 1
            continue
        m = FENCE.match(line)
        if not m:
            i += 1
            continue
        indent, fence, lang = m.group(1), m.group(2), m.group(3)
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            text = lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip()
            if lang == "console" and text.startswith("$ "):
                start, command = i + 1, text[2:]
                while command.endswith("\\") and i + 1 < len(lines):
                    i += 1
                    command = command[:-1] + " " + lines[i].strip()
                items.append(("cmd", start, command))
            i += 1
        if i == len(lines):
            raise ValueError(f"{path}:{i}: fenced block is not closed")
        i += 1
    return items


def sandbox(source, binary):
    root = tempfile.mkdtemp(prefix="tollgate-doc-examples-")
    bindir = os.path.join(root, ".bin")
    os.makedirs(bindir)
    os.symlink(os.path.realpath(binary), os.path.join(bindir, "tollgate"))
    os.makedirs(os.path.join(root, "home"))
    shutil.copytree(os.path.join(source, "examples", "payments-api"), os.path.join(root, "examples", "payments-api"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOLLGATE_")}
    env.update(
        PATH=bindir + os.pathsep + env.get("PATH", "/usr/bin:/bin"),
        HOME=os.path.join(root, "home"),
        NO_COLOR="1",
        LC_ALL="C.UTF-8",
        GIT_AUTHOR_NAME="Dev",
        GIT_AUTHOR_EMAIL="dev@payments.example",
        GIT_COMMITTER_NAME="Dev",
        GIT_COMMITTER_EMAIL="dev@payments.example",
        GIT_AUTHOR_DATE="2026-11-28T21:48:59Z",
        GIT_COMMITTER_DATE="2026-11-28T21:48:59Z",
        GIT_CONFIG_GLOBAL="/dev/null",
        GIT_CONFIG_NOSYSTEM="1",
    )
    for cmd in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "payments-api"]):
        subprocess.run(cmd, cwd=root, env=env, check=True, stdout=subprocess.DEVNULL)
    return root, env


def run_file(path, source, binary, rel):
    items = parse(path)
    if not items:
        return 0, []
    root, env = sandbox(source, binary)
    cwd, failures, ran = root, [], 0
    try:
        for kind, line, text in items:
            where = f"{rel}:{line}"
            if kind == "setup":
                for directive in re.findall(r"^\s*#\s*cwd:\s*(\S+)\s*$", text, re.M):
                    cwd = os.path.join(root, directive)
                r = subprocess.run(["bash", "-euo", "pipefail", "-c", text], cwd=cwd, env=env,
                                   capture_output=True, text=True, timeout=TIMEOUT)
                if r.returncode != 0:
                    failures.append(f"{where}: example setup exited {r.returncode}: {r.stderr.strip()[:300]}")
                    break
                continue
            want = expected_exit(text)
            try:
                r = subprocess.run(["bash", "-o", "pipefail", "-c", text], cwd=cwd, env=env,
                                   capture_output=True, text=True, timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                failures.append(f"{where}: `{text}` did not finish in {TIMEOUT} s")
                continue
            ran += 1
            if r.returncode != want:
                err = (r.stderr.strip() or r.stdout.strip()).splitlines()
                failures.append(f"{where}: `{text.strip()}` exited {r.returncode}, the example shows {want}"
                                + (f": {err[-1][:300]}" if err else ""))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return ran, failures


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    binary, source = argv[1], argv[2]
    files = argv[3:] or (["README.md"] + sorted(
        os.path.join("docs", f) for f in os.listdir(os.path.join(source, "docs")) if f.endswith(".md")))
    total, failures = 0, []
    for rel in files:
        try:
            ran, failed = run_file(os.path.join(source, rel), source, binary, rel)
        except ValueError as e:
            failures.append(str(e))
            continue
        total += ran
        failures += failed
        if ran:
            print(f"{rel}: {ran} example command{'s' if ran != 1 else ''}")
    for f in failures:
        print(f)
    print(f"{total} example commands run, {len(failures)} failed")
    if total == 0:
        print("no examples found: the docs lost their `console` blocks, or this runner no longer reads them")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
