"""The local git publisher: the embedded default, a git repository in a directory.

Commits are made with ``git fast-import`` (one process, one commit, however many files) on top
of the head that was read, and fast-import refuses to move the branch if someone else committed
in between, which is reported as ``RefMoved``. The working tree follows the branch when it is
checked out and clean where the commit changed it, so the directory reads as the record.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

from governance.publish.port import PublishError, RefMoved, RemoteTree

COMMITTER = b"govbot <govbot@localhost>"


class LocalGitPublisher:
    """Publishes to ``branch`` of the git repository at ``directory``, created if missing."""

    def __init__(self, directory: Path, branch: str = "main") -> None:
        self.directory = Path(directory)
        self.branch = branch
        self.ref = f"refs/heads/{branch}"
        self._ready = False
        self._checked_out: bool | None = None

    @property
    def where(self) -> str:
        """The directory and branch, for messages."""
        return f"{self.directory} ({self.branch})"

    def _run(self, args: list[str], stdin: bytes | None) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(
                ["git", "-C", str(self.directory), *args],
                input=stdin,
                capture_output=True,
                check=False,
            )
        except FileNotFoundError:
            raise PublishError(
                "git is not installed (or not on PATH); install git to publish the docs locally"
            ) from None

    def _git(self, *args: str, stdin: bytes | None = None, check: bool = True) -> bytes:
        result = self._run(list(args), stdin)
        if check and result.returncode != 0:
            message = result.stderr.decode(errors="replace").strip()
            raise PublishError(f"git {args[0]} failed in {self.directory}: {message}")
        return result.stdout

    def ensure(self) -> None:
        """Create the directory and the repository if they are missing (checked once)."""
        if self._ready:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise PublishError(
                f"cannot create the docs repository at {self.directory}: {error.strerror}"
            ) from None
        inside = self._run(["rev-parse", "--show-toplevel"], None)
        top = inside.stdout.decode().strip()
        if inside.returncode != 0 or Path(top).resolve() != self.directory.resolve():
            self._git("init", "-q", "-b", self.branch)
        self._ready = True

    def head(self) -> str | None:
        """The branch's commit, or None before the first commit."""
        out = self._git("rev-parse", "--verify", "-q", self.ref, check=False).decode().strip()
        return out or None

    def snapshot(self) -> RemoteTree:
        """The branch head and every file's blob hash (``git ls-tree -r``)."""
        self.ensure()
        head = self.head()
        if head is None:
            return RemoteTree(None, {})
        blobs: dict[str, str] = {}
        for entry in self._git("ls-tree", "-r", "-z", head).split(b"\0"):
            if not entry:
                continue
            meta, path = entry.split(b"\t", 1)
            _mode, kind, sha = meta.split(b" ")
            if kind == b"blob":
                blobs[path.decode()] = sha.decode()
        return RemoteTree(head, blobs)

    def read(self, head: str, paths: Iterable[str]) -> dict[str, str]:
        """File texts at ``head``, read in one ``git cat-file --batch``."""
        wanted = list(paths)
        if not wanted:
            return {}
        request = "".join(f"{head}:{path}\n" for path in wanted).encode()
        out = self._git("cat-file", "--batch", stdin=request)
        texts: dict[str, str] = {}
        offset = 0
        for path in wanted:
            end = out.index(b"\n", offset)
            header = out[offset:end].split(b" ")
            offset = end + 1
            if header[-1] == b"missing":
                continue
            size = int(header[2])
            texts[path] = out[offset : offset + size].decode("utf-8", errors="replace")
            offset += size + 1
        return texts

    def commit(
        self, base: RemoteTree, changes: Mapping[str, str | None], message: str, *, when: int
    ) -> str:
        """One commit of ``changes`` on ``base.head`` through ``git fast-import``."""
        self.ensure()
        stream = [b"commit " + self.ref.encode() + b"\n"]
        stream.append(b"committer " + COMMITTER + f" {when} +0000\n".encode())
        data = message.encode()
        stream.append(b"data %d\n" % len(data) + data + b"\n")
        if base.head is not None:
            stream.append(f"from {base.head}\n".encode())
        for path in sorted(changes):
            text = changes[path]
            if text is None:
                stream.append(b"D " + _quote(path) + b"\n")
                continue
            body = text.encode()
            stream.append(b"M 100644 inline " + _quote(path) + b"\n")
            stream.append(b"data %d\n" % len(body) + body + b"\n")
        stream.append(b"done\n")
        result = self._run(["fast-import", "--quiet", "--done"], b"".join(stream))
        if result.returncode != 0:
            error = result.stderr.decode(errors="replace")
            if "Not updating" in error or "does not contain" in error:
                raise RefMoved(f"{self.where} moved while publishing")
            raise PublishError(f"git fast-import failed in {self.directory}: {error.strip()}")
        commit = self.head()
        assert commit is not None
        self._follow(base.head, commit)
        return commit

    def _follow(self, old: str | None, new: str) -> None:
        """Bring a checked-out working tree up to the new commit where it is clean."""
        if self._checked_out is None:
            bare = self._git("rev-parse", "--is-bare-repository").strip() == b"true"
            current = self._git("symbolic-ref", "-q", "HEAD", check=False).strip().decode()
            self._checked_out = not bare and current == self.ref
        if not self._checked_out:
            return
        args = ["read-tree", "-m", "-u", old, new] if old else ["read-tree", "-m", "-u", new]
        # A working copy with local edits where the commit changed files is left as it is:
        # the commit is made either way, and `git status` shows the difference.
        self._git(*args, check=False)


def _quote(path: str) -> bytes:
    """A path as fast-import reads it (paths come from validated slugs, so this is plain)."""
    if any(ch in path for ch in '"\n\\') or path.startswith(" "):
        raise PublishError(f"refusing to write an unusual path {path!r}")
    return path.encode()
