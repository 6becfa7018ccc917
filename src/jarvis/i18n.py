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
        "llm-preempted": "Tâche de fond interrompue par une requête de l'utilisateur.",
        "memory-disabled": "La mémoire est désactivée (memory.enabled = false).",
        "memory-import-not-utf8": "Le fichier à importer n'est pas du texte UTF-8 (JSON Lines attendu).",
        "memory-import-repeated-id": "l'id {id} apparaît deux fois",
        "memory-empty": "Le texte du souvenir est vide.",
        "memory-too-long": "Le texte est trop long (au plus {limit} caractères).",
        "memory-bad-kind": "Type de souvenir inconnu : {kind}. Types possibles : {kinds}.",
        "memory-bad-retention": "Durée de conservation inconnue : {retention}. Possibles : {retentions}.",
        "memory-not-found": "Souvenir introuvable : {id}.",
        "memory-empty-query": "La recherche est vide.",
        "memory-import-too-big": "Fichier trop grand : au plus {limit} lignes.",
        "memory-import-bad-line": "Ligne {line} invalide ({detail}) : rien n'a été importé.",
        "profile-bad-key": "Champ de profil inconnu : {field}. Champs possibles : {keys}.",
        "memory-remembered": "C'est noté, je m'en souviendrai.",
        "memory-already-known": "Je le savais déjà, c'est bien noté.",
        "memory-nothing-to-forget": "Je n'ai rien en mémoire à ce sujet.",
        "memory-forgotten": "C'est oublié : « {text} ».",
        "memory-know-nothing": "Je ne sais encore rien sur vous. Dites-moi par exemple « souviens-toi que … ».",
        "memory-say-list": "Je me souviens de ceci : {items}.",
        "memory-say-more": "Et de {count} autres choses, que vous pouvez voir dans la liste des souvenirs.",
        "profile-say-name": "Vous vous appelez {value}.",
        "profile-say-city": "Vous habitez à {value}.",
        "profile-say-household": "Votre foyer : {value}.",
        "profile-say-preferences": "Vos préférences : {value}.",
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
        "llm-preempted": "Background work interrupted by a user request.",
        "memory-disabled": "Memory is disabled (memory.enabled = false).",
        "memory-import-not-utf8": "The file to import is not UTF-8 text (JSON Lines expected).",
        "memory-import-repeated-id": "id {id} appears twice",
        "memory-empty": "The memory text is empty.",
        "memory-too-long": "The text is too long (at most {limit} characters).",
        "memory-bad-kind": "Unknown memory kind: {kind}. Possible kinds: {kinds}.",
        "memory-bad-retention": "Unknown retention: {retention}. Possible: {retentions}.",
        "memory-not-found": "Memory not found: {id}.",
        "memory-empty-query": "The search is empty.",
        "memory-import-too-big": "File too large: at most {limit} lines.",
        "memory-import-bad-line": "Line {line} is invalid ({detail}): nothing was imported.",
        "profile-bad-key": "Unknown profile field: {field}. Possible fields: {keys}.",
        "memory-remembered": "Noted, I will remember that.",
        "memory-already-known": "I already knew that; it is noted.",
        "memory-nothing-to-forget": "I have nothing in memory about that.",
        "memory-forgotten": 'Forgotten: "{text}".',
        "memory-know-nothing": 'I do not know anything about you yet. Tell me, for example, "remember that …".',
        "memory-say-list": "I remember this: {items}.",
        "memory-say-more": "And {count} other things, which you can see in the memory list.",
        "profile-say-name": "Your name is {value}.",
        "profile-say-city": "You live in {value}.",
        "profile-say-household": "Your household: {value}.",
        "profile-say-preferences": "Your preferences: {value}.",
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
