import { describe, expect, it } from "vitest";
import {
  checkText,
  draftOf,
  exportFileName,
  formatDate,
  MAX_TEXT_CHARS,
  memoryChanges,
  profileChanges,
  profileForm,
  upsert,
  type MemoryItem,
} from "./memory";

function item(overrides: Partial<MemoryItem> = {}): MemoryItem {
  return {
    id: "m1",
    text: "Sa fille s'appelle Léa.",
    kind: "fact",
    subject: "",
    retention: "normal",
    created_at: "2026-11-01T10:00:00Z",
    updated_at: "2026-11-02T10:00:00Z",
    last_used_at: null,
    expires_at: "2027-11-02T10:00:00Z",
    score: null,
    ...overrides,
  };
}

describe("memory text", () => {
  it("collapses whitespace like the server and refuses empty or oversized text", () => {
    expect(checkText("  Ma fille\n s'appelle   Léa. ")).toEqual({ text: "Ma fille s'appelle Léa.", problem: null });
    expect(checkText(" \n\t ").problem).toBe("empty");
    expect(checkText("a".repeat(MAX_TEXT_CHARS)).problem).toBeNull();
    expect(checkText("a".repeat(MAX_TEXT_CHARS + 1)).problem).toBe("too-long");
    // Whitespace does not count towards the limit once collapsed.
    expect(checkText(`${"a".repeat(MAX_TEXT_CHARS)}      `).problem).toBeNull();
  });
});

describe("memory edits", () => {
  it("send only what changed", () => {
    const row = item();
    expect(memoryChanges(row, draftOf(row))).toBeNull();
    expect(memoryChanges(row, { ...draftOf(row), text: "  Sa fille s'appelle Léa. " })).toBeNull();
    expect(memoryChanges(row, { ...draftOf(row), text: "Sa fille s'appelle Zoé." })).toEqual({ text: "Sa fille s'appelle Zoé." });
    expect(memoryChanges(row, { ...draftOf(row), kind: "preference", retention: "permanent" })).toEqual({
      kind: "preference",
      retention: "permanent",
    });
  });

  it("fall back to the defaults for a kind or retention the page does not know", () => {
    expect(draftOf(item({ kind: "mystery", retention: "forever" }))).toEqual({
      text: "Sa fille s'appelle Léa.",
      kind: "fact",
      retention: "normal",
    });
  });

  it("replace a saved item in place, or put a new one first", () => {
    const list = [item({ id: "a" }), item({ id: "b" })];
    const changed = item({ id: "b", text: "Autre." });
    expect(upsert(list, changed).map((m) => [m.id, m.text])).toEqual([
      ["a", "Sa fille s'appelle Léa."],
      ["b", "Autre."],
    ]);
    expect(upsert(list, item({ id: "c" })).map((m) => m.id)).toEqual(["c", "a", "b"]);
  });
});

describe("profile", () => {
  it("edits every field as a string and sends only the changed ones, an emptied field as ''", () => {
    const saved = { name: "Marie", city: "Paris", household: null, preferences: "réponses courtes", notes: null };
    const form = profileForm(saved);
    expect(form).toEqual({ name: "Marie", city: "Paris", household: "", preferences: "réponses courtes", notes: "" });
    expect(profileChanges(saved, form)).toEqual({});
    expect(profileChanges(saved, { ...form, city: " Lyon ", preferences: "", name: "Marie " })).toEqual({
      city: "Lyon",
      preferences: "",
    });
    expect(profileChanges({}, { ...profileForm({}), household: "deux adultes, un chat" })).toEqual({
      household: "deux adultes, un chat",
    });
  });
});

describe("dates and files", () => {
  it("formats calendar dates in French and English, nothing for missing or invalid ones", () => {
    expect(formatDate("2026-11-22T12:00:00Z", "fr")).toBe("22 nov. 2026");
    expect(formatDate("2026-11-22T12:00:00Z", "en")).toBe("22 Nov 2026");
    expect(formatDate(null, "fr")).toBe("");
    expect(formatDate("not a date", "en")).toBe("");
  });

  it("names the export after the local date", () => {
    expect(exportFileName(new Date(2026, 0, 5, 23, 59))).toBe("jarvis-memories-2026-01-05.jsonl");
  });
});
