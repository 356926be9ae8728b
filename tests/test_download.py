"""The CIFAR-10 downloader against a local HTTP server (127.0.0.1 only, no internet)."""
import http.server
import re
import threading

import pytest

from cifar_fixture import FOLDER, SIZES, file_md5s, make_tarball, md5, write_cifar_folder
from cs231n_lib import download
from cs231n_lib.data import load_CIFAR10
from cs231n_lib.download import DownloadError, download_cifar10, main

pytestmark = pytest.mark.timeout(60)
PAYLOAD = make_tarball()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        srv = self.server
        first = not srv.ranges
        rng = self.headers.get("Range")
        srv.ranges.append(rng)
        data, start = srv.payload, 0
        if rng and srv.honor_range:
            start = int(re.fullmatch(r"bytes=(\d+)-", rng)[1])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if first and srv.cut_after is not None:
            body = body[:srv.cut_after]  # then drop the connection mid-transfer
        self.wfile.write(body)
        srv.bytes_sent += len(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.payload, srv.honor_range, srv.cut_after, srv.ranges, srv.bytes_sent = PAYLOAD, True, None, [], 0
    srv.url = f"http://127.0.0.1:{srv.server_address[1]}/cifar-10-python.tar.gz"
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def fetch(srv, dest, **kw):
    kw.setdefault("expected_md5", md5(srv.payload))
    return download_cifar10(dest, url=srv.url, progress=False, **kw)


def test_success_loads(server, tmp_path):
    folder = fetch(server, tmp_path, batch_md5s=file_md5s())
    assert folder == tmp_path / FOLDER
    Xtr, Ytr, Xte, Yte = load_CIFAR10(folder)
    assert Xtr.shape == (sum(SIZES.values()) - SIZES["test_batch"], 32, 32, 3)
    assert Yte.shape == (SIZES["test_batch"],)
    assert sorted(p.name for p in tmp_path.iterdir()) == [FOLDER]  # no archive, part or temp left
    assert server.ranges == [None]


def test_wrong_checksum(server, tmp_path):
    with pytest.raises(DownloadError) as err:
        fetch(server, tmp_path, expected_md5="0" * 32)
    message = str(err.value)
    assert "0" * 32 in message and md5(PAYLOAD) in message and server.url in message
    assert list(tmp_path.iterdir()) == []  # archive removed, nothing extracted, no temp folder


def test_wrong_file_checksum_after_extraction(server, tmp_path):
    md5s = dict(file_md5s(), data_batch_2="f" * 32)
    with pytest.raises(DownloadError, match="data_batch_2"):
        fetch(server, tmp_path, batch_md5s=md5s)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_download_resumes(server, tmp_path):
    cut = len(PAYLOAD) // 3
    server.cut_after = cut
    with pytest.raises(DownloadError, match="resume"):
        fetch(server, tmp_path)
    part = tmp_path / "cifar-10-python.tar.gz.part"
    assert part.stat().st_size == cut and not (tmp_path / FOLDER).exists()
    folder = fetch(server, tmp_path)
    assert server.ranges == [None, f"bytes={cut}-"]
    assert server.bytes_sent == len(PAYLOAD) < 2 * len(PAYLOAD)
    assert load_CIFAR10(folder)[1].shape == (sum(SIZES.values()) - SIZES["test_batch"],)
    assert not part.exists()


def test_server_ignoring_range_restarts_cleanly(server, tmp_path):
    server.honor_range = False
    server.cut_after = len(PAYLOAD) // 2
    with pytest.raises(DownloadError):
        fetch(server, tmp_path)
    folder = fetch(server, tmp_path)  # would fail the md5 if the 200 body were appended
    assert server.ranges[1] is not None  # it asked to resume, got the whole file
    assert server.bytes_sent == len(PAYLOAD) // 2 + len(PAYLOAD)
    assert load_CIFAR10(folder)[0].shape[1:] == (32, 32, 3)


def test_complete_part_answered_416(server, tmp_path):
    (tmp_path / "cifar-10-python.tar.gz.part").write_bytes(PAYLOAD)
    folder = fetch(server, tmp_path)
    assert server.ranges == [f"bytes={len(PAYLOAD)}-"] and server.bytes_sent == 0
    assert (folder / "test_batch").is_file()


def test_part_longer_than_file_restarts(server, tmp_path):
    (tmp_path / "cifar-10-python.tar.gz.part").write_bytes(PAYLOAD + b"junk")
    fetch(server, tmp_path)  # 416 for the oversize range, then a fresh download
    assert server.ranges == [f"bytes={len(PAYLOAD) + 4}-", None]
    assert sorted(p.name for p in tmp_path.iterdir()) == [FOLDER]


@pytest.mark.parametrize("payload", [b"garbage, not a tar.gz " * 100, PAYLOAD[: 2 * len(PAYLOAD) // 3]],
                         ids=["garbage", "truncated-tar"])
def test_corrupt_archive_leaves_nothing(server, tmp_path, payload):
    server.payload = payload
    with pytest.raises(DownloadError, match="extract"):
        fetch(server, tmp_path)  # the md5 matches: the archive itself is bad
    assert list(tmp_path.iterdir()) == []


def test_unsafe_member_rejected(server, tmp_path):
    server.payload = make_tarball(extra={"../evil.txt": b"x"})
    dest = tmp_path / "data"
    with pytest.raises(DownloadError, match="unsafe path: '../evil.txt'"):
        fetch(server, dest)
    assert list(dest.iterdir()) == [] and not (tmp_path / "evil.txt").exists()


def test_archive_missing_a_batch_leaves_nothing(server, tmp_path):
    server.payload = make_tarball(drop=("test_batch",))
    with pytest.raises(DownloadError, match="test_batch"):
        fetch(server, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_already_present_skips_download(server, tmp_path, capsys):
    write_cifar_folder(tmp_path / FOLDER)
    (tmp_path / FOLDER / "batches.meta").write_bytes(b"meta")
    assert fetch(server, tmp_path) == tmp_path / FOLDER
    assert server.ranges == [] and "already" in capsys.readouterr().out


def test_incomplete_folder_is_replaced(server, tmp_path):
    write_cifar_folder(tmp_path / FOLDER)  # no batches.meta: not complete
    (tmp_path / FOLDER / "test_batch").unlink()
    folder = fetch(server, tmp_path)
    assert server.ranges == [None] and (folder / "test_batch").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [FOLDER]


def test_network_error_is_clear(tmp_path):
    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    url = f"http://127.0.0.1:{srv.server_address[1]}/x.tar.gz"
    srv.server_close()  # nothing listens on that port any more
    with pytest.raises(DownloadError, match="could not download"):
        download_cifar10(tmp_path, url=url, expected_md5="0" * 32, progress=False)


def test_defaults_from_environment(server, tmp_path, monkeypatch):
    monkeypatch.setenv("CS231N_DATA", str(tmp_path))
    monkeypatch.setenv("CIFAR10_URL", server.url)
    monkeypatch.setenv("CIFAR10_MD5", md5(PAYLOAD))
    assert download_cifar10(progress=False) == tmp_path / FOLDER
    assert server.ranges == [None]


def test_official_md5_checks_official_file_md5s(server, tmp_path, monkeypatch):
    monkeypatch.delenv("CIFAR10_MD5", raising=False)
    monkeypatch.setattr(download, "md5sum", lambda path: download.OFFICIAL_MD5
                        if path.name.endswith(".tar.gz") else md5(path.read_bytes()))
    with pytest.raises(DownloadError, match="c99cafc152244af753f735de768cd75f"):
        fetch(server, tmp_path, expected_md5=None)  # synthetic files are not the official ones
    assert list(tmp_path.iterdir()) == []


def test_cli(server, tmp_path, capsys):
    args = ["--dest", str(tmp_path), "--url", server.url, "--no-progress"]
    assert main(args + ["--md5", "0" * 32]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert main(args + ["--md5", md5(PAYLOAD)]) == 0
    assert (tmp_path / FOLDER / "data_batch_5").is_file()
