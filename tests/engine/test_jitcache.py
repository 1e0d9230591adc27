from types import SimpleNamespace

from backprop_study.engine import fastpath, lanes
from backprop_study.engine.fingerprint import engine_fingerprint
from backprop_study.engine.jitcache import STAMP, cache_folder, keep_current


def fake_dispatcher(folder):
    return SimpleNamespace(_cache=SimpleNamespace(cache_path=str(folder)))


def test_compiled_code_of_other_engine_sources_is_removed_once(tmp_path) -> None:
    """A kernel compiled before an edit to a file it inlines (numba does not check those) goes;
    what was compiled under today's sources stays, and so do files that are not numba's."""
    compiled = [
        tmp_path / "fastpath._run-320.py311.nbi",
        tmp_path / "fastpath._run-320.py311.1.nbc",
    ]
    for path in compiled:
        path.write_bytes(b"old kernel")
    bytecode = tmp_path / "fastpath.cpython-311.pyc"
    bytecode.write_bytes(b"bytecode")
    (tmp_path / STAMP).write_text("0123456789abcdef")  # another engine's
    keep_current(fake_dispatcher(tmp_path))
    assert not any(path.exists() for path in compiled)
    assert bytecode.read_bytes() == b"bytecode"
    assert (tmp_path / STAMP).read_text() == engine_fingerprint()
    for path in compiled:  # compiled anew, under today's sources
        path.write_bytes(b"new kernel")
    keep_current(fake_dispatcher(tmp_path), fake_dispatcher(tmp_path))
    assert all(path.read_bytes() == b"new kernel" for path in compiled)


def test_a_folder_without_a_stamp_is_emptied_and_one_without_a_cache_skipped(tmp_path) -> None:
    (tmp_path / "lanes._run-400.py311.nbi").write_bytes(b"from before the stamp")
    keep_current(fake_dispatcher(tmp_path), SimpleNamespace())
    assert sorted(p.name for p in tmp_path.iterdir()) == [STAMP]
    assert cache_folder(SimpleNamespace()) is None


def test_the_kernels_cache_folders_carry_the_engine_fingerprint() -> None:
    for kernel in (fastpath._run, lanes._run):
        folder = cache_folder(kernel)
        assert folder is not None
        assert (folder / STAMP).read_text() == engine_fingerprint()
