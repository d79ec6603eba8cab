"""The in-file duplicate check's memory: ID numbers seen so far, kept on disk."""

from gongzhi.imports.engine import SeenIds


def test_repeats_name_the_first_row_across_chunks_and_within_one():
    seen = SeenIds()
    try:
        assert seen.repeats([("a", 2), ("b", 3)]) == {}
        # A later chunk: "a" again (first on row 2), "c" twice within the chunk.
        assert seen.repeats([("c", 4), ("a", 5), ("c", 6), ("d", 7)]) == {5: 2, 6: 4}
        # Every repeat names the first row, not the previous repeat.
        assert seen.repeats([("a", 8), ("c", 9)]) == {8: 2, 9: 4}
        assert seen.repeats([]) == {}
    finally:
        seen.close()


def test_many_chunks_find_every_repeat():
    seen = SeenIds()
    try:
        found = {}
        for start in range(0, 10_000, 2000):
            found.update(seen.repeats([(f"id{n % 7000}", n) for n in range(start, start + 2000)]))
        assert found == {n: n - 7000 for n in range(7000, 10_000)}
    finally:
        seen.close()
