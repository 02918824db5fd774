"""Write outputs so that nothing is ever half-written and two writers never mix.

An output is built in a temporary sibling (`.<name>.<8 hex>.tmp`, same file system) and renamed into place only
when complete. While it is built, the process holds a lock on producing it (`output_lock`), so a second writer of
the same path fails at once with `OutputBusyError` instead of racing the first. The final rename never lands on a
path that exists unless `overwrite` is true (Linux `renameat2(RENAME_NOREPLACE)`; elsewhere a check under the
lock), and with `overwrite` the new folder is swapped in with `renameat2(RENAME_EXCHANGE)`, so that a reader
opening a file of `path` gets that file of the old output or of the new one, whole, never a torn or missing one.
(A reader that opens several files of a folder at different moments can still get one file of the old output and
a later one of the new, if an overwrite lands in between; without `overwrite` a folder goes from absent to
complete.) Temporaries that a killed writer left behind are removed by the next writer of the same path.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import secrets
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

from ..errors import OutputBusyError, OutputExistsError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; the final rename still never clobbers without overwrite.
    fcntl = None

_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2
_held_locks: dict[Path, tuple[int, int, int]] = {}  # lock file -> (descriptor, owning thread, depth)
_held_guard = threading.Lock()


def check_output_free(path: str | os.PathLike, overwrite: bool) -> Path:
    """Return `path` as a Path, raising `OutputExistsError` if it exists and `overwrite` is false."""
    path = Path(path)
    if (path.exists() or path.is_symlink()) and not overwrite:
        raise OutputExistsError(f"{path}: output already exists; pass --overwrite to replace it")
    return path


def lock_file_of(path: str | os.PathLike) -> Path:
    """The hidden file beside `path` whose lock says that a process is producing `path`."""
    path = Path(path)
    return path.with_name(f".{path.name}.lock")


def _try_lock(lock_file: Path, path: Path) -> int:
    """An open descriptor of `lock_file` holding its exclusive lock; `OutputBusyError` if another process holds it.

    The file is unlinked when the lock is released, so after locking we check that the descriptor is still the
    file at `lock_file` (not one a releasing holder has just unlinked) and try again if not.
    """
    while True:
        descriptor = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            try:
                holder = lock_file.read_text(encoding="ascii").strip() or "?"
            except (OSError, UnicodeDecodeError):
                holder = "?"
            raise OutputBusyError(
                f"{path}: another process (pid {holder}) is writing this output; wait for it to finish or "
                f"choose another path (lock file {lock_file})"
            ) from None
        try:
            current = os.stat(lock_file).st_ino
        except FileNotFoundError:
            current = None
        if current == os.fstat(descriptor).st_ino:
            os.ftruncate(descriptor, 0)
            os.write(descriptor, f"{os.getpid()}\n".encode("ascii"))
            return descriptor
        os.close(descriptor)


@contextlib.contextmanager
def output_lock(path: str | os.PathLike) -> Iterator[Path]:
    """Hold the lock on producing `path` for the block; `OutputBusyError` at once if another process holds it.

    The lock is an `flock` on `.<name>.lock` beside `path`: the kernel drops it when the process ends, however it
    ends, so a killed run never leaves its output locked. Re-entrant within one thread; another thread of the
    same process gets `OutputBusyError` like another process.
    """
    path = Path(path).absolute()
    if fcntl is None:
        yield path
        return
    lock_file = lock_file_of(path)
    thread = threading.get_ident()
    with _held_guard:
        held = _held_locks.get(lock_file)
        if held is not None and held[1] != thread:
            raise OutputBusyError(f"{path}: another thread of this process is writing this output")
        if held is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            held = (_try_lock(lock_file, path), thread, 0)
        _held_locks[lock_file] = (held[0], thread, held[2] + 1)
    try:
        yield path
    finally:
        with _held_guard:
            descriptor, _, depth = _held_locks.pop(lock_file)
            if depth > 1:
                _held_locks[lock_file] = (descriptor, thread, depth - 1)
            else:
                lock_file.unlink(missing_ok=True)
                os.close(descriptor)


def _renameat2(source: Path, destination: Path, flags: int) -> bool:
    """Linux `renameat2(source, destination, flags)`: True when done, False where the C library or the file
    system does not offer it; other failures raise `OSError`."""
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if function(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(destination), flags) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(source), None, str(destination))


def _exists_error(path: Path) -> OutputExistsError:
    return OutputExistsError(f"{path}: output appeared while this one was written; pass --overwrite to replace it")


def _move_into_place(tmp: Path, path: Path, overwrite: bool) -> None:
    """Rename the complete `tmp` to `path`: onto an existing `path` only with `overwrite`, then by swapping the two
    (the old output ends at `tmp`, to be removed)."""
    if not overwrite:
        try:
            if _renameat2(tmp, path, _RENAME_NOREPLACE):
                return
        except FileExistsError:
            raise _exists_error(path) from None
        if path.exists() or path.is_symlink():
            raise _exists_error(path)
        if tmp.is_dir():
            os.rename(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise _exists_error(path) from None
            tmp.unlink()
        return
    if path.exists() or path.is_symlink():
        try:
            if _renameat2(tmp, path, _RENAME_EXCHANGE):
                return
        except FileNotFoundError:
            pass
    if tmp.is_dir() and path.is_dir() and not path.is_symlink():
        trash = path.with_name(f".{path.name}.{secrets.token_hex(4)}.old")
        os.rename(path, trash)
        os.rename(tmp, path)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(tmp, path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Remove the temporaries of `path` that killed writers left behind; call it holding `output_lock(path)`.

    Where `renameat2` is missing, an overwrite moves the old output aside (`.old`) before renaming the new one in;
    a writer killed between the two leaves no `path` and a complete `.old`, which is put back, not removed.
    """
    path = Path(path)
    if not path.parent.is_dir():
        return []
    pattern = re.compile(rf"\.{re.escape(path.name)}\.[0-9a-f]{{8}}\.(tmp|old)")
    stale = sorted(entry for entry in path.parent.iterdir() if pattern.fullmatch(entry.name))
    set_aside = [entry for entry in stale if entry.name.endswith(".old")]
    if len(set_aside) == 1 and not (path.exists() or path.is_symlink()):
        os.rename(set_aside[0], path)
        stale.remove(set_aside[0])
    for entry in stale:
        _remove(entry)
    return stale


@contextlib.contextmanager
def claim_outputs(*paths: str | os.PathLike) -> Iterator[None]:
    """Hold `output_lock` on every path of `paths` for the block (a whole training run: its output and its
    checkpoint folder) and clear the temporaries that a killed earlier run left beside them."""
    with contextlib.ExitStack() as stack:
        for path in paths:
            stack.enter_context(output_lock(path))
            remove_stale_temporaries(path)
        yield


def _new_temporary(path: Path, directory: bool) -> Path:
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            if directory:
                tmp.mkdir()
            else:
                os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            return tmp
        except FileExistsError:
            continue


@contextlib.contextmanager
def _atomic_output(path: str | os.PathLike, overwrite: bool, directory: bool) -> Iterator[Path]:
    path = check_output_free(path, overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    with output_lock(path):
        remove_stale_temporaries(path)
        check_output_free(path, overwrite)
        tmp = _new_temporary(path, directory)
        try:
            yield tmp
            _move_into_place(tmp, path, overwrite)
        finally:
            if tmp.exists() or tmp.is_symlink():
                _remove(tmp)


def atomic_output_dir(path: str | os.PathLike, overwrite: bool = False) -> contextlib.AbstractContextManager[Path]:
    """Yield a fresh temporary directory that becomes `path` only if the block succeeds.

    The temporary directory sits beside `path` and is removed if the block raises. An existing `path` is
    replaced only when `overwrite` is true; another process writing `path` at the same time gets
    `OutputBusyError` (see the module's docstring).
    """
    return _atomic_output(path, overwrite, directory=True)


def atomic_output_file(path: str | os.PathLike, overwrite: bool = False) -> contextlib.AbstractContextManager[Path]:
    """Yield a temporary file path that is renamed to `path` only if the block succeeds (see `atomic_output_dir`)."""
    return _atomic_output(path, overwrite, directory=False)
