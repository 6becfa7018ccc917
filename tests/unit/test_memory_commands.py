"""Direct memory commands (commands.parse) and the first-to-third person rewrite (person.third_person)."""

from __future__ import annotations

import pytest

from jarvis.memory.commands import Command, may_be_remembered, parse
from jarvis.memory.person import third_person


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # French, typed or as Whisper writes it (capital, final punctuation).
        ("souviens-toi que ma fille s'appelle Léa", "Ma fille s'appelle Léa"),
        ("Souviens-toi que ma fille s'appelle Léa.", "Ma fille s'appelle Léa"),
        ("souviens toi que j'habite à Lyon", "J'habite à Lyon"),
        ("Rappelle-toi que je suis végétarien.", "Je suis végétarien"),
        ("Retiens que le code du portail est 1234.", "Le code du portail est 1234"),
        ("Retiens bien que je suis allergique aux noix", "Je suis allergique aux noix"),
        ("Mémorise que j'aime le thé vert !", "J'aime le thé vert"),
        ("memorise que j'aime le thé vert", "J'aime le thé vert"),
        ("N'oublie pas que ma mère vient dimanche.", "Ma mère vient dimanche"),
        ("Note que le plombier passe jeudi.", "Le plombier passe jeudi"),
        ("Note : acheter du pain.", "Acheter du pain"),
        ("Souviens-toi: j'ai un chat.", "J'ai un chat"),
        ("Souviens-toi qu'elle s'appelle Léa.", "Elle s'appelle Léa"),
        ("Souviens-toi de mon anniversaire le 3 mai.", "Mon anniversaire le 3 mai"),
        ("Souviens-toi que ma fille s'appelle Léa... ", "Ma fille s'appelle Léa"),
        ("Souviens-toi que ma fille s'appelle Léa?", "Ma fille s'appelle Léa"),
        ("SOUVIENS-TOI QUE J'AI UN CHAT.", "J'AI UN CHAT"),
        # Fillers before the command.
        ("Jarvis, souviens-toi que ma fille s'appelle Léa.", "Ma fille s'appelle Léa"),
        ("Ok Jarvis, souviens-toi que mon fils s'appelle Tom !", "Mon fils s'appelle Tom"),
        ("S'il te plaît, retiens que je pars lundi.", "Je pars lundi"),
        ("Dis Jarvis, note que la réunion est à 9 h.", "La réunion est à 9 h"),
    ],
)
def test_remember_in_french(text: str, expected: str) -> None:
    assert parse(text) == Command("remember", expected, "fr")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Remember that my daughter is called Lea.", "My daughter is called Lea"),
        ("remember that I live in Paris", "I live in Paris"),
        ("Please remember that I live in Paris.", "I live in Paris"),
        ("Okay, Jarvis, remember that I'm allergic to nuts.", "I'm allergic to nuts"),
        ("Don't forget that my mother visits on Sunday.", "My mother visits on Sunday"),
        ("Do not forget that my son is called Tom.", "My son is called Tom"),
        ("Note that the plumber comes on Thursday.", "The plumber comes on Thursday"),
        ("Remember: I live in Paris.", "I live in Paris"),
    ],
)
def test_remember_in_english(text: str, expected: str) -> None:
    assert parse(text) == Command("remember", expected, "en")


@pytest.mark.parametrize(
    ("text", "expected", "language"),
    [
        ("Oublie que j'habite à Lyon.", "J'habite à Lyon", "fr"),
        ("oublie que je fume", "Je fume", "fr"),
        ("Oublie le fait que je fume.", "Je fume", "fr"),
        ("Oublie ce que je t'ai dit sur ma voiture.", "Ma voiture", "fr"),
        ("Oublie ce que je t'ai dit à propos de ma voiture !", "Ma voiture", "fr"),
        ("Jarvis, oublie que mon fils s'appelle Tom.", "Mon fils s'appelle Tom", "fr"),
        ("S'il te plaît, oublie que j'habite à Lyon.", "J'habite à Lyon", "fr"),
        ("Dis, oublie que je fume", "Je fume", "fr"),
        ("Forget that I live in Paris.", "I live in Paris", "en"),
        ("forget about my car", "My car", "en"),
        ("Please forget that my son is called Tom.", "My son is called Tom", "en"),
    ],
)
def test_forget(text: str, expected: str, language: str) -> None:
    assert parse(text) == Command("forget", expected, language)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Qu'est-ce que tu sais sur moi ?", "fr"),
        ("qu'est ce que tu sais de moi", "fr"),
        ("Jarvis, qu'est-ce que tu sais sur moi?", "fr"),
        ("Qu'est-ce que tu sais à propos de moi ?", "fr"),
        ("Qu'est-ce que tu as retenu sur moi ?", "fr"),
        ("Qu'est-ce que tu connais de moi ?", "fr"),
        ("Dis-moi ce que tu sais sur moi.", "fr"),
        ("QU'EST-CE QUE TU SAIS SUR MOI ?", "fr"),
        ("What do you know about me?", "en"),
        ("what do you remember about me", "en"),
    ],
)
def test_recall_all(text: str, language: str) -> None:
    command = parse(text)
    assert command == Command("recall-all", "", language)


@pytest.mark.parametrize(
    "text",
    [
        "rappelle-moi de sortir",
        "Rappelle-moi de sortir le chien à 18 h.",
        "Rappelle-moi demain de sortir.",
        "quelle heure est-il ?",
        "Quelle heure est-il ?",
        "oublie ça",
        "Oublie ça.",
        "Oublie ça !",
        "Oublie tout.",
        "Forget it.",
        "Forget that.",
        "Forget everything.",
        "supprime le minuteur",
        "Supprime le minuteur.",
        "Souviens-toi",
        "Souviens-toi.",
        "souviens-toi que …",
        "Noté.",
        "Oublie-le.",
        "Tu te souviens de moi ?",
        "Je note que tu es là.",
        "Remember me?",
        "Remember to buy milk.",
        "Je voudrais que tu te souviennes que j'habite à Lyon.",
        "Mets un minuteur de cinq minutes.",
        "",
        "   ",
        "Jarvis",
    ],
)
def test_not_a_command(text: str) -> None:
    assert parse(text) is None


@pytest.mark.parametrize("text", ["Hey Jarvis, what do you know about me?", "Please, what do you remember about me?"])
def test_english_recall_all_after_a_filler(text: str) -> None:
    assert parse(text) == Command("recall-all", "", "en")


@pytest.mark.parametrize(
    "text", ["Jarvis. Souviens-toi que ma fille s'appelle Léa.", "Jarvis ! Souviens-toi que ma fille s'appelle Léa."]
)
def test_wake_word_followed_by_a_full_stop(text: str) -> None:
    assert parse(text) == Command("remember", "Ma fille s'appelle Léa", "fr")


@pytest.mark.parametrize(
    ("text", "action"),
    [("Qu’est-ce que tu sais sur moi ?", "recall-all"), ("Souviens-toi qu’elle s’appelle Léa.", "remember")],
)
def test_typographic_apostrophe(text: str, action: str) -> None:
    command = parse(text)
    assert command is not None and command.action == action


def test_dismissive_forget_with_a_tail_is_not_a_command() -> None:
    # handle() would then delete the best memory matching "Ça, c'est pas grave".
    assert parse("Oublie ça, c'est pas grave.") is None


@pytest.mark.parametrize("text", ["Souviens-toi de moi.", "Rappelle-toi de moi !"])
def test_remember_me_is_not_a_fact(text: str) -> None:
    assert parse(text) is None


# -- third person ---------------------------------------------------------------------------------------------

FRENCH = [
    ("Ma fille s'appelle Léa", "Sa fille s'appelle Léa"),
    ("ma fille s'appelle Léa", "Sa fille s'appelle Léa"),
    ("Mon fils s'appelle Tom", "Son fils s'appelle Tom"),
    ("Mes enfants s'appellent Tom et Léa", "Ses enfants s'appellent Tom et Léa"),
    ("J'habite à Lyon", "L'utilisateur habite à Lyon"),
    ("J’habite à Lyon", "L'utilisateur habite à Lyon"),
    ("j'habite à Lyon", "L'utilisateur habite à Lyon"),
    ("Je suis allergique aux noix", "L'utilisateur est allergique aux noix"),
    ("J'ai deux enfants", "L'utilisateur a deux enfants"),
    ("Je vais à la piscine le mardi", "L'utilisateur va à la piscine le mardi"),
    ("je fais du vélo", "L'utilisateur fait du vélo"),
    ("Je connais bien Paris", "L'utilisateur connaît bien Paris"),
    ("Je pars demain", "L'utilisateur part demain"),
    ("J'aime le thé vert", "L'utilisateur aime le thé vert"),
    ("Je travaille chez Airbus", "L'utilisateur travaille chez Airbus"),
    ("Je m'appelle Paul", "L'utilisateur s'appelle Paul"),
    ("Je m’appelle Paul", "L'utilisateur s'appelle Paul"),
    ("Je me lève à 7 heures", "L'utilisateur se lève à 7 heures"),
    (
        "Je m'appelle Paul et je suis médecin",
        "L'utilisateur s'appelle Paul et l'utilisateur est médecin",
    ),
    ("Ma femme et moi", "Sa femme et lui"),
    ("C'est à moi", "C'est à lui"),
    ("Ce vélo est à moi-même", "Ce vélo est à lui-même"),
    # Nothing about the speaker: unchanged.
    ("Le code du portail est 1234", "Le code du portail est 1234"),
    ("Jean habite à Lyon", "Jean habite à Lyon"),
    ("Sa fille s'appelle Léa", "Sa fille s'appelle Léa"),
    ("L'utilisateur habite à Lyon.", "L'utilisateur habite à Lyon."),
    ("le plombier passe jeudi", "Le plombier passe jeudi"),
]

ENGLISH = [
    ("My daughter is called Lea", "Their daughter is called Lea"),
    ("I live in Paris", "The user lives in Paris"),
    ("i live in Paris", "The user lives in Paris"),
    ("I am allergic to nuts", "The user is allergic to nuts"),
    ("I'm allergic to nuts", "The user is allergic to nuts"),
    ("I have two kids", "The user has two kids"),
    ("I've got a cat", "The user has got a cat"),
    ("I go to the gym on Mondays", "The user goes to the gym on Mondays"),
    ("I do yoga", "The user does yoga"),
    ("I watch TV", "The user watches TV"),
    ("I fix cars", "The user fixes cars"),
    ("I study law", "The user studies law"),
    ("I play chess", "The user plays chess"),
    ("I was born in Lyon", "The user was born in Lyon"),
    ("I can swim", "The user can swim"),
    ("I will call my mother", "The user will call their mother"),
    ("I love my dog", "The user loves their dog"),
    ("My wife loves me", "Their wife loves them"),
    ("That car is mine", "That car is theirs"),
    ("The plumber comes on Thursday", "The plumber comes on Thursday"),
]


@pytest.mark.parametrize(("text", "expected"), FRENCH)
def test_third_person_in_french(text: str, expected: str) -> None:
    assert third_person(text, "fr") == expected


@pytest.mark.parametrize(("text", "expected"), ENGLISH)
def test_third_person_in_english(text: str, expected: str) -> None:
    assert third_person(text, "en") == expected


def test_third_person_defaults_to_french() -> None:
    assert third_person("J'habite à Lyon") == "L'utilisateur habite à Lyon"
    assert third_person("J'habite à Lyon", "de") == "L'utilisateur habite à Lyon"


# A word between "je" and the verb (negation, object pronoun, "y", "en"); "se"/"ne" elided before a vowel.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Je ne suis pas végétarien", "L'utilisateur n'est pas végétarien"),
        ("Je n'ai pas de voiture", "L'utilisateur n'a pas de voiture"),
        ("Je les connais", "L'utilisateur les connaît"),
        ("J'y vais le lundi", "L'utilisateur y va le lundi"),
        ("Je m'en vais", "L'utilisateur s'en va"),
        ("Je me suis marié en 2010", "L'utilisateur s'est marié en 2010"),
    ],
)
def test_third_person_with_words_before_the_verb(text: str, expected: str) -> None:
    assert third_person(text, "fr") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I don't eat meat", "The user doesn't eat meat"),
        ("I really like tea", "The user really likes tea"),
        ("My dog and I", "Their dog and the user"),
    ],
)
def test_third_person_english_adverbs_negations_and_inner_i(text: str, expected: str) -> None:
    assert third_person(text, "en") == expected


@pytest.mark.parametrize(
    ("request_text", "allowed"),
    [
        ("Garde ça en tête : le code est 1234", True),
        ("Jarvis, n'oublie pas que j'ai rendez-vous jeudi", True),
        ("Retiens mon prénom.", True),
        ("Note bien que le plombier vient lundi", True),
        ("Je m'appelle Gaspard.", True),
        ("Ma fille s’appelle Léa", True),
        ("Chez nous, on dîne à 19 h.", True),
        ("My name is Bob", True),
        ("Keep that in mind, please", True),
        ("Appelle maman.", False),
        ("Rappelle maman", False),
        ("Envoie un message à ma sœur", False),
        ("Commande une pizza", False),
        ("Quel temps fait-il ?", False),
        ("Call mom", False),
    ],
)
def test_what_the_remember_tool_may_store(request_text: str, allowed: bool) -> None:
    assert may_be_remembered(request_text) is allowed
