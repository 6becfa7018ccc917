"""The streaming sentence splitter: same sentences whatever the pieces, first audio as early as possible."""

from __future__ import annotations

import random

import pytest

from jarvis.tts.sentences import SentenceSplitter


def split_by_char(text: str, **options: int) -> list[str]:
    splitter = SentenceSplitter(**options)
    out: list[str] = []
    for char in text:
        out += splitter.feed(char)
    return out + splitter.flush()


def split_in_pieces(text: str, seed: int, **options: int) -> list[str]:
    rng = random.Random(seed)
    splitter = SentenceSplitter(**options)
    out: list[str] = []
    i = 0
    while i < len(text):
        size = rng.randint(1, 12)
        out += splitter.feed(text[i : i + size])
        i += size
    return out + splitter.flush()


def split_whole(text: str, **options: int) -> list[str]:
    splitter = SentenceSplitter(**options)
    return splitter.feed(text) + splitter.flush()


CASES = [
    (
        "Bonjour ! Il fait 21,5 degrés à Paris, et le ciel est dégagé. Voulez-vous autre chose ?",
        ["Bonjour !", "Il fait 21,5 degrés à Paris, et le ciel est dégagé.", "Voulez-vous autre chose ?"],
    ),
    (
        "Bien sûr, monsieur, la lumière du salon est allumée, comme demandé. C'est fait.",
        ["Bien sûr, monsieur, la lumière du salon est allumée,", "comme demandé.", "C'est fait."],
    ),
    (
        "M. Dupont et Mme. Martin arrivent à 14:05. Pi vaut 3.14 environ… Des fruits, etc. et des kiwis. Fin.",
        [
            "M. Dupont et Mme. Martin arrivent à 14:05.",
            "Pi vaut 3.14 environ…",
            "Des fruits, etc. et des kiwis.",
            "Fin.",
        ],
    ),
    ("Des pommes, des poires, etc. Ensuite on part.", ["Des pommes, des poires, etc.", "Ensuite on part."]),
    (
        "Voici la liste :\n1. Acheter du pain\n2. Appeler le Dr. House\n\nMerci !",
        ["Voici la liste :", "1. Acheter du pain", "2. Appeler le Dr. House", "Merci !"],
    ),
    (
        "Il a dit « Bonjour ! » puis il est parti... Ensuite mais…non rien; voilà",
        ["Il a dit « Bonjour ! »", "puis il est parti...", "Ensuite mais…non rien;", "voilà"],
    ),
    ("Visitez www.example.fr pour en savoir plus. Merci.", ["Visitez www.example.fr pour en savoir plus.", "Merci."]),
    ("Quoi ?! Vraiment ? Oui.", ["Quoi ?!", "Vraiment ?", "Oui."]),
    ("  ...  ", []),
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_sentences_whatever_the_pieces(text: str, expected: list[str]) -> None:
    assert split_by_char(text) == expected
    assert split_whole(text) == expected
    for seed in range(5):
        assert split_in_pieces(text, seed) == expected


def test_first_piece_is_cut_early_at_a_comma_only_once_long_enough() -> None:
    text = "D'accord, je regarde la météo de demain ici, puis je vous dis tout, promis."
    assert split_by_char(text) == [
        "D'accord, je regarde la météo de demain ici,",
        "puis je vous dis tout, promis.",
    ]
    assert split_by_char(text, first_clause_min_chars=1000) == [text]
    assert split_by_char(text, first_clause_min_chars=5) == [
        "D'accord,",
        "je regarde la météo de demain ici, puis je vous dis tout, promis.",
    ]


def test_first_piece_may_stop_before_a_word_opening_a_clause() -> None:
    text = "Il fait 12 degrés à Paris avec un ciel dégagé et un vent léger. Bonne journée et à bientôt !"
    expected = ["Il fait 12 degrés à Paris", "avec un ciel dégagé et un vent léger.", "Bonne journée et à bientôt !"]
    assert split_by_char(text, first_clause_min_chars=10) == expected
    assert split_whole(text, first_clause_min_chars=10) == expected
    for seed in range(5):
        assert split_in_pieces(text, seed, first_clause_min_chars=10) == expected
    # Not too early, and not before a word that only starts like one (« puis » → « puisque »).
    assert split_by_char("Le chat et le chien dorment.") == ["Le chat et le chien dorment."]
    text = "Il reste vingt minutes puisque le four chauffe."
    assert split_by_char(text, first_clause_min_chars=10) == [text]
    splitter = SentenceSplitter(first_clause_min_chars=10)
    assert splitter.feed("Il reste vingt minutes puis") == []  # « puis » or « puisque »: decided by what follows
    assert splitter.feed(" je") == ["Il reste vingt minutes"]


def test_a_decimal_comma_is_not_a_clause() -> None:
    assert split_by_char("La température extérieure est de 21,5 degrés ce soir.") == [
        "La température extérieure est de 21,5 degrés ce soir."
    ]


def test_a_comma_after_a_word_ends_the_first_piece_at_once() -> None:
    """After a letter the comma is no decimal one: the first piece goes to the voice without waiting for the next
    token; after a figure it waits (« 21, » may go on as « 21,5 »)."""
    splitter = SentenceSplitter(first_clause_min_chars=10)
    assert splitter.feed("Je suis désolé,") == ["Je suis désolé,"]
    splitter = SentenceSplitter(first_clause_min_chars=10)
    assert splitter.feed("Il fait environ 21,") == []
    assert splitter.feed("5 degrés.") == []
    assert splitter.flush() == ["Il fait environ 21,5 degrés."]


def test_sentences_come_out_as_soon_as_they_end() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("C'est fait") == []
    assert splitter.feed(".") == []  # "." might still be "3.14" or "M. Dupont"
    assert splitter.feed(" La") == ["C'est fait."]
    assert splitter.feed(" lumière est allumée") == []
    assert splitter.feed(" !\n") == ["La lumière est allumée !"]
    assert splitter.flush() == []


def test_an_abbreviation_waits_for_the_next_word() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("Des pommes etc. ") == []
    assert splitter.feed("et des poires. ") == []
    assert splitter.feed("Voilà") == ["Des pommes etc. et des poires."]
    assert splitter.flush() == ["Voilà"]


def test_run_on_text_is_cut_at_a_space() -> None:
    text = " ".join(["mot"] * 60)
    pieces = split_by_char(text, max_chars=50)
    assert all(len(piece) <= 50 for piece in pieces)
    assert " ".join(pieces) == text
    assert pieces == split_whole(text, max_chars=50)


def test_flush_starts_afresh() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("Première réponse, assez longue à couper") == []
    assert splitter.flush() == ["Première réponse, assez longue à couper"]
    # The next reply gets its own early first clause.
    assert splitter.feed("Deuxième réponse, elle aussi assez longue, oui") == [
        "Deuxième réponse, elle aussi assez longue,"
    ]
    assert splitter.flush() == ["oui"]


@pytest.mark.parametrize(
    ("written", "piece", "rest"),
    [
        # The last complete word a phrase can end on; never before what leans on the next word.
        ('Le livre "Les Misérables" a été écrit par Vic', 'Le livre "Les Misérables" a été écrit', "par Vic"),
        ("La capitale de l'Italie est Ro", "La capitale de l'Italie", "est Ro"),
        ("C'est une bonne idée de", "C'est une bonne idée", "de"),
        ("Il fait 21 °C dans le sal", "Il fait 21 °C", "dans le sal"),
        ("Il reste 3 minutes sur le ", "Il reste 3 minutes", "sur le "),
        ("« Les Misérables » est un", "« Les Misérables »", "est un"),
        ("Je ne sais pas où", "Je ne sais pas", "où"),
        # No cut yet: too short, a number without its unit, « ne … pas » apart, a quote left open, a word that
        # may not be finished.
        ("Le livre", None, "Le livre"),
        ("Il est 14 h 30 à Pa", None, "Il est 14 h 30 à Pa"),
        ("Je ne sais pas", None, "Je ne sais pas"),
        ('Le titre est "Les Misé', None, 'Le titre est "Les Misé'),
        ("Victor Hugo a écrit ", "Victor Hugo", "a écrit "),
    ],
)
def test_an_overdue_first_piece_stops_where_a_phrase_can(written: str, piece: str | None, rest: str) -> None:
    splitter = SentenceSplitter(first_clause_min_chars=10)
    assert splitter.feed(written) == []
    assert splitter.overdue_first_piece() == piece
    assert splitter.flush() == ([rest.strip()] if rest.strip() else [])


def test_only_the_first_piece_is_ever_overdue() -> None:
    splitter = SentenceSplitter(first_clause_min_chars=10)
    assert splitter.feed("Bonjour, je suis Jarvis et je") == ["Bonjour, je suis Jarvis"]
    assert splitter.overdue_first_piece() is None
    splitter = SentenceSplitter(first_clause_min_chars=10)
    assert splitter.feed("Douze fois douze font cent") == []
    assert splitter.overdue_first_piece() == "Douze fois douze font"
    assert splitter.feed(" quarante-quatre, je") == []  # later pieces end at sentence ends only
    assert splitter.overdue_first_piece() is None
    assert splitter.feed(" crois. Voilà") == ["cent quarante-quatre, je crois."]
