// Long-term memory and the household profile: types and the page's pure logic (no DOM, no network).
import type { Language } from "./settings";

export const KINDS = ["fact", "preference", "event", "note"] as const;
export const RETENTIONS = ["permanent", "important", "normal", "temporary", "auto_delete"] as const;
export const PROFILE_FIELDS = ["name", "city", "household", "preferences", "notes"] as const;
/** The server's limits (jarvis.memory.items): checked here too, so a mistake shows before a round trip. */
export const MAX_TEXT_CHARS = 1000;
export const MAX_PROFILE_CHARS = 1000;

export type Kind = (typeof KINDS)[number];
export type Retention = (typeof RETENTIONS)[number];
export type ProfileField = (typeof PROFILE_FIELDS)[number];
export type Profile = Record<ProfileField, string | null>;

export interface MemoryItem {
  id: string;
  text: string;
  kind: string;
  subject: string;
  retention: string;
  created_at: string;
  updated_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  score: number | null;
}

export interface MemoryDraft {
  text: string;
  kind: Kind;
  retention: Retention;
}

export const EMPTY_DRAFT: MemoryDraft = { text: "", kind: "fact", retention: "normal" };

export function isKind(value: string): value is Kind {
  return (KINDS as readonly string[]).includes(value);
}

export function isRetention(value: string): value is Retention {
  return (RETENTIONS as readonly string[]).includes(value);
}

/** The text as the server stores it (whitespace collapsed), and whether it can be sent. */
export function checkText(text: string, limit = MAX_TEXT_CHARS): { text: string; problem: "empty" | "too-long" | null } {
  const clean = text.split(/\s+/).filter(Boolean).join(" ");
  if (!clean) return { text: clean, problem: "empty" };
  if (clean.length > limit) return { text: clean, problem: "too-long" };
  return { text: clean, problem: null };
}

/** A draft for editing an existing memory (unknown kinds or retentions fall back to the defaults). */
export function draftOf(item: MemoryItem): MemoryDraft {
  return {
    text: item.text,
    kind: isKind(item.kind) ? item.kind : EMPTY_DRAFT.kind,
    retention: isRetention(item.retention) ? item.retention : EMPTY_DRAFT.retention,
  };
}

/** Only what changed, for PATCH /api/memories/{id}; null when nothing did. */
export function memoryChanges(item: MemoryItem, draft: MemoryDraft): Partial<MemoryDraft> | null {
  const changes: Partial<MemoryDraft> = {};
  const text = checkText(draft.text).text;
  if (text !== item.text) changes.text = text;
  if (draft.kind !== item.kind) changes.kind = draft.kind;
  if (draft.retention !== item.retention) changes.retention = draft.retention;
  return Object.keys(changes).length ? changes : null;
}

export function emptyProfile(): Profile {
  return { name: null, city: null, household: null, preferences: null, notes: null };
}

/** The profile as the form edits it: every field a string. */
export function profileForm(profile: Partial<Profile>): Record<ProfileField, string> {
  const form = {} as Record<ProfileField, string>;
  for (const field of PROFILE_FIELDS) form[field] = profile[field] ?? "";
  return form;
}

/** Only the fields that changed, for PATCH /api/profile (an emptied field is sent as "", which clears it). */
export function profileChanges(saved: Partial<Profile>, form: Record<ProfileField, string>): Partial<Record<ProfileField, string>> {
  const changes: Partial<Record<ProfileField, string>> = {};
  for (const field of PROFILE_FIELDS) {
    const value = form[field].trim();
    if (value !== (saved[field] ?? "").trim()) changes[field] = value;
  }
  return changes;
}

function locale(language: Language): string {
  return language === "fr" ? "fr-FR" : "en-GB";
}

/** A calendar date (« 22 nov. 2026 »); "" for a missing or invalid date. */
export function formatDate(iso: string | null, language: Language): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(locale(language), { day: "numeric", month: "short", year: "numeric" }).format(date);
}

/** The file name of an export made on `now`: jarvis-memories-2026-11-22.jsonl (local date). */
export function exportFileName(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `jarvis-memories-${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}.jsonl`;
}

/** The list after an item was saved: replaced in place if listed, else put first. */
export function upsert(items: MemoryItem[], item: MemoryItem): MemoryItem[] {
  const index = items.findIndex((m) => m.id === item.id);
  if (index === -1) return [item, ...items];
  return items.map((m) => (m.id === item.id ? item : m));
}
