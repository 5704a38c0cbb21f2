"""Collecting batch inputs: regular files only, every archive member accounted for, the output
folder never read, and the same files for every command."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mineral_compliance import inputs as inputs_module
from mineral_compliance._io import FileRefusedError
from mineral_compliance._io.run import output_run, write_atomic
from mineral_compliance.errors import NotAWorkbookError
from mineral_compliance.inputs import Input, close_archives, collect_inputs, read_input

from .conftest import FIXTURES

DEMO = FIXTURES / "demo" / "cmrt-6.5-product-scope.xlsx"


@pytest.fixture(autouse=True)
def _closed_archives() -> Iterator[None]:
    yield
    close_archives()


def _problems(found: list[Input]) -> dict[str, str | None]:
    return {Path(i.label).name if "!" not in i.label else i.label.split("!", 1)[1]: i.problem
            for i in found}


@pytest.fixture
def inbox(tmp_path: Path) -> Iterator[Path]:
    box = tmp_path / "inbox"
    (box / "sub").mkdir(parents=True)
    shutil.copy(DEMO, box / "a.xlsx")
    shutil.copy(DEMO, box / "sub" / "c.xlsm")
    (box / "~$a.xlsx").write_bytes(b"lock")
    (box / "._a.xlsx").write_bytes(b"resource fork")
    (box / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64)
    shutil.copy(DEMO, box / "sub" / "d.xltx")
    with zipfile.ZipFile(box / "open.ods", "w") as ods:
        ods.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    (box / "binary.xlsb").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    (box / "notes.txt").write_text("not an input")
    os.mkfifo(box / "pipe.xlsx")
    (box / "zero.xlsx").symlink_to("/dev/zero")
    (box / "dangling.xlsx").symlink_to(box / "gone.xlsx")
    (box / "sub" / "loop").symlink_to(box)  # a folder link back to its parent
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(box / "sock.xlsx"))
    try:
        yield box
    finally:
        sock.close()


def test_a_folder_gives_templates_and_refuses_what_is_not_a_regular_file(inbox: Path) -> None:
    found = collect_inputs(inbox)
    problems = _problems(found)
    assert set(problems) == {"a.xlsx", "c.xlsm", "d.xltx", "old.xls", "open.ods", "binary.xlsb",
                             "pipe.xlsx", "zero.xlsx", "dangling.xlsx", "sock.xlsx"}
    assert problems["a.xlsx"] is None and problems["c.xlsm"] is None
    assert problems["d.xltx"] is None
    # read, then reported as the format each is
    assert problems["old.xls"] is None and problems["open.ods"] is None
    assert problems["binary.xlsb"] is None
    assert "named pipe" in (problems["pipe.xlsx"] or "")
    assert "device" in (problems["zero.xlsx"] or "")
    assert "socket" in (problems["sock.xlsx"] or "")
    assert "symbolic link to nothing" in (problems["dangling.xlsx"] or "")
    # a refused input is an unreadable input, named, never opened
    fifo = next(i for i in found if i.label.endswith("pipe.xlsx"))
    with pytest.raises(NotAWorkbookError, match=r"pipe\.xlsx.*named pipe"):
        read_input(fifo)


def test_a_fifo_named_or_globbed_is_refused_without_blocking(inbox: Path) -> None:
    for given in (inbox / "pipe.xlsx", str(inbox / "pipe*.xlsx")):
        (item,) = collect_inputs([given])
        assert item.problem and "named pipe" in item.problem


def test_one_string_is_one_path_not_its_characters(inbox: Path) -> None:
    assert collect_inputs(str(inbox)) == collect_inputs([inbox])
    with pytest.raises(TypeError):
        collect_inputs([b"inbox"])  # type: ignore[list-item]


def test_nothing_matching_and_missing_names_are_reported(tmp_path: Path) -> None:
    found = collect_inputs([tmp_path / "missing.xlsx", str(tmp_path / "none-*.xlsx")])
    assert [i.problem for i in found] == ["no such file or folder", "the pattern matches no file"]
    assert collect_inputs(tmp_path) == []  # an empty folder: the caller says "no input found"


def _archive(path: Path, members: list[tuple[str, bytes | None]]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members:
            if data is None:  # a symbolic link member
                info = zipfile.ZipInfo(name)
                info.create_system = 3
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                z.writestr(info, "/etc/passwd")
            else:
                z.writestr(name, data)
    return path


def test_every_archive_member_is_accounted_for(tmp_path: Path) -> None:
    template = DEMO.read_bytes()
    inner = tmp_path / "inner.zip"
    _archive(inner, [("deep.xlsx", template)])
    archive = tmp_path / "batch.zip"
    with pytest.warns(UserWarning, match="Duplicate name"):
        _archive(archive, [("a.xlsx", template), ("a.xlsx", b"second copy"),
                           ("legacy.xls", b"\xd0\xcf\x11\xe0"), ("link.xlsx", None),
                           ("__MACOSX/._a.xlsx", b"fork"), ("dir/~$lock.xlsx", b"lock"),
                           ("readme.txt", b"text"), ("inner.zip", inner.read_bytes())])
    found = collect_inputs(archive)
    problems = _problems(found)
    assert list(problems) == ["a.xlsx", "a.xlsx#2", "legacy.xls", "link.xlsx",
                              "inner.zip!deep.xlsx"]
    assert problems["link.xlsx"] == "a symbolic link inside the archive, not a file"
    first, second = (next(i for i in found if i.label.endswith(n)) for n in ("a.xlsx",
                                                                             "a.xlsx#2"))
    assert read_input(first) == template
    assert read_input(second) == b"second copy"  # the duplicate is read, not the first again
    deep = next(i for i in found if i.label.endswith("deep.xlsx"))
    assert read_input(deep) == template


def test_archives_nested_too_deep_and_damaged_ones_are_reported(tmp_path: Path) -> None:
    data = DEMO.read_bytes()
    for depth in range(5):
        path = _archive(tmp_path / f"level{depth}.zip",
                        [("t.xlsx" if depth == 0 else f"level{depth - 1}.zip", data)])
        data = path.read_bytes()
    (item,) = collect_inputs(tmp_path / "level4.zip")
    assert item.problem and "nested more than" in item.problem
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really")
    (item,) = collect_inputs(tmp_path / "broken.zip")
    assert item.problem and "damaged" in item.problem
    _archive(tmp_path / "nothing.zip", [("readme.txt", b"x")])
    (item,) = collect_inputs(tmp_path / "nothing.zip")
    assert item.problem == "the archive holds no .xlsx, .xlsm or .xls file"


def test_an_archive_is_opened_once_for_all_its_members(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    archive = _archive(tmp_path / "many.zip", [(f"f{i:03}.xlsx", b"x" * i) for i in range(200)])
    opened: list[object] = []
    real = zipfile.ZipFile

    def counting(file: Any, *args: Any, **kwargs: Any) -> zipfile.ZipFile:
        opened.append(file)
        return real(file, *args, **kwargs)

    close_archives()
    monkeypatch.setattr(zipfile, "ZipFile", counting)
    found = collect_inputs(archive)
    assert [len(read_input(i)) for i in found] == list(range(200))
    assert len(opened) == 1


def test_an_archive_declaring_too_many_entries_is_refused_before_parsing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = _archive(tmp_path / "wide.zip", [(f"f{i}.xlsx", b"") for i in range(30)])
    monkeypatch.setattr(inputs_module, "MAX_ARCHIVE_MEMBERS", 20)
    close_archives()

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the central directory was parsed")

    monkeypatch.setattr(zipfile, "ZipFile", never)
    (item,) = collect_inputs(archive)
    assert item.problem == "the archive declares 30 entries, over the 20 limit"


def test_the_output_folder_and_what_earlier_runs_wrote_are_never_inputs(tmp_path: Path) -> None:
    shutil.copy(DEMO, tmp_path / "supplier.xlsx")
    out = tmp_path / "consolidation"
    out.mkdir()
    shutil.copy(DEMO, out / "company-cmrt.xlsx")
    (tmp_path / ".mineral-compliance-run-1234").mkdir()
    shutil.copy(DEMO, tmp_path / ".mineral-compliance-run-1234" / "staged.xlsx")
    assert [Path(i.label).name for i in collect_inputs(tmp_path, exclude=[out])] == [
        "supplier.xlsx"]
    # writing into the input folder itself: the manifest names what the library wrote
    with output_run(tmp_path, name="consolidation"):
        write_atomic(tmp_path / "company-emrt.xlsx", DEMO.read_bytes())
    assert (tmp_path / "company-emrt.xlsx").is_file()
    names = [Path(i.label).name for i in collect_inputs(tmp_path, exclude=[tmp_path])]
    assert names == ["company-cmrt.xlsx", "supplier.xlsx"]


def test_inputs_sharing_a_label_are_both_kept_and_one_named_twice_once(tmp_path: Path) -> None:
    _archive(tmp_path / "a.zip", [("b.xlsx", b"member")])
    (tmp_path / "a.zip!b.xlsx").write_bytes(b"a file of that name")
    found = collect_inputs([tmp_path, tmp_path / "a.zip", str(tmp_path / "a.zip")])
    assert sorted(read_input(i) for i in found) == [b"a file of that name", b"member"]
    assert len({i.label for i in found}) == 2
    assert any(i.label.endswith("a.zip!b.xlsx#2") for i in found)


def test_an_archive_zipfile_cannot_handle_is_refused_while_collecting(tmp_path: Path) -> None:
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("t.xlsx", DEMO.read_bytes())
    damaged = bytearray(inner.read_bytes())
    at = damaged.find(b"PK\x03\x04") + 30 + len("t.xlsx")  # the start of the deflated data
    damaged[at:at + 64] = b"\xff" * 64
    _archive(tmp_path / "outer.zip", [("inner.zip", bytes(damaged))])
    (item,) = collect_inputs(tmp_path / "outer.zip")
    assert item.label.endswith("outer.zip!inner.zip!t.xlsx")
    with pytest.raises(NotAWorkbookError, match="cannot be extracted"):
        read_input(item)  # damaged deflate data: a typed error, not zlib.error
    version = bytearray(inner.read_bytes())
    central = version.rfind(b"PK\x01\x02")  # the archive's own entry, after the data
    version[central + 6:central + 8] = (99).to_bytes(2, "little")  # needs zip version 9.9
    (tmp_path / "future.zip").write_bytes(bytes(version))
    (item,) = collect_inputs(tmp_path / "future.zip")  # NotImplementedError in zipfile
    assert item.problem == "the archive is damaged (zip file version 9.9)"


def test_an_archive_whose_directory_is_larger_than_its_count_says_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """zipfile parses as many directory bytes as the end record says, whatever its entry
    count: a count patched down to 1 must not let a huge directory through."""
    archive = _archive(tmp_path / "lying.zip", [(f"f{i}.xlsx", b"") for i in range(300)])
    data = bytearray(archive.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    data[end + 8:end + 12] = (1).to_bytes(2, "little") * 2  # one entry, on disk and in all
    archive.write_bytes(bytes(data))
    monkeypatch.setattr(inputs_module, "MAX_DIRECTORY_BYTES", 5_000)
    close_archives()
    (item,) = collect_inputs(archive)
    assert item.problem is not None and "directory is" in item.problem
    assert "over the 5,000 byte limit" in item.problem


def test_an_archive_swapped_for_a_fifo_after_its_stat_is_refused_without_blocking(
        tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "batch.zip")
    with pytest.raises(FileRefusedError, match="not a regular file"):
        inputs_module._open_regular(str(tmp_path / "batch.zip"))
