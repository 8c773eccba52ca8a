"""The runbook (runbook/*.md) documents only stewardctl commands and options that
exist (as `stewardctl --help` lists them), every page is linked from the index,
and relative links between pages resolve."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNBOOK = ROOT / "runbook"
PAGES = sorted(RUNBOOK.glob("*.md"))
BIN_DIR = Path(os.environ.get("STEWARD_BIN_DIR", ROOT / ".build" / "debug"))
GLOBAL_WITH_VALUE = {"--url", "--token", "--token-file"}
GLOBAL_FLAGS = {"--json"}


@pytest.fixture(scope="module")
def usage() -> str:
    stewardctl = BIN_DIR / "stewardctl"
    if not (stewardctl.is_file() and os.access(stewardctl, os.X_OK)):
        pytest.fail(f"stewardctl not found at {stewardctl} (set STEWARD_BIN_DIR): run `swift build --product stewardctl`",
                    pytrace=False)
    proc = subprocess.run([stewardctl, "--help"], capture_output=True, text=True)
    text = proc.stdout + proc.stderr
    assert "usage: stewardctl" in text, f"unexpected `stewardctl --help` output:\n{text}"
    return text


def known_commands(usage: str) -> dict[str, set[str]]:
    """{'runs': {'list', 'show', ...}, 'status': set(), 'rollout': {'start', 'status', ...}}"""
    commands: dict[str, set[str]] = {}
    for line in usage.splitlines():
        # "  runs list [--model M]", "  models list | models show NAME", "  rollout status|watch|... MODEL"
        for part in re.split(r"\s\|\s", line.strip()):
            words = part.split()
            if not words or not re.fullmatch(r"[a-z]+", words[0]) or line[:2] != "  ":
                continue
            subs = commands.setdefault(words[0], set())
            if len(words) > 1 and re.fullmatch(r"[a-z|]+", words[1]):
                subs.update(words[1].split("|"))
    return commands


def code_lines(text: str):
    """(line number, code) for every line of a fenced block and every inline `code` span."""
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            yield number, line
        else:
            for span in re.findall(r"`([^`]+)`", line):
                yield number, span


def stewardctl_invocations():
    for page in PAGES:
        for number, code in code_lines(page.read_text()):
            for match in re.finditer(r"(?<![\w/.-])stewardctl((?:\s+[^|;&)#]+)?)", code):
                rest = match.group(1).strip()
                if rest:
                    yield page.name, number, rest


def test_runbook_stewardctl_commands_exist(usage):
    commands = known_commands(usage)
    assert {"runs", "rollout", "versions", "tokens", "status"} <= set(commands), commands
    options = set(re.findall(r"--[a-z][a-z-]*", usage))
    checked = 0
    problems = []
    for page, number, rest in stewardctl_invocations():
        try:
            words = shlex.split(rest)
        except ValueError:
            words = rest.split()
        while words and (words[0] in GLOBAL_FLAGS or words[0] in GLOBAL_WITH_VALUE):
            words = words[2:] if words[0] in GLOBAL_WITH_VALUE else words[1:]
        if not words or not re.fullmatch(r"[a-z]+", words[0]):
            continue  # prose such as "stewardctl (built with ...)"
        where = f"{page}:{number}: stewardctl {rest}"
        if words[0] not in commands:
            problems.append(f"{where}: unknown command {words[0]!r}")
            continue
        subs = commands[words[0]]
        if subs and (len(words) < 2 or words[1] not in subs) and not (len(words) > 1 and words[1].startswith("--")):
            if len(words) > 1 and words[1] not in subs:
                problems.append(f"{where}: unknown subcommand {words[1]!r} (known: {sorted(subs)})")
        for word in words:
            if word.startswith("--") and word.split("=")[0] not in options:
                problems.append(f"{where}: unknown option {word}")
        checked += 1
    assert checked >= 30, f"only {checked} stewardctl invocations found in runbook/"
    assert not problems, "\n".join(problems)


def test_runbook_index_links_every_page_and_links_resolve():
    index = (RUNBOOK / "README.md").read_text()
    for page in PAGES:
        if page.name != "README.md":
            assert f"]({page.name})" in index, f"runbook/README.md does not link {page.name}"
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.name}: broken link {target}"


def test_slos_have_numbers():
    text = (RUNBOOK / "slos.md").read_text()
    for topic in ("latency", "availability", "error", "freshness"):
        assert topic in text.lower(), f"slos.md does not cover {topic}"
    assert re.search(r"250 ms", text) and re.search(r"99\.5%", text)
