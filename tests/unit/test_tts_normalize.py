"""French text normalisation before synthesis: every written form the assistant may say, spelt out."""

from __future__ import annotations

import pytest

from jarvis.tts.normalize import normalize, normalize_fr

NNBSP = "\u202f"  # narrow no-break space, the French thousands separator
NBSP = "\u00a0"

CASES = [
    # integers and decimals
    ("21", "vingt et un"),
    ("Il y a 3 pommes.", "Il y a trois pommes."),
    ("80 ans", "quatre-vingts ans"),
    ("21,5", "vingt et un virgule cinq"),
    ("3.14", "trois virgule quatorze"),
    ("3,05", "trois virgule zéro cinq"),
    ("-4", "moins quatre"),
    ("entre 2-3 jours", "entre deux-trois jours"),
    ("007", "zéro zéro sept"),
    # temperatures
    ("21.5 °C", "vingt et un virgule cinq degrés"),
    ("21,5°C", "vingt et un virgule cinq degrés"),
    ("-3 °C", "moins trois degrés"),
    ("Il fait 1 °C.", "Il fait un degré."),
    ("+3 °C", "plus trois degrés"),
    ("70 °F", "soixante-dix degrés Fahrenheit"),
    # percentages
    ("50 %", "cinquante pour cent"),
    ("50%", "cinquante pour cent"),
    (f"12,5{NNBSP}%", "douze virgule cinq pour cent"),
    # times
    ("14h30", "quatorze heures trente"),
    ("14h", "quatorze heures"),
    ("14:05", "quatorze heures cinq"),
    ("0h15", "zéro heure quinze"),
    ("1h", "une heure"),
    ("à 7 h 05", "à sept heures cinq"),
    ("21h21", "vingt et une heures vingt et une"),
    ("14:05:30", "quatorze heures cinq minutes trente secondes"),
    ("99:99", "quatre-vingt-dix-neuf:quatre-vingt-dix-neuf"),
    # dates
    ("22/11/2026", "vingt-deux novembre deux mille vingt-six"),
    ("le 01/05/2027", "le premier mai deux mille vingt-sept"),
    ("2026-11-22", "vingt-deux novembre deux mille vingt-six"),
    ("1er janvier", "premier janvier"),
    ("le 14 juillet", "le quatorze juillet"),
    # ordinals
    ("1er", "premier"),
    ("la 1re fois", "la première fois"),
    ("2e étage", "deuxième étage"),
    ("3ème", "troisième"),
    ("21e", "vingt et unième"),
    ("XXIe siècle", "vingt et unième siècle"),
    ("Le Ve arrondissement", "Le cinquième arrondissement"),
    ("Le chat", "Le chat"),
    # units
    ("5 km", "cinq kilomètres"),
    ("1 km", "un kilomètre"),
    ("3 kg", "trois kilogrammes"),
    ("10 min", "dix minutes"),
    ("1 min", "une minute"),
    ("2 h", "deux heures"),
    ("30 s", "trente secondes"),
    ("100 km/h", "cent kilomètres heure"),
    ("1,5 l", "un virgule cinq litre"),
    ("60 W", "soixante watts"),
    ("5 mois", "cinq mois"),
    # abbreviations
    ("M. Dupont", "monsieur Dupont"),
    ("Mme Martin", "madame Martin"),
    ("Mme. Martin", "madame Martin"),
    ("Dr Martin", "docteur Martin"),
    ("Des pommes, des poires, etc.", "Des pommes, des poires, et cetera."),
    ("des pommes etc. et des poires", "des pommes et cetera et des poires"),
    ("n° 5", "numéro cinq"),
    ("en 52 av. J.-C.", "en cinquante-deux avant Jésus-Christ"),
    # currency
    ("12 €", "douze euros"),
    ("1 €", "un euro"),
    ("3,50 €", "trois euros cinquante"),
    ("3,5 €", "trois euros cinquante"),
    ("0,99 €", "quatre-vingt-dix-neuf centimes"),
    ("$12", "douze dollars"),
    ("1 000 000 €", "un million d'euros"),
    # large numbers
    ("1 000", "mille"),
    ("2 500 000", "deux millions cinq cent mille"),
    (f"2{NNBSP}500{NNBSP}000 habitants", "deux millions cinq cent mille habitants"),
    (f"10{NBSP}000 pas", "dix mille pas"),
    ("1.000.000", "un million"),
    # feminine agreement
    ("21 heures", "vingt et une heures"),
    ("1 personne", "une personne"),
    # things to leave alone
    ("Bonjour, comment allez-vous ?", "Bonjour, comment allez-vous ?"),
    ("la version v1.2", "la version v1.2"),
    ("un écran 3D", "un écran 3D"),
    ("Louis XIV", "Louis XIV"),
    ("06 12 34 56 78", "zéro six douze trente-quatre cinquante-six soixante-dix-huit"),
    ("192.168.1.10", "cent quatre-vingt-douze point cent soixante-huit point un point dix"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_normalize_fr(text: str, expected: str) -> None:
    assert normalize_fr(text) == expected


def test_a_whole_answer() -> None:
    text = "Il fait 21,5 °C à Paris ce 22/11/2026 à 14h30 ; 50 % de risque de pluie, vent à 30 km/h."
    assert normalize_fr(text) == (
        "Il fait vingt et un virgule cinq degrés à Paris ce vingt-deux novembre deux mille vingt-six à quatorze "
        "heures trente ; cinquante pour cent de risque de pluie, vent à trente kilomètres heure."
    )


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Il est 14h30.", "fr", "Il est quatorze heures trente."),
        ("Il est 14h30.", "fr-FR", "Il est quatorze heures trente."),
        ("I have 21 apples.", "en-us", "I have twenty-one apples."),
        ("It costs 1,000 dollars, minus -4.", "en", "It costs one thousand dollars, minus minus four."),
        ("Es ist 21 Uhr.", "de", "Es ist 21 Uhr."),
    ],
)
def test_normalize_dispatches_on_language(text: str, language: str, expected: str) -> None:
    assert normalize(text, language) == expected
