"""First person to third person, so that stored memories read as facts about the user ("Ma fille s'appelle Léa"
becomes "Sa fille s'appelle Léa", "J'habite à Lyon" becomes "L'utilisateur habite à Lyon"). Small models answer
"Votre fille s'appelle Léa" from the latter, but parrot "Ma fille…" from the former."""

from __future__ import annotations

import re

_FR_IRREGULAR = {
    "suis": "est", "ai": "a", "vais": "va", "fais": "fait", "peux": "peut", "veux": "veut", "dois": "doit",
    "sais": "sait", "connais": "connaît", "vis": "vit", "prends": "prend", "bois": "boit", "dors": "dort",
    "pars": "part", "sors": "sort", "viens": "vient", "tiens": "tient", "crois": "croit", "lis": "lit",
    "écris": "écrit", "dis": "dit", "mets": "met", "vois": "voit", "reçois": "reçoit", "finis": "finit",
    "choisis": "choisit", "conduis": "conduit", "cours": "court", "sens": "sent", "sers": "sert",
}  # fmt: skip
_FR_WORDS = {
    "mon": "son", "ma": "sa", "mes": "ses", "moi": "lui", "moi-même": "lui-même", "m'": "s'", "me": "se",
    "je": "l'utilisateur", "j'": "l'utilisateur ", "mien": "sien", "mienne": "sienne",
}  # fmt: skip
_EN_IRREGULAR = {
    "am": "is", "have": "has", "do": "does", "go": "goes", "was": "was", "don't": "doesn't", "haven't": "hasn't",
    "'m": "is",
}  # fmt: skip
_EN_MODALS = frozenset(
    {"will", "can", "should", "would", "could", "must", "might", "may", "did", "didn't", "can't", "won't", "wasn't"}
)
_FR_POSSESSIVES = frozenset({"mon", "ma", "mes", "moi", "moi-même", "mien", "mienne"})
_EN_WORDS = {"my": "their", "me": "them", "myself": "themselves", "mine": "theirs", "i": "the user"}
_FR_TOKEN = re.compile(r"(?i)\b(?:[jmntsl]|qu)['’]|[\w-]+|[^\w\s]+|\s+")
# Words that may sit between "je" and its verb: negation and object pronouns ("je ne sais", "je les vois", "j'y vais").
_FR_CLITICS = frozenset({"ne", "n'", "le", "la", "les", "l'", "lui", "leur", "y", "en", "te", "t'", "nous", "vous"})
# "se" and "ne" lose their vowel before a vowel once the verb has changed ("se est" -> "s'est").
_FR_ELISION = re.compile(r"(?i)\b([sn])e (?=[aeiouyhéèêàâîôû])")
_EN_TOKEN = re.compile(r"(?i)\bi'm\b|\bi've\b|[\w']+|[^\w\s]+|\s+")


def _match_case(word: str, replacement: str) -> str:
    return replacement[:1].upper() + replacement[1:] if word[:1].isupper() else replacement


def _french(text: str) -> str:
    tokens = [m.group(0) for m in _FR_TOKEN.finditer(text)]
    out: list[str] = []
    after_subject = False
    for token in tokens:
        if token.isspace():
            out.append(token)
            continue
        key = token.casefold().replace("’", "'")
        if key in ("je", "j'"):
            out.append(_match_case(token, _FR_WORDS[key]))
            after_subject = True
            continue
        if after_subject and key in ("m'", "me"):  # "je m'appelle" -> "l'utilisateur s'appelle"
            out.append(_FR_WORDS[key])
            continue
        if after_subject and key in _FR_CLITICS:
            out.append(token)
            continue
        if after_subject:
            # The verb right after "je": -er verbs are the same in the third person; others from the table.
            out.append(_match_case(token, _FR_IRREGULAR.get(key, token)))
            after_subject = False
            continue
        out.append(_match_case(token, _FR_WORDS[key]) if key in _FR_POSSESSIVES else token)
    text = re.sub(r"(?i)(l'utilisateur) +", r"\1 ", "".join(out))
    return _FR_ELISION.sub(r"\1'", text)


def _english(text: str) -> str:
    tokens = [m.group(0) for m in _EN_TOKEN.finditer(text)]
    out: list[str] = []
    after_subject = False
    for position, token in enumerate(tokens):
        if token.isspace():
            out.append(token)
            continue
        key = token.casefold()
        start = position == 0
        if key in ("i'm", "i've"):
            out.append(("The user " if start else "the user ") + ("is" if key == "i'm" else "has"))
            continue
        if key == "i":
            out.append("The user" if start else "the user")
            after_subject = True
            continue
        if after_subject and key.endswith("ly") and key.isalpha():  # "I really like" -> "really likes"
            out.append(token)
            continue
        if after_subject and key in _EN_IRREGULAR:
            out.append(_EN_IRREGULAR[key])
            after_subject = False
            continue
        if after_subject and key in _EN_MODALS:
            out.append(token)
            after_subject = False
            continue
        if after_subject and key.isalpha():
            if key.endswith(("s", "sh", "ch", "x", "o")):
                out.append(token + "es")
            elif key.endswith("y") and len(key) > 1 and key[-2] not in "aeiou":
                out.append(token[:-1] + "ies")
            else:
                out.append(token + "s")
            after_subject = False
            continue
        after_subject = False
        out.append(_match_case(token, _EN_WORDS[key]) if key in ("my", "me", "myself", "mine") else token)
    return "".join(out)


def third_person(text: str, language: str = "fr") -> str:
    """The statement as a fact about the user, first letter in capitals."""
    converted = _english(text) if language == "en" else _french(text)
    return converted[:1].upper() + converted[1:]
