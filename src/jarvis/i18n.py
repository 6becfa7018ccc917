"""User-facing messages, French by default, translatable by message key."""

from __future__ import annotations

from typing import Any

DEFAULT_LANGUAGE = "fr"

MESSAGES: dict[str, dict[str, str]] = {
    "fr": {
        "auth-required": "Authentification requise : envoyez l'en-tête Authorization: Bearer <jeton>. "
        "Créez un jeton avec « jarvis token create --name NOM ».",
        "auth-invalid": "Jeton invalide ou révoqué. Créez-en un avec « jarvis token create --name NOM ».",
        "auth-rate-limited": "Trop d'échecs d'authentification. Réessayez dans {seconds} s.",
        "body-too-large": "Requête trop volumineuse (maximum {limit} octets).",
        "invalid-json": "Le corps de la requête n'est pas du JSON valide : {detail}.",
        "invalid-request": "Requête invalide : {detail}.",
        "conversation-not-found": "Conversation {id} introuvable. Listez-les avec GET /api/conversations.",
        "empty-message": "Le message est vide.",
        "message-too-long": "Le message dépasse {limit} caractères.",
        "llm-busy": "Jarvis est occupé ({waiting} demandes en attente). Réessayez dans {seconds} s.",
        "llm-unavailable": "Le modèle de langage ne répond pas ({detail}). Vérifiez qu'il est démarré "
        "et joignable (réglage llm.base_url), puis réessayez.",
        "llm-timeout": "Le modèle de langage n'a pas répondu à temps ({seconds} s).",
        "llm-failed": "Le modèle de langage a échoué : {detail}.",
        "llm-not-loaded": "Le modèle de langage n'est pas encore chargé. Réessayez dans un instant.",
        "model-missing": "Modèle introuvable : {path}. Lancez « jarvis setup » (ou « make run ») pour le préparer, "
        "ou indiquez un fichier GGUF avec JARVIS_LLM__MODEL_PATH.",
        "cancelled": "Génération annulée.",
        "internal-error": "Erreur interne : {detail}.",
        "not-found": "Ressource introuvable.",
        "method-not-allowed": "Méthode non autorisée.",
        "unknown-message-type": "Type de message inconnu : {type}. Types acceptés : chat, cancel.",
        "unexpected-binary": "Trame binaire inattendue : envoyez des messages JSON (texte).",
        "run-in-progress": "Une réponse est déjà en cours dans cette session ; envoyez « cancel » ou attendez.",
        "no-audio-library": "Pas d'accès au son : la bibliothèque PortAudio est absente ({detail}). Installez-la "
        "(« apt-get install libportaudio2 »), ou parlez depuis un fichier : "
        "« jarvis talk --input question.wav --output reponse.wav ».",
        "no-microphone": "Aucun micro trouvé sur cette machine ({detail}). Branchez-en un, ou parlez depuis un "
        "fichier : « jarvis talk --input question.wav --output reponse.wav ».",
        "no-speaker": "Aucune sortie audio trouvée sur cette machine ({detail}) pour jouer la réponse. "
        "Utilisez « jarvis talk --input question.wav --output reponse.wav ».",
        "talk-both-files": "Donnez --input et --output ensemble (un tour depuis un fichier), ou aucun des deux "
        "(micro en direct).",
        "talk-listening": "Je vous écoute (Ctrl+C pour arrêter)…",
    },
    "en": {
        "auth-required": "Authentication required: send the header Authorization: Bearer <token>. "
        "Create a token with `jarvis token create --name NAME`.",
        "auth-invalid": "Invalid or revoked token. Create one with `jarvis token create --name NAME`.",
        "auth-rate-limited": "Too many failed authentications. Try again in {seconds} s.",
        "body-too-large": "Request too large (at most {limit} bytes).",
        "invalid-json": "The request body is not valid JSON: {detail}.",
        "invalid-request": "Invalid request: {detail}.",
        "conversation-not-found": "Conversation {id} not found. List them with GET /api/conversations.",
        "empty-message": "The message is empty.",
        "message-too-long": "The message is longer than {limit} characters.",
        "llm-busy": "Jarvis is busy ({waiting} requests waiting). Try again in {seconds} s.",
        "llm-unavailable": "The language model does not answer ({detail}). Check that it is running and "
        "reachable (setting llm.base_url), then try again.",
        "llm-timeout": "The language model did not answer in time ({seconds} s).",
        "llm-failed": "The language model failed: {detail}.",
        "llm-not-loaded": "The language model is not loaded yet. Try again in a moment.",
        "model-missing": "Model not found: {path}. Run `jarvis setup` (or `make run`) to prepare it, "
        "or point JARVIS_LLM__MODEL_PATH at a GGUF file.",
        "cancelled": "Generation cancelled.",
        "internal-error": "Internal error: {detail}.",
        "not-found": "Resource not found.",
        "method-not-allowed": "Method not allowed.",
        "unknown-message-type": "Unknown message type: {type}. Accepted types: chat, cancel.",
        "unexpected-binary": "Unexpected binary frame: send JSON (text) messages.",
        "run-in-progress": "A reply is already running in this session; send `cancel` or wait.",
        "no-audio-library": "No sound access: the PortAudio library is missing ({detail}). Install it "
        "(`apt-get install libportaudio2`), or speak from a file: "
        "`jarvis talk --input question.wav --output answer.wav`.",
        "no-microphone": "No microphone found on this machine ({detail}). Plug one in, or speak from a file: "
        "`jarvis talk --input question.wav --output answer.wav`.",
        "no-speaker": "No audio output found on this machine ({detail}) to play the answer. "
        "Use `jarvis talk --input question.wav --output answer.wav`.",
        "talk-both-files": "Give --input and --output together (one turn from a file), or neither (live microphone).",
        "talk-listening": "Listening (Ctrl+C to stop)…",
    },
}


def t(key: str, language: str | None = None, **values: Any) -> str:
    """The message `key` in `language` (falling back to French), formatted with `values`."""
    catalog = MESSAGES.get(language or DEFAULT_LANGUAGE, MESSAGES[DEFAULT_LANGUAGE])
    template = catalog.get(key) or MESSAGES[DEFAULT_LANGUAGE].get(key, key)
    return template.format(**values)
