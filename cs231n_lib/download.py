"""Download CIFAR-10 (python version): progress bar, resume, md5 check, safe extraction.

    python -m cs231n_lib.download [--dest DIR] [--url URL] [--md5 MD5] [--no-progress]

``make data`` runs this. The archive is fetched into ``<dest>/cifar-10-python.tar.gz.part``
(an interrupted download resumes from there with an HTTP Range request), checked
against its md5, extracted into a temporary folder inside ``dest``, checked again,
and only then renamed to ``<dest>/cifar-10-batches-py``. A failure never leaves a
half-extracted folder behind.

Environment: ``CIFAR10_URL`` and ``CIFAR10_MD5`` override the official URL and md5
(e.g. for a course mirror); ``CS231N_DATA`` moves the default destination.
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import re
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
from pathlib import Path

from . import paths
from .data import CIFAR10_BATCH_FILES

OFFICIAL_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
OFFICIAL_MD5 = "c58f30108f718f92721af3b95e74349a"
ARCHIVE_NAME = "cifar-10-python.tar.gz"
REQUIRED_FILES = CIFAR10_BATCH_FILES + ("batches.meta",)
OFFICIAL_FILE_MD5S = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
    "batches.meta": "5ff9c542aee3614f3951f8cda6e48888",
}
CHUNK = 1 << 16
TIMEOUT = 60  # seconds without data before giving up


class DownloadError(RuntimeError):
    """An expected failure (network, checksum, bad archive), with a one-line message."""


def md5sum(path):
    """Hex md5 of a file, read in chunks."""
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _complete(folder):
    return all((folder / name).is_file() for name in REQUIRED_FILES)


def _fetch(url, archive, progress):
    """Download url to archive via archive.part, resuming a partial .part."""
    from tqdm import tqdm

    part = archive.with_name(archive.name + ".part")
    for _ in range(2):  # a second pass only after discarding an unusable .part
        start = part.stat().st_size if part.exists() else 0
        request = urllib.request.Request(url, headers={"Range": f"bytes={start}-"} if start else {})
        try:
            response = urllib.request.urlopen(request, timeout=TIMEOUT)
        except urllib.error.HTTPError as e:
            total = re.fullmatch(r"bytes \*/(\d+)", e.headers.get("Content-Range", "") or "")
            if e.code == 416 and start and total and int(total[1]) == start:
                break  # the .part is already the whole file
            if e.code == 416 and start:
                part.unlink()  # .part is longer than the file or the server is confused: restart
                continue
            raise DownloadError(f"could not download {url}: HTTP {e.code} {e.reason}") from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise DownloadError(f"could not download {url}: {reason}") from None
        with response:
            content_range = response.headers.get("Content-Range", "")
            if start and response.status == 206 and not content_range.startswith(f"bytes {start}-"):
                part.unlink()  # the server sent a different range than asked: start over
                continue
            if response.status != 206:
                start = 0  # the server ignored Range: restart from zero
            length = response.headers.get("Content-Length")
            total = start + int(length) if length is not None else None
            try:
                with open(part, "ab" if start else "wb") as f, \
                        tqdm(total=total, initial=start, unit="B", unit_scale=True,
                             desc=archive.name, disable=not progress) as bar:
                    while chunk := response.read(CHUNK):
                        f.write(chunk)
                        bar.update(len(chunk))
            except (OSError, http.client.HTTPException) as e:
                raise DownloadError(f"download of {url} interrupted ({str(e) or type(e).__name__}); "
                                    f"run again to resume from {part}") from None
        size = part.stat().st_size
        if total is not None and size != total:
            if size > total:
                part.unlink()
            raise DownloadError(f"download of {url} incomplete: got {size} of {total} bytes; "
                                f"run again to resume")
        break
    else:
        raise DownloadError(f"could not download {url}: the server does not resume downloads properly")
    part.replace(archive)


def _safe_members(tar, archive):
    members = tar.getmembers()
    for m in members:
        parts = Path(m.name).parts
        if m.name.startswith(("/", "\\")) or os.path.isabs(m.name) or ".." in parts:
            raise DownloadError(f"{archive} contains an unsafe path: {m.name!r}; nothing was extracted")
        if not (m.isfile() or m.isdir()):
            raise DownloadError(f"{archive} contains a link or special file: {m.name!r}; "
                                f"nothing was extracted")
    return members


def _extract(archive, dest, target, file_md5s):
    """Extract archive into a temp folder in dest, check it, then rename it to target."""
    tmp = Path(tempfile.mkdtemp(prefix=".cifar-10-extract-", dir=dest))
    try:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                members = _safe_members(tar, archive)
                tar.extractall(tmp, members=members, filter="data")
        except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
            raise DownloadError(f"could not extract {archive}: {str(e) or type(e).__name__}") from None
        folder = tmp / target.name
        missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
        if missing:
            raise DownloadError(f"{archive} has no {target.name}/{{{', '.join(missing)}}}")
        for name, expected in (file_md5s or {}).items():
            actual = md5sum(folder / name)
            if actual != expected.lower():
                raise DownloadError(f"{target.name}/{name} has md5 {actual}, expected {expected}")
        if target.exists():  # an incomplete earlier copy: move it aside, it goes with tmp
            target.replace(tmp / "previous")
        folder.replace(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def download_cifar10(dest=None, url=None, expected_md5=None, progress=True, batch_md5s=None):
    """Download, verify and extract CIFAR-10 unless it is already there.

    Inputs:
    - dest: folder that receives cifar-10-batches-py (default: ``paths.data_dir()``).
    - url: archive URL (default: $CIFAR10_URL or the official URL).
    - expected_md5: md5 of the archive (default: $CIFAR10_MD5 or the official md5).
    - progress: show a progress bar.
    - batch_md5s: dict {file name: md5} checked after extraction (default: the
      official per-file md5s when the archive md5 is the official one, else none).

    Returns:
    - Path of the extracted folder ``<dest>/cifar-10-batches-py``.

    Raises DownloadError with a one-line message on any expected failure. A partial
    download is kept for resuming; a bad archive is deleted; nothing is half-extracted.
    """
    dest = paths.data_dir() if dest is None else Path(dest).expanduser().resolve()
    url = url or os.environ.get("CIFAR10_URL") or OFFICIAL_URL
    expected_md5 = (expected_md5 or os.environ.get("CIFAR10_MD5") or OFFICIAL_MD5).lower()
    if batch_md5s is None and expected_md5 == OFFICIAL_MD5:
        batch_md5s = OFFICIAL_FILE_MD5S
    target = dest / paths.CIFAR10_FOLDER_NAME
    if _complete(target):
        print(f"CIFAR-10 is already in {target}; nothing to do.")
        return target

    dest.mkdir(parents=True, exist_ok=True)
    archive = dest / ARCHIVE_NAME
    if not archive.is_file():
        print(f"Downloading {url} to {dest}")
        _fetch(url, archive, progress)
    actual = md5sum(archive)
    if actual != expected_md5:
        archive.unlink()
        raise DownloadError(f"checksum mismatch for {url}: expected md5 {expected_md5}, got {actual}; "
                            f"the archive was deleted")
    try:
        _extract(archive, dest, target, batch_md5s)
    except DownloadError:
        archive.unlink()
        raise
    archive.unlink()
    print(f"CIFAR-10 is ready in {target}")
    return target


def main(argv=None):
    """Command line entry point; returns the exit code (0 success, 1 failure)."""
    parser = argparse.ArgumentParser(prog="python -m cs231n_lib.download",
                                     description="Download and verify CIFAR-10 (python version).")
    parser.add_argument("--dest", help="folder for cifar-10-batches-py (default: the data folder)")
    parser.add_argument("--url", help="archive URL (default: $CIFAR10_URL or the official URL)")
    parser.add_argument("--md5", help="archive md5 (default: $CIFAR10_MD5 or the official md5)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)
    try:
        download_cifar10(args.dest, args.url, args.md5, progress=not args.no_progress)
    except (DownloadError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; run again to resume the download", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
