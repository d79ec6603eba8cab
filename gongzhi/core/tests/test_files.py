"""Private files under the data directory: 0600 in 0700 directories, random names, no
path outside the uploads directory, and nothing left behind by a failed transaction."""

import stat

import pytest

from gongzhi.core import files


def test_a_stored_file_is_private_and_named_by_a_random_id():
    relative = files.store(b"photo", folder="workorders", extension="jpg")
    path = files.uploads_dir() / relative
    assert relative.startswith("workorders/") and relative.endswith(".jpg")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert files.store(b"photo", folder="workorders", extension="jpg") != relative
    with files.open_stored(relative) as handle:
        assert handle.read() == b"photo"
    files.remove_stored(relative)
    assert not path.exists()
    files.remove_stored(relative)  # twice is harmless


@pytest.mark.parametrize("relative", ["../keyring.json", "/etc/passwd", "notices/../../x"])
def test_no_path_leaves_the_uploads_directory(relative, tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"
    outside = tmp_path / "keyring.json"
    outside.write_text("secret")
    with pytest.raises(FileNotFoundError):
        files.open_stored(relative)
    files.remove_stored(relative)
    assert outside.exists()


def test_a_failed_block_removes_what_it_stored():
    with pytest.raises(RuntimeError), files.StoredFiles() as stored:
        stored.paths.append(files.store(b"a", folder="notices", extension="pdf"))
        raise RuntimeError("the transaction failed")
    assert not (files.uploads_dir() / stored.paths[0]).exists()
