"""Batch inputs: folders, archives, list files; hostile archives refused by name, run goes on."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

from helpers import fixture_text

from summarise.inputs import Failure, Member, Selection, count_members, find_members


def names(items: list[Member | Failure]) -> list[str]:
    return [
        i.name.split("/")[-1] if isinstance(i, Member) else f"FAIL {i.name.split('!')[-1]}: {i.reason}" for i in items
    ]


def test_folder_recursive_with_globs_and_a_gbk_file(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "one.txt").write_text(fixture_text("province_and_city.txt"), encoding="utf-8")
    (tmp_path / "a" / "b" / "two.txt").write_bytes(fixture_text("county_in_city.txt").encode("gbk"))
    (tmp_path / "a" / "b" / "skip.md").write_text("x", encoding="utf-8")
    (tmp_path / "a" / "draft_three.txt").write_text("x", encoding="utf-8")
    found = list(find_members([str(tmp_path)], Selection(("*.txt",), ("draft_*",))))
    assert names(found) == ["two.txt", "one.txt"]  # sorted paths: a/b/two.txt, a/one.txt
    assert count_members([str(tmp_path)], Selection(("*.txt",), ("draft_*",))) == 2


def test_links_out_of_the_folder_are_not_followed_and_the_count_agrees(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "secret.txt").write_text("三个一批", encoding="utf-8")
    (outside / "deep" / "more.txt").write_text("三个一批", encoding="utf-8")
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "b.txt").write_text("三个一批", encoding="utf-8")
    (root / "a.txt").write_text("三个一批", encoding="utf-8")
    (root / "to_secret.txt").symlink_to(outside / "secret.txt")
    (root / "to_deep").symlink_to(outside / "deep")
    (root / "to_b.txt").symlink_to(root / "sub" / "b.txt")  # inside: taken
    found = list(find_members([str(root)]))
    assert [m.name for m in found] == [str(root / "a.txt"), str(root / "sub" / "b.txt"), str(root / "to_b.txt")]
    assert count_members([str(root)]) == 3


def test_globs_match_the_file_name_or_the_whole_path() -> None:
    pick = Selection(("*.txt", "*/2024/*.md"), ("draft_*", "*!old/*"))
    assert pick.wants("in/2023/a.txt")
    assert pick.wants("in/2024/b.md")
    assert not pick.wants("in/2023/b.md")
    assert not pick.wants("in/draft_c.txt")
    assert pick.wants("pages.zip!new/d.txt")
    assert not pick.wants("pages.zip!old/d.txt")
    assert not Selection(()).wants("a.txt")  # no include pattern: nothing is wanted


def test_zip_with_path_traversal_member_is_refused_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "pages.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("2023/good.txt", fixture_text("province_and_city.txt"))
        z.writestr("../../evil.txt", "三个一批")
        z.writestr("/abs.txt", "三个一批")
    found = list(find_members([str(path)]))
    assert names(found)[0] == "good.txt"
    failures = [f for f in found if isinstance(f, Failure)]
    assert [f.name.split("!")[-1] for f in failures] == ["../../evil.txt", "/abs.txt"]
    assert all("escapes the archive" in f.reason for f in failures)
    assert not (tmp_path.parent / "evil.txt").exists()


def test_corrupt_archive_is_one_failure(tmp_path: Path) -> None:
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04 this is not really a zip file at all")
    [failure] = list(find_members([str(path)]))
    assert isinstance(failure, Failure)
    assert "corrupt or unreadable archive" in failure.reason


def test_truncated_tar_gz_is_a_failure(tmp_path: Path) -> None:
    good = tmp_path / "good.tar.gz"
    with tarfile.open(good, "w:gz") as t:
        data = fixture_text("province_and_city.txt").encode()
        info = tarfile.TarInfo("x/a.txt")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    assert names(list(find_members([str(good)]))) == ["a.txt"]
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(good.read_bytes()[:60])
    assert any(isinstance(i, Failure) for i in find_members([str(broken)]))


def test_tar_links_and_devices_that_match_are_refused_by_name_the_rest_skipped(tmp_path: Path) -> None:
    path = tmp_path / "odd.tar"
    with tarfile.open(path, "w") as t:
        for name, kind in (
            ("x/link.txt", tarfile.SYMTYPE),
            ("x/pic.jpg", tarfile.SYMTYPE),
            ("x/dev.txt", tarfile.CHRTYPE),
        ):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, "/etc/passwd"
            t.addfile(info)
        data = "三个一批".encode()
        info = tarfile.TarInfo("x/ok.txt")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    assert names(list(find_members([str(path)]))) == [
        "FAIL x/link.txt: links inside archives are not followed",
        "FAIL x/dev.txt: not a regular file (device, pipe); refused",
        "ok.txt",
    ]  # x/pic.jpg is not a *.txt: not taken, so not a failure either


def test_zip_bomb_member_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bomb.txt", b"\0" * 30_000_000)
    [failure] = list(find_members([str(path)]))
    assert isinstance(failure, Failure)
    assert "archive bomb" in failure.reason


def test_list_file(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("三个一批", encoding="utf-8")
    listing = tmp_path / "list.txt"
    listing.write_text(f"# my files\n{tmp_path / 'a.txt'}\n{tmp_path / 'missing.txt'}\n", encoding="utf-8")
    found = list(find_members([f"@{listing}"]))
    assert names(found) == ["a.txt", f"FAIL {tmp_path / 'missing.txt'}: no such file or folder"]
