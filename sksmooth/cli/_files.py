"""Files the command line writes: checked before the work, written atomically.

Three promises, kept here in one place so that every output of the command line
keeps them:

- an existing file is never replaced unless the user says ``--force``;
- an input of the same command (the training table, the model being read) is
  never written onto, even with ``--force``: one typo must not destroy data;
- a file appears whole or not at all: it is written to a temporary file in the
  same folder and renamed into place, so an error or an interrupt halfway
  leaves no truncated file behind (and the old file, with ``--force``, intact).

:func:`check_output_path` runs before any long work, so that an unwritable path
is reported in a second, not after a cross-validation.
"""

import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO


class OutputPathError(ValueError):
    """An output path that cannot or must not be written."""


def check_output_path(
    path: Path, *, force: bool, inputs: Iterable[Path] = (), option: str
) -> Path:
    """Refuse, before any work, an output path that would lose data or fail.

    Parameters
    ----------
    path : Path
        Where the command will write.
    force : bool
        Whether an existing file may be replaced.
    inputs : iterable of Path, default=()
        The files the same command reads; ``path`` may never be one of them.
    option : str
        The command-line option that gave ``path``, named in the error.

    Returns
    -------
    path : Path
        ``path`` unchanged.

    Raises
    ------
    OutputPathError
        If ``path`` is an input of the command, a folder, an existing file
        without ``force``, or its folder does not exist or is not writable.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sksmooth.cli._files import check_output_path
    >>> folder = Path(tempfile.mkdtemp())
    >>> check_output_path(folder / "new.csv", force=False, option="--output").name
    'new.csv'
    >>> check_output_path(folder, force=True, option="--output")
    Traceback (most recent call last):
    ...
    sksmooth.cli._files.OutputPathError: --output ... is a folder; give a file name
    """
    for source in inputs:
        if _same_file(path, source):
            raise OutputPathError(
                f"{option} {path} is an input of this command; refusing to write "
                "onto it (even with --force). Choose another file name."
            )
    if path.is_dir():
        raise OutputPathError(f"{option} {path} is a folder; give a file name")
    if path.exists() and not force:
        raise OutputPathError(
            f"{option} {path} already exists; pass --force to replace it, or "
            "choose another file name"
        )
    folder = path.parent
    if not folder.is_dir():
        raise OutputPathError(
            f"{option} {path}: the folder {folder} does not exist; create it first"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputPathError(f"{option} {path}: the folder {folder} is not writable")
    return path


def write_atomically(path: Path, write: Callable[[IO[bytes]], None], *, force: bool):
    """Write ``path`` through ``write(file)`` so that it appears whole or not at all.

    ``write`` receives a binary file open on a temporary file in ``path``'s
    folder. When it returns, the file is flushed to disk and moved to ``path``:
    with ``force`` by ``os.replace`` (atomic); without, by ``os.link``, which
    fails rather than replace a file that appeared since
    :func:`check_output_path`. On any error the temporary file is removed and
    ``path`` is untouched.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sksmooth.cli._files import write_atomically
    >>> path = Path(tempfile.mkdtemp()) / "hello.txt"
    >>> write_atomically(path, lambda file: file.write(b"hello"), force=False)
    >>> path.read_bytes()
    b'hello'
    """
    handle, temporary = _create_temporary(path)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        if force:
            os.replace(temporary, path)
        else:
            _move_without_replacing(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _create_temporary(path: Path) -> tuple[int, str]:
    """A new temporary file beside ``path``, with the mode ``open()`` gives.

    ``tempfile.mkstemp`` creates its file with mode 0600 whatever the umask,
    and a rename keeps the mode: a model written for a colleague could not be
    read by them. Created here with 0666, the kernel applies the umask, as it
    does for ``open()``; reading the umask would mean setting it, a
    process-wide change.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temporary = str(path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def _move_without_replacing(source: str, target: Path) -> None:
    try:
        os.link(source, target)
    except FileExistsError:
        raise OutputPathError(
            f"{target} appeared while this command ran; nothing was written "
            "(pass --force to replace it)"
        ) from None
    except OSError:
        # A file system without hard links: check, then rename (a tiny race).
        if target.exists():
            raise OutputPathError(
                f"{target} appeared while this command ran; nothing was written "
                "(pass --force to replace it)"
            ) from None
        os.replace(source, target)
    else:
        os.unlink(source)


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (through links and relative paths too)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist
        return a.resolve() == b.resolve()
