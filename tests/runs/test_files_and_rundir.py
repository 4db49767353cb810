import os
import pickle

import pytest
import torch

from dec.errors import RunDirError, UnsafeModelError
from dec.runs.rundir import RunDir
from dec.utils import files


def test_atomic_write_keeps_old_file_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / "report.json"
    target.write_text("old")

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        files.atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temp file left


def test_weights_round_trip_and_refuse_pickled_code(tmp_path):
    files.save_weights(tmp_path / "w.pt", {"a": torch.arange(3.0)})
    assert torch.equal(files.load_weights(tmp_path / "w.pt")["a"], torch.arange(3.0))

    class Evil:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    (tmp_path / "evil.pt").write_bytes(pickle.dumps(Evil(), protocol=2))
    with pytest.raises(UnsafeModelError, match="refusing to load"):
        files.load_weights(tmp_path / "evil.pt")
    assert not (tmp_path / "pwned").exists()


def test_run_dir_checks(tmp_path):
    with pytest.raises(RunDirError, match="not found"):
        RunDir(tmp_path / "nope").check()
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.yaml").write_text("seed: 0\n")
    with pytest.raises(RunDirError, match="incomplete.*model.pt"):
        RunDir(tmp_path / "run").check()
    with pytest.raises(RunDirError, match="no finished run"):
        RunDir.newest(tmp_path)


def test_written_files_get_the_usual_mode_not_a_private_one(tmp_path):
    import os
    import stat

    from dec.utils import files

    mask = os.umask(0o022)
    try:
        files.atomic_write_text(tmp_path / "new.csv", "a\n")
        assert stat.S_IMODE((tmp_path / "new.csv").stat().st_mode) == 0o644
        existing = tmp_path / "shared.csv"
        existing.write_text("old\n")
        existing.chmod(0o664)
        files.atomic_write_text(existing, "new\n")  # a rewrite keeps the file's own mode
        assert stat.S_IMODE(existing.stat().st_mode) == 0o664
    finally:
        os.umask(mask)
