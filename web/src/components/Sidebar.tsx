import { useState, type FormEvent } from "react";
import type { ConversationSummary } from "../api";
import { formatTime, useI18n } from "../i18n";
import { Icon } from "./Icon";

interface Props {
  conversations: ConversationSummary[];
  currentId: string | null;
  onSelect: (id: string) => void;
  onNew: () => void;
  onRename: (id: string, title: string) => Promise<void>;
  onDelete: (id: string) => Promise<void>;
}

export function Sidebar({ conversations, currentId, onSelect, onNew, onRename, onDelete }: Props) {
  const { t, language } = useI18n();
  const [editing, setEditing] = useState<string | null>(null);
  const [draft, setDraft] = useState("");
  const [confirming, setConfirming] = useState<string | null>(null);

  const submit = async (event: FormEvent, id: string) => {
    event.preventDefault();
    await onRename(id, draft);
    setEditing(null);
  };

  return (
    <nav className="sidebar" aria-label={t.conversations}>
      <button type="button" className="new-chat" onClick={onNew}>
        + {t.newChat}
      </button>
      <h2 className="sidebar-title">{t.conversations}</h2>
      {conversations.length === 0 && <p className="muted small">{t.noConversations}</p>}
      <ul className="conversation-list">
        {conversations.map((c) => (
          <li key={c.id} className={c.id === currentId ? "current" : undefined}>
            {editing === c.id ? (
              <form className="rename-form" onSubmit={(e) => void submit(e, c.id)}>
                <label className="visually-hidden" htmlFor={`rename-${c.id}`}>
                  {t.renameLabel}
                </label>
                <input
                  id={`rename-${c.id}`}
                  value={draft}
                  maxLength={200}
                  autoFocus
                  onChange={(e) => setDraft(e.target.value)}
                  onKeyDown={(e) => e.key === "Escape" && setEditing(null)}
                />
                <button type="submit">{t.save}</button>
                <button type="button" onClick={() => setEditing(null)}>
                  {t.cancel}
                </button>
              </form>
            ) : confirming === c.id ? (
              <div className="confirm" role="group" aria-label={t.confirmDelete}>
                <span>{t.confirmDelete}</span>
                <button
                  type="button"
                  className="danger"
                  onClick={() => {
                    setConfirming(null);
                    void onDelete(c.id);
                  }}
                >
                  {t.yes}
                </button>
                <button type="button" autoFocus onClick={() => setConfirming(null)}>
                  {t.no}
                </button>
              </div>
            ) : (
              <>
                <button
                  type="button"
                  className="conversation"
                  aria-current={c.id === currentId ? "page" : undefined}
                  onClick={() => onSelect(c.id)}
                >
                  <span className="conversation-title">{c.title || t.untitled}</span>
                  <time className="muted small" dateTime={c.updated_at}>
                    {formatTime(c.updated_at, language)}
                  </time>
                </button>
                <span className="row-actions">
                  <button
                    type="button"
                    className="icon"
                    aria-label={`${t.rename} : ${c.title || t.untitled}`}
                    title={t.rename}
                    onClick={() => {
                      setDraft(c.title);
                      setEditing(c.id);
                    }}
                  >
                    <Icon name="pencil" size={16} />
                  </button>
                  <button
                    type="button"
                    className="icon"
                    aria-label={`${t.delete} : ${c.title || t.untitled}`}
                    title={t.delete}
                    onClick={() => setConfirming(c.id)}
                  >
                    <Icon name="trash" size={16} />
                  </button>
                </span>
              </>
            )}
          </li>
        ))}
      </ul>
    </nav>
  );
}
