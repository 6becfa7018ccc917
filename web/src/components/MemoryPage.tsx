import { useCallback, useEffect, useRef, useState, type ChangeEvent, type FormEvent } from "react";
import {
  ApiError,
  createMemory,
  editMemory,
  exportMemories,
  fetchProfile,
  forgetMemory,
  importMemories,
  listMemories,
  saveProfile,
} from "../api";
import { useI18n } from "../i18n";
import {
  checkText,
  draftOf,
  EMPTY_DRAFT,
  exportFileName,
  formatDate,
  KINDS,
  MAX_PROFILE_CHARS,
  MAX_TEXT_CHARS,
  memoryChanges,
  PROFILE_FIELDS,
  profileChanges,
  profileForm,
  RETENTIONS,
  upsert,
  type Kind,
  type MemoryDraft,
  type MemoryItem,
  type Profile,
  type Retention,
} from "../memory";
import { Icon } from "./Icon";

interface Props {
  /** True (and the page signs out) when the error means the session is gone. */
  unauthorized: (error: unknown) => boolean;
}

type Note = { ok: boolean; text: string } | null;

const LONG_FIELDS = new Set(["household", "preferences", "notes"]);

function NoteLine({ note, id }: { note: Note; id?: string }) {
  // Always rendered, so that screen readers announce what appears in it.
  return (
    <p id={id} className={`note ${note ? (note.ok ? "ok-text" : "error-text") : ""}`} role={note && !note.ok ? "alert" : "status"}>
      {note?.text}
    </p>
  );
}

function DraftFields({
  draft,
  onChange,
  idPrefix,
  autoFocus = false,
}: {
  draft: MemoryDraft;
  onChange: (draft: MemoryDraft) => void;
  idPrefix: string;
  autoFocus?: boolean;
}) {
  const { t } = useI18n();
  return (
    <>
      <div className="field memory-text-field">
        <label htmlFor={`${idPrefix}-text`}>{t.memoryText}</label>
        <textarea
          id={`${idPrefix}-text`}
          rows={2}
          autoFocus={autoFocus}
          value={draft.text}
          maxLength={MAX_TEXT_CHARS + 200}
          placeholder={t.memoryTextPlaceholder}
          onChange={(e) => onChange({ ...draft, text: e.target.value })}
        />
      </div>
      <div className="field">
        <label htmlFor={`${idPrefix}-kind`}>{t.kind}</label>
        <select id={`${idPrefix}-kind`} value={draft.kind} onChange={(e) => onChange({ ...draft, kind: e.target.value as Kind })}>
          {KINDS.map((kind) => (
            <option key={kind} value={kind}>
              {t.kinds[kind]}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${idPrefix}-retention`}>{t.retention}</label>
        <select
          id={`${idPrefix}-retention`}
          value={draft.retention}
          onChange={(e) => onChange({ ...draft, retention: e.target.value as Retention })}
        >
          {RETENTIONS.map((retention) => (
            <option key={retention} value={retention}>
              {t.retentions[retention]}
            </option>
          ))}
        </select>
      </div>
    </>
  );
}

export function MemoryPage({ unauthorized }: Props) {
  const { t, language } = useI18n();
  const [saved, setSaved] = useState<Partial<Profile>>({});
  const [form, setForm] = useState(() => profileForm({}));
  const [profileNote, setProfileNote] = useState<Note>(null);
  // The fields stay read-only until the saved profile has come: it would otherwise overwrite what the user typed.
  const [profileReady, setProfileReady] = useState(false);
  const [items, setItems] = useState<MemoryItem[] | null>(null);
  const [total, setTotal] = useState(0);
  const [query, setQuery] = useState("");
  const [searched, setSearched] = useState("");
  const [note, setNote] = useState<Note>(null);
  const [draft, setDraft] = useState<MemoryDraft>(EMPTY_DRAFT);
  const [addNote, setAddNote] = useState<Note>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [editDraft, setEditDraft] = useState<MemoryDraft>(EMPTY_DRAFT);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const loads = useRef(0);
  const fileInput = useRef<HTMLInputElement>(null);
  const listHeading = useRef<HTMLHeadingElement>(null);
  const focusNext = useRef<string | null>(null);

  const problem = useCallback(
    (error: unknown, prefix?: string): Note => {
      if (unauthorized(error)) return null;
      const text = error instanceof ApiError ? (error.status === 0 ? t.serverUnreachable : error.message) : String(error);
      return { ok: false, text: prefix ? `${prefix} : ${text}` : text };
    },
    [t.serverUnreachable, unauthorized],
  );

  const load = useCallback(
    async (q: string) => {
      const run = ++loads.current;
      try {
        const data = await listMemories(q);
        if (run !== loads.current) return; // a newer search answered first
        setItems(data.memories);
        setTotal(data.total);
        setSearched(q.trim());
      } catch (error) {
        if (run === loads.current) setNote(problem(error));
      }
    },
    [problem],
  );

  useEffect(() => {
    void load("");
    fetchProfile()
      .then((profile) => {
        setSaved(profile);
        setForm(profileForm(profile));
      })
      .catch((error: unknown) => setProfileNote(problem(error)))
      .finally(() => setProfileReady(true));
  }, []);

  // After an edit, focus returns to the item's edit button; after a forget, to the list heading.
  useEffect(() => {
    const target = focusNext.current;
    if (!target) return;
    focusNext.current = null;
    if (target === "heading") listHeading.current?.focus();
    else document.getElementById(target)?.focus();
  }, [items, editing, confirming]);

  const submitProfile = async (event: FormEvent) => {
    event.preventDefault();
    const changes = profileChanges(saved, form);
    if (Object.keys(changes).length === 0) {
      setProfileNote({ ok: true, text: t.profileUnchanged });
      return;
    }
    setBusy(true);
    try {
      const profile = await saveProfile(changes);
      setSaved(profile);
      setForm(profileForm(profile));
      setProfileNote({ ok: true, text: t.profileSaved });
    } catch (error) {
      setProfileNote(problem(error));
    } finally {
      setBusy(false);
    }
  };

  const submitSearch = (event: FormEvent) => {
    event.preventDefault();
    setNote(null);
    setEditing(null);
    setConfirming(null);
    void load(query);
  };

  const clearSearch = () => {
    setQuery("");
    setNote(null);
    void load("");
  };

  const submitAdd = async (event: FormEvent) => {
    event.preventDefault();
    const checked = checkText(draft.text);
    if (checked.problem) {
      setAddNote({ ok: false, text: checked.problem === "empty" ? t.textEmpty : t.textTooLong(MAX_TEXT_CHARS) });
      return;
    }
    setBusy(true);
    try {
      const { item, created } = await createMemory({ ...draft, text: checked.text });
      setDraft({ ...EMPTY_DRAFT, kind: draft.kind, retention: draft.retention });
      setAddNote({ ok: true, text: created ? t.added : t.alreadyKnown });
      if (searched) await load(searched);
      else {
        setItems((list) => upsert((list ?? []).filter((m) => m.id !== item.id), item));
        if (created) setTotal((n) => n + 1);
      }
    } catch (error) {
      setAddNote(problem(error));
    } finally {
      setBusy(false);
    }
  };

  const startEdit = (item: MemoryItem) => {
    setConfirming(null);
    setEditing(item.id);
    setEditDraft(draftOf(item));
    setNote(null);
  };

  const cancelEdit = (id: string) => {
    setEditing(null);
    focusNext.current = `edit-${id}`;
  };

  const submitEdit = async (event: FormEvent, item: MemoryItem) => {
    event.preventDefault();
    const checked = checkText(editDraft.text);
    if (checked.problem) {
      setNote({ ok: false, text: checked.problem === "empty" ? t.textEmpty : t.textTooLong(MAX_TEXT_CHARS) });
      return;
    }
    const changes = memoryChanges(item, editDraft);
    if (!changes) {
      cancelEdit(item.id);
      return;
    }
    setBusy(true);
    try {
      const updated = await editMemory(item.id, changes);
      setItems((list) => upsert(list ?? [], { ...updated, score: item.score }));
      focusNext.current = `edit-${item.id}`;
      setEditing(null);
      setNote({ ok: true, text: t.edited });
    } catch (error) {
      setNote(problem(error));
    } finally {
      setBusy(false);
    }
  };

  const forget = async (item: MemoryItem) => {
    setBusy(true);
    try {
      await forgetMemory(item.id);
      setItems((list) => (list ?? []).filter((m) => m.id !== item.id));
      if (!searched) setTotal((n) => Math.max(0, n - 1));
      focusNext.current = "heading";
      setConfirming(null);
      setNote({ ok: true, text: t.forgotten });
    } catch (error) {
      setConfirming(null);
      setNote(problem(error));
    } finally {
      setBusy(false);
    }
  };

  const doExport = async () => {
    setNote(null);
    try {
      const blob = await exportMemories();
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = exportFileName(new Date());
      document.body.append(link);
      link.click();
      link.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setNote({ ok: true, text: t.exported });
    } catch (error) {
      setNote(problem(error));
    }
  };

  const doImport = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = ""; // choosing the same file again imports again
    if (!file) return;
    setNote(null);
    setBusy(true);
    try {
      const count = await importMemories(file);
      setNote({ ok: true, text: t.imported(count) });
      await load(searched);
    } catch (error) {
      setNote(problem(error, t.importFailed));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="memory-page" aria-labelledby="memory-title">
      <div className="memory-content">
        <header className="memory-header">
          <h2 id="memory-title">{t.memoryTitle}</h2>
          <p className="muted">{t.memoryIntro}</p>
        </header>

        <section className="card" aria-labelledby="profile-title">
          <h3 id="profile-title">{t.profile}</h3>
          <p className="muted small">{t.profileHelp}</p>
          <form className="profile-form" aria-busy={!profileReady} onSubmit={(e) => void submitProfile(e)}>
            {PROFILE_FIELDS.map((field) => (
              <label key={field} className={LONG_FIELDS.has(field) ? "wide" : undefined} htmlFor={`profile-${field}`}>
                <span>{t.profileFields[field]}</span>
                {LONG_FIELDS.has(field) ? (
                  <textarea
                    id={`profile-${field}`}
                    rows={2}
                    value={form[field]}
                    disabled={!profileReady}
                    maxLength={MAX_PROFILE_CHARS}
                    placeholder={t.profilePlaceholders[field]}
                    onChange={(e) => setForm({ ...form, [field]: e.target.value })}
                  />
                ) : (
                  <input
                    id={`profile-${field}`}
                    value={form[field]}
                    disabled={!profileReady}
                    maxLength={MAX_PROFILE_CHARS}
                    placeholder={t.profilePlaceholders[field]}
                    autoComplete="off"
                    onChange={(e) => setForm({ ...form, [field]: e.target.value })}
                  />
                )}
              </label>
            ))}
            <div className="form-end wide">
              <NoteLine note={profileNote} />
              <button type="submit" className="primary" disabled={busy || !profileReady}>
                {t.saveProfile}
              </button>
            </div>
          </form>
        </section>

        <section className="card" aria-labelledby="memories-title">
          <h3 id="memories-title" ref={listHeading} tabIndex={-1}>
            {t.memories}
            {items !== null && !searched && <span className="muted count"> · {t.memoryCount(total)}</span>}
          </h3>

          <form className="add-memory" aria-label={t.addMemory} onSubmit={(e) => void submitAdd(e)}>
            <DraftFields
              draft={draft}
              onChange={(next) => {
                setDraft(next);
                setAddNote(null);
              }}
              idPrefix="new-memory"
            />
            <button type="submit" className="primary" disabled={busy}>
              {t.add}
            </button>
            <NoteLine note={addNote} />
          </form>

          <div className="memory-tools">
            <form className="search-form" role="search" onSubmit={submitSearch}>
              <label className="visually-hidden" htmlFor="memory-search">
                {t.searchMemories}
              </label>
              <input
                id="memory-search"
                type="search"
                value={query}
                placeholder={t.searchPlaceholder}
                onChange={(e) => setQuery(e.target.value)}
                onKeyDown={(e) => e.key === "Escape" && searched && clearSearch()}
              />
              <button type="submit" disabled={!query.trim()}>
                {t.search}
              </button>
              {searched && (
                <button type="button" className="secondary" onClick={clearSearch}>
                  {t.clearSearch}
                </button>
              )}
            </form>
            <div className="file-buttons">
              <button type="button" className="secondary" onClick={() => void doExport()}>
                {t.exportMemories}
              </button>
              <button type="button" className="secondary" disabled={busy} onClick={() => fileInput.current?.click()}>
                {t.importMemories}
              </button>
              <input
                ref={fileInput}
                type="file"
                className="visually-hidden"
                tabIndex={-1}
                aria-label={t.importFile}
                accept=".jsonl,.ndjson,.json,.txt,application/x-ndjson,application/json,text/plain"
                onChange={(e) => void doImport(e)}
              />
            </div>
          </div>

          <NoteLine note={note} />
          {searched && items !== null && <p className="muted small">{t.searchResults(searched, items.length)}</p>}
          {items === null && <p className="muted">{t.loading}</p>}
          {items !== null && items.length === 0 && !searched && <p className="muted">{t.noMemories}</p>}

          <ul className="memory-list">
            {(items ?? []).map((item) => (
              <li key={item.id} className="memory-item" data-kind={item.kind}>
                {editing === item.id ? (
                  <form
                    className="edit-memory"
                    aria-label={t.editMemory}
                    onSubmit={(e) => void submitEdit(e, item)}
                    onKeyDown={(e) => e.key === "Escape" && cancelEdit(item.id)}
                  >
                    <DraftFields draft={editDraft} onChange={setEditDraft} idPrefix={`edit-${item.id}-field`} autoFocus />
                    <div className="row-buttons">
                      <button type="submit" className="primary" disabled={busy}>
                        {t.save}
                      </button>
                      <button type="button" onClick={() => cancelEdit(item.id)}>
                        {t.cancel}
                      </button>
                    </div>
                  </form>
                ) : (
                  <>
                    <p className="memory-text">{item.text}</p>
                    <dl className="memory-meta">
                      <div>
                        <dt className="visually-hidden">{t.kind}</dt>
                        <dd className="chip">{t.kinds[item.kind] ?? item.kind}</dd>
                      </div>
                      <div>
                        <dt className="visually-hidden">{t.retention}</dt>
                        <dd className="chip muted-chip">{t.retentions[item.retention] ?? item.retention}</dd>
                      </div>
                      {item.subject && (
                        <div>
                          <dt>{t.about}</dt>
                          <dd>{item.subject}</dd>
                        </div>
                      )}
                      <div>
                        <dt>{t.updatedOn}</dt>
                        <dd>
                          <time dateTime={item.updated_at}>{formatDate(item.updated_at, language)}</time>
                        </dd>
                      </div>
                      <div>
                        {item.expires_at ? (
                          <>
                            <dt>{t.expiresOn}</dt>
                            <dd>
                              <time dateTime={item.expires_at}>{formatDate(item.expires_at, language)}</time>
                            </dd>
                          </>
                        ) : (
                          <dd>{t.neverExpires}</dd>
                        )}
                      </div>
                      {item.score !== null && (
                        <div>
                          <dt>{t.relevance}</dt>
                          <dd>{language === "fr" ? item.score.toFixed(2).replace(".", ",") : item.score.toFixed(2)}</dd>
                        </div>
                      )}
                    </dl>
                    {confirming === item.id ? (
                      <div className="confirm" role="group" aria-label={t.confirmForget}>
                        <span>{t.confirmForget}</span>
                        <button type="button" className="danger" disabled={busy} onClick={() => void forget(item)}>
                          {t.yes}
                        </button>
                        <button
                          type="button"
                          autoFocus
                          onClick={() => {
                            setConfirming(null);
                            focusNext.current = `forget-${item.id}`;
                          }}
                        >
                          {t.no}
                        </button>
                      </div>
                    ) : (
                      <span className="row-actions memory-actions">
                        <button
                          id={`edit-${item.id}`}
                          type="button"
                          className="icon"
                          aria-label={`${t.edit} : ${item.text}`}
                          title={t.edit}
                          onClick={() => startEdit(item)}
                        >
                          <Icon name="pencil" size={16} />
                        </button>
                        <button
                          id={`forget-${item.id}`}
                          type="button"
                          className="icon"
                          aria-label={`${t.forget} : ${item.text}`}
                          title={t.forget}
                          onClick={() => {
                            setEditing(null);
                            setConfirming(item.id);
                          }}
                        >
                          <Icon name="trash" size={16} />
                        </button>
                      </span>
                    )}
                  </>
                )}
              </li>
            ))}
          </ul>
        </section>
      </div>
    </main>
  );
}
