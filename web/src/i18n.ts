// Interface text, French by default, English available.
import { createContext, useContext } from "react";
import type { Language } from "./settings";

const fr = {
  appName: "Jarvis",
  signInTitle: "Connexion",
  signInHelp:
    "Ouvrez le lien de connexion affiché par « jarvis serve » dans le terminal, ou créez-en un nouveau avec « jarvis signin-link ». Chaque lien ne sert qu'une fois.",
  signInFailed: "Ce lien de connexion n'est plus valable (déjà utilisé ou expiré).",
  checking: "Vérification de la session…",
  signOut: "Se déconnecter",
  newChat: "Nouvelle conversation",
  conversations: "Conversations",
  noConversations: "Aucune conversation pour l'instant.",
  untitled: "Sans titre",
  rename: "Renommer",
  renameLabel: "Nouveau titre",
  save: "Enregistrer",
  cancel: "Annuler",
  delete: "Supprimer",
  confirmDelete: "Supprimer cette conversation ?",
  yes: "Oui",
  no: "Non",
  placeholder: "Écrivez à Jarvis… (Entrée pour envoyer, Maj+Entrée pour aller à la ligne)",
  placeholderShort: "Écrivez à Jarvis…",
  send: "Envoyer",
  stop: "Arrêter",
  you: "Vous",
  jarvis: "Jarvis",
  copy: "Copier",
  copied: "Copié",
  retry: "Réessayer",
  cancelled: "Réponse interrompue",
  failed: "Échec",
  emptyChat: "Posez une question, ou parlez à Jarvis avec le micro.",
  heard: "Entendu",
  listening: "J'écoute…",
  speechDetected: "Vous parlez…",
  recognizing: "Transcription…",
  speaking: "Jarvis parle…",
  stopSpeaking: "Faire taire",
  micHold: "Maintenir pour parler",
  micHoldHint: "Maintenez le bouton (ou la barre d'espace) pendant que vous parlez",
  micHandsFreeOn: "Écoute mains libres",
  micHandsFreeOff: "Arrêter l'écoute",
  micDenied:
    "Micro inaccessible : autorisez le micro pour ce site dans le navigateur (l'accès au micro demande https ou 127.0.0.1).",
  settings: "Réglages",
  close: "Fermer",
  language: "Langue",
  voice: "Voix",
  defaultVoice: "Voix par défaut",
  speed: "Vitesse de la voix",
  listeningMode: "Mode d'écoute",
  pushToTalk: "Appuyer pour parler",
  handsFree: "Mains libres",
  speakTyped: "Lire aussi à voix haute les réponses écrites",
  status: "État",
  statusReady: "Prêt",
  statusLoading: "Chargement",
  statusDown: "Serveur injoignable",
  components: { llm: "Modèle de langage", stt: "Reconnaissance vocale", tts: "Synthèse vocale", database: "Base de données" } as Record<string, string>,
  connecting: "Connexion au serveur…",
  disconnected: "Connexion au serveur perdue : nouvelle tentative dans quelques secondes. Vérifiez que « jarvis serve » tourne.",
  dismiss: "Fermer le message",
  menu: "Conversations",
  timingStt: "STT",
  timingLlm: "1er mot",
  timingAudio: "1er son",
  timingTotal: "total",
  audioReceived: "audio",
  errorPrefix: "Erreur",
  loadFailed: "Impossible de charger la conversation.",
  sessionExpired: "Votre session a expiré. Ouvrez un nouveau lien de connexion (« jarvis signin-link »).",
};

type Messages = typeof fr;

const en: Messages = {
  appName: "Jarvis",
  signInTitle: "Sign in",
  signInHelp:
    "Open the sign-in link printed by `jarvis serve` in the terminal, or create a new one with `jarvis signin-link`. Each link works once.",
  signInFailed: "This sign-in link is no longer valid (already used or expired).",
  checking: "Checking the session…",
  signOut: "Sign out",
  newChat: "New conversation",
  conversations: "Conversations",
  noConversations: "No conversations yet.",
  untitled: "Untitled",
  rename: "Rename",
  renameLabel: "New title",
  save: "Save",
  cancel: "Cancel",
  delete: "Delete",
  confirmDelete: "Delete this conversation?",
  yes: "Yes",
  no: "No",
  placeholder: "Write to Jarvis… (Enter to send, Shift+Enter for a new line)",
  placeholderShort: "Write to Jarvis…",
  send: "Send",
  stop: "Stop",
  you: "You",
  jarvis: "Jarvis",
  copy: "Copy",
  copied: "Copied",
  retry: "Retry",
  cancelled: "Reply interrupted",
  failed: "Failed",
  emptyChat: "Ask a question, or talk to Jarvis with the microphone.",
  heard: "Heard",
  listening: "Listening…",
  speechDetected: "You are speaking…",
  recognizing: "Transcribing…",
  speaking: "Jarvis is speaking…",
  stopSpeaking: "Stop speaking",
  micHold: "Hold to talk",
  micHoldHint: "Hold the button (or the space bar) while you speak",
  micHandsFreeOn: "Hands-free listening",
  micHandsFreeOff: "Stop listening",
  micDenied:
    "Microphone unavailable: allow the microphone for this site in the browser (microphone access needs https or 127.0.0.1).",
  settings: "Settings",
  close: "Close",
  language: "Language",
  voice: "Voice",
  defaultVoice: "Default voice",
  speed: "Speech speed",
  listeningMode: "Listening mode",
  pushToTalk: "Push to talk",
  handsFree: "Hands-free",
  speakTyped: "Also read replies to typed messages aloud",
  status: "Status",
  statusReady: "Ready",
  statusLoading: "Loading",
  statusDown: "Server unreachable",
  components: { llm: "Language model", stt: "Speech recognition", tts: "Speech synthesis", database: "Database" },
  connecting: "Connecting to the server…",
  disconnected: "Lost the connection to the server: retrying in a few seconds. Check that `jarvis serve` is running.",
  dismiss: "Dismiss",
  menu: "Conversations",
  timingStt: "STT",
  timingLlm: "first word",
  timingAudio: "first sound",
  timingTotal: "total",
  audioReceived: "audio",
  errorPrefix: "Error",
  loadFailed: "Could not load the conversation.",
  sessionExpired: "Your session has expired. Open a new sign-in link (`jarvis signin-link`).",
};

export const MESSAGES: Record<Language, Messages> = { fr, en };
export type { Messages };

export const I18nContext = createContext<{ t: Messages; language: Language }>({ t: fr, language: "fr" });

export function useI18n(): { t: Messages; language: Language } {
  return useContext(I18nContext);
}

export function formatTime(iso: string, language: Language): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const today = new Date();
  const sameDay = date.toDateString() === today.toDateString();
  return new Intl.DateTimeFormat(language === "fr" ? "fr-FR" : "en-GB", {
    ...(sameDay ? {} : { day: "numeric", month: "short" }),
    hour: "2-digit",
    minute: "2-digit",
  }).format(date);
}

export function formatSeconds(seconds: number | undefined, language: Language): string | null {
  if (seconds === undefined || seconds === null || Number.isNaN(seconds)) return null;
  const value = seconds < 10 ? seconds.toFixed(2) : seconds.toFixed(1);
  return `${language === "fr" ? value.replace(".", ",") : value} s`;
}
