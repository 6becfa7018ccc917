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
        "session-expired": "Session expirée ou fermée. Ouvrez un nouveau lien de connexion "
        "(affiché par « jarvis serve », ou « jarvis signin-link »).",
        "csrf-refused": "Requête refusée : il manque l'en-tête X-CSRF-Token de la session (ou l'origine diffère).",
        "origin-refused": "Connexion refusée : cette page ne vient pas de ce serveur.",
        "signin-invalid": "Lien de connexion invalide, expiré ou déjà utilisé. Demandez-en un nouveau avec "
        "« jarvis signin-link ».",
        "invalid-title": "Le titre doit faire entre 1 et {limit} caractères.",
        "web-not-built": "L'application web n'est pas construite : lancez « make build » (npm ci et npm run build "
        "dans web/), puis rechargez la page.",
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
        "session-expired": "Session expired or closed. Open a new sign-in link "
        "(printed by `jarvis serve`, or `jarvis signin-link`).",
        "csrf-refused": "Request refused: the session's X-CSRF-Token header is missing (or the origin differs).",
        "origin-refused": "Connection refused: this page does not come from this server.",
        "signin-invalid": "Invalid, expired or already used sign-in link. Get a new one with `jarvis signin-link`.",
        "invalid-title": "The title must be 1 to {limit} characters long.",
        "web-not-built": "The web app is not built: run `make build` (npm ci and npm run build in web/), then "
        "reload the page.",
    },
}


def t(key: str, language: str | None = None, **values: Any) -> str:
    """The message `key` in `language` (falling back to French), formatted with `values`."""
    catalog = MESSAGES.get(language or DEFAULT_LANGUAGE, MESSAGES[DEFAULT_LANGUAGE])
    template = catalog.get(key) or MESSAGES[DEFAULT_LANGUAGE].get(key, key)
    return template.format(**values)
