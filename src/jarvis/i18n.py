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
        "now-sentence": "Il est {hour} heure{plural} {minute:02d}. Nous sommes le {date}.",
        "timer-started": "C'est parti : minuteur {label}.",
        "timer-started-named": "C'est parti : minuteur « {label} » de {duration}.",
        "reminder-started": "C'est noté : je vous le rappellerai à {time} ({label}).",
        "timers-none": "Aucun minuteur ni rappel en cours.",
        "timers-active": "En cours : {items}.",
        "timer-remaining": "{label}, encore {duration}",
        "timers-cancelled": "C'est annulé : {labels}.",
        "tool-unknown": "L'outil {name} n'existe pas. Outils disponibles : {names}.",
        "tool-timeout": "L'outil {name} n'a pas répondu en {seconds} s ; il a été abandonné.",
        "tool-raised": "L'outil {name} a échoué ({detail}).",
        "tool-error": "ERREUR : {message}",
        "tool-steps-exceeded": "Je n'ai pas réussi à terminer cette demande (trop d'appels d'outils).",
        "timer-too-short": "Durée invalide : un minuteur doit durer au moins {minimum:g} s.",
        "timer-too-long": "Durée invalide : un minuteur ne peut pas dépasser {maximum}.",
        "timer-not-found": "Aucun minuteur actif ne correspond à « {name} ».",
        "timer-ambiguous": "Plusieurs minuteurs correspondent à « {name} » : {labels}. Précisez lequel.",
        "timer-bad-time": "Heure invalide : « {value} » (attendu HH:MM, ou une date ISO 8601).",
        "timer-in-past": "Cette heure est déjà passée : {value}.",
        "timer-finished": "Le minuteur {label} est terminé.",
        "timer-finished-late": "Le minuteur {label} s'est terminé il y a {ago} pendant que j'étais arrêté.",
        "reminder-finished": "Rappel : {label}.",
        "reminder-finished-late": "Rappel en retard de {ago} (j'étais arrêté) : {label}.",
        "timer-default-label": "de {duration}",
        "plugin-disabled-hang": "Extension désactivée : un de ses outils n'a pas répondu à temps.",
        "mcp-unavailable": "Serveur MCP {name} indisponible : {detail}.",
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
        "now-sentence": "It is {hour}:{minute:02d}. Today is {date}.",
        "timer-started": "Timer {label} started.",
        "timer-started-named": "Timer “{label}” started for {duration}.",
        "reminder-started": "Noted: I will remind you at {time} ({label}).",
        "timers-none": "No timer or reminder is running.",
        "timers-active": "Running: {items}.",
        "timer-remaining": "{label}, {duration} left",
        "timers-cancelled": "Cancelled: {labels}.",
        "tool-unknown": "There is no tool {name}. Available tools: {names}.",
        "tool-timeout": "The tool {name} did not answer within {seconds} s; it was abandoned.",
        "tool-raised": "The tool {name} failed ({detail}).",
        "tool-error": "ERROR: {message}",
        "tool-steps-exceeded": "I could not finish this request (too many tool calls).",
        "timer-too-short": "Invalid duration: a timer lasts at least {minimum:g} s.",
        "timer-too-long": "Invalid duration: a timer cannot last more than {maximum}.",
        "timer-not-found": "No active timer matches “{name}”.",
        "timer-ambiguous": "Several timers match “{name}”: {labels}. Say which one.",
        "timer-bad-time": "Invalid time: “{value}” (expected HH:MM, or an ISO 8601 date).",
        "timer-in-past": "That time has already passed: {value}.",
        "timer-finished": "The {label} timer is done.",
        "timer-finished-late": "The {label} timer finished {ago} ago while I was stopped.",
        "reminder-finished": "Reminder: {label}.",
        "reminder-finished-late": "Reminder, {ago} late (I was stopped): {label}.",
        "timer-default-label": "of {duration}",
        "plugin-disabled-hang": "Plugin disabled: one of its tools did not answer in time.",
        "mcp-unavailable": "MCP server {name} unavailable: {detail}.",
    },
}


def t(key: str, language: str | None = None, **values: Any) -> str:
    """The message `key` in `language` (falling back to French), formatted with `values`."""
    catalog = MESSAGES.get(language or DEFAULT_LANGUAGE, MESSAGES[DEFAULT_LANGUAGE])
    template = catalog.get(key) or MESSAGES[DEFAULT_LANGUAGE].get(key, key)
    return template.format(**values)
