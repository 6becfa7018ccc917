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
        "encryption-wrong-key": "La clé de chiffrement ({source}) ne déchiffre pas la base de données. Remettez la "
        "clé qui l'a chiffrée (ou ajoutez-la après la nouvelle, séparée par une virgule). Rien n'a été modifié.",
        "encryption-needed": "La base de données est chiffrée mais le chiffrement est désactivé : mettez "
        "store.encryption à true (JARVIS_STORE__ENCRYPTION=true) avec sa clé (store.encryption_key ou "
        "store.encryption_key_file).",
        "encryption-key-invalid": "Clé de chiffrement invalide ({source}) : il faut une clé Fernet (44 caractères "
        "base64), comme celles que donne « jarvis keys generate ».",
        "encryption-key-permissions": "Le fichier de clé {path} est lisible par d'autres (droits {mode}) : "
        "faites « chmod 600 {path} » puis relancez.",
        "encryption-key-missing": "La base de données est chiffrée mais le fichier de clé {path} est absent : "
        "remettez-le (ou indiquez la clé par JARVIS_STORE__ENCRYPTION_KEY). Rien n'a été modifié.",
        "encryption-clear-data": "Le chiffrement est activé mais la base contient {count} textes en clair : "
        "serveur arrêté, lancez « jarvis keys encrypt » pour les chiffrer (ou désactivez store.encryption).",
        "encryption-off": "Le chiffrement est désactivé : mettez store.encryption à true "
        "(JARVIS_STORE__ENCRYPTION=true) d'abord.",
        "key-rotation-env": "La clé vient de JARVIS_STORE__ENCRYPTION_KEY : créez une clé avec « jarvis keys "
        "generate », mettez « NOUVELLE,ANCIENNE » dans la variable, lancez « jarvis keys rotate », puis gardez "
        "seulement la nouvelle.",
        "server-running": "Le serveur Jarvis utilise {path} : arrêtez-le d'abord (cette opération a besoin "
        "d'un accès exclusif à la base).",
        "backup-not-sqlite": "Les sauvegardes intégrées concernent la base SQLite ; pour {url}, utilisez les "
        "outils du moteur (pg_dump pour PostgreSQL).",
        "backup-failed": "La sauvegarde a échoué : {detail}.",
        "restore-invalid": "Restauration refusée, {path} n'est pas une sauvegarde Jarvis utilisable : {detail}. "
        "Les données actuelles sont intactes.",
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
        "encryption-wrong-key": "The encryption key ({source}) does not decrypt the database. Put back the key "
        "that encrypted it (or add it after the new one, separated by a comma). Nothing was changed.",
        "encryption-needed": "The database is encrypted but encryption is off: set store.encryption to true "
        "(JARVIS_STORE__ENCRYPTION=true) with its key (store.encryption_key or store.encryption_key_file).",
        "encryption-key-invalid": "Invalid encryption key ({source}): a Fernet key (44 base64 characters) is "
        "needed, such as those `jarvis keys generate` prints.",
        "encryption-key-permissions": "The key file {path} is readable by others (mode {mode}): run "
        "`chmod 600 {path}` and start again.",
        "encryption-key-missing": "The database is encrypted but the key file {path} is missing: put it back (or "
        "give the key in JARVIS_STORE__ENCRYPTION_KEY). Nothing was changed.",
        "encryption-clear-data": "Encryption is on but the database holds {count} clear texts: with the server "
        "stopped, run `jarvis keys encrypt` to encrypt them (or turn store.encryption off).",
        "encryption-off": "Encryption is off: set store.encryption to true (JARVIS_STORE__ENCRYPTION=true) first.",
        "key-rotation-env": "The key comes from JARVIS_STORE__ENCRYPTION_KEY: make a key with `jarvis keys "
        "generate`, put `NEW,OLD` in the variable, run `jarvis keys rotate`, then keep only the new one.",
        "server-running": "The Jarvis server is using {path}: stop it first (this needs exclusive access to the "
        "database).",
        "backup-not-sqlite": "Built-in backups are for the SQLite database; for {url}, use the engine's own tools "
        "(pg_dump for PostgreSQL).",
        "backup-failed": "The backup failed: {detail}.",
        "restore-invalid": "Restore refused, {path} is not a usable Jarvis backup: {detail}. Current data is "
        "untouched.",
    },
}


def t(key: str, language: str | None = None, **values: Any) -> str:
    """The message `key` in `language` (falling back to French), formatted with `values`."""
    catalog = MESSAGES.get(language or DEFAULT_LANGUAGE, MESSAGES[DEFAULT_LANGUAGE])
    template = catalog.get(key) or MESSAGES[DEFAULT_LANGUAGE].get(key, key)
    return template.format(**values)
