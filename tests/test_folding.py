"""viewer.folding's fast fold for the index against viewer.filtering.fold, the reference."""

from __future__ import annotations

import random

from testdata import CORPUS, require

from viewer.filtering import fold
from viewer.folding import _FOLDED_RUNS, fold_for_index, sort_key


def test_fold_for_index_folds_every_character_as_fold() -> None:
    every = [chr(code) for code in range(0x110000) if not 0xD800 <= code < 0xE000]
    for start in range(0, len(every), 4096):
        chunk = every[start : start + 4096]
        assert fold_for_index("".join(chunk)) == "".join(map(fold, chunk))
    # One at a time too, beside ASCII on either side.
    for ch in every[:0x3400]:
        assert fold_for_index(f"A{ch}b") == fold(f"A{ch}b"), repr(ch)


def test_fold_for_index_on_mixed_runs_marks_and_surrogates() -> None:
    rng = random.Random(11)
    alphabet = (
        "aAzZ 09,.\n\t"
        "äÄöÖüÜßẞéÉèçœŒﬁﬀİıſǅΣσςΌ①²ℌ™Å"
        "\u0301\u0308\u05b0\u0651\u093f\u200d\ufe0f\ud800\udfff"
        "中文한국어ДЖжᾯ🙂"
    )
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert fold_for_index(text) == fold(text), repr(text)
    assert fold_for_index("") == ""
    assert fold_for_index("Große STRASSE, Zoë") == "grosse strasse, zoe"
    # NFKD makes an upper-case H of it after casefolding: the fold keeps it so, and so
    # must the fast fold (it lowers only the ASCII the text itself holds).
    assert fold_for_index("ℌℌ a") == fold("ℌℌ a") == "HH a"
    assert sort_key("Émile Zola") == "emile zola"


def test_fold_for_index_on_the_corpus_letters() -> None:
    texts = [
        path.read_text(encoding="utf-8", errors="replace")
        for path in sorted(require(CORPUS).rglob("*.xml"))[:400]
    ]
    assert texts
    for text in texts:
        assert fold_for_index(text) == fold(text)


def test_folded_runs_stay_bounded() -> None:
    for n in range(100_050):
        fold_for_index(f"x{chr(0x4E00 + n % 20000)}{chr(0xAC00 + n // 20000)}y")
    assert len(_FOLDED_RUNS) <= 100_000
