// HTTP API calls of the web app: same-origin cookie session, CSRF token on every state change.
import type { MemoryDraft, MemoryItem, Profile } from "./memory";
import type { ChatMessage, Timings } from "./protocol";

export interface SessionInfo {
  authenticated: boolean;
  method?: "cookie" | "bearer" | "none";
  csrf_token?: string | null;
  expires_at?: string | null;
}

export interface ConversationSummary {
  id: string;
  title: string;
  created_at: string;
  updated_at: string;
  message_count: number;
}

interface StoredMessage {
  id: string;
  role: "user" | "assistant";
  content: string;
  status: string;
  created_at: string;
  timings: Timings | null;
}

export interface ReadyInfo {
  ready: boolean;
  components: Record<string, { ready: boolean; detail: string; required?: boolean; failed?: boolean }>;
}

/** The Home Assistant connection (optional component), as GET /api/status and /api/home/status give it. */
export interface HomeStatus {
  configured: boolean;
  status: "not-configured" | "connecting" | "connected" | "unauthorized" | "unreachable";
  detail: string;
  version: string | null;
  entities: number;
}

/** GET /api/voice/wake-word: whether hands-free listening can wait for « Hey Jarvis » on this server. */
export interface WakeWordInfo {
  available: boolean;
  model: string;
  enabled: boolean;
  listen_seconds: number;
  detail: string;
}

export interface VoicesInfo {
  voices: string[];
  default: string;
  speed: number;
}

/** An error from the API, with its stable code and a message for people. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Content to send as it is (a file), instead of JSON. */
export interface RawBody {
  raw: Blob | string;
  contentType: string;
}

async function send<T>(method: string, path: string, body?: unknown): Promise<{ status: number; data: T }> {
  const headers: Record<string, string> = {};
  const raw = body instanceof Object && "raw" in body && "contentType" in body ? (body as RawBody) : null;
  if (raw) headers["Content-Type"] = raw.contentType;
  else if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: raw ? raw.raw : body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError("server-unreachable", "", 0);
  }
  if (response.status === 204) return { status: 204, data: undefined as T };
  let data: unknown = null;
  try {
    data = await response.json();
  } catch {
    // not JSON
  }
  if (!response.ok) {
    const error = (data as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(error?.code ?? `http-${response.status}`, error?.message ?? response.statusText, response.status);
  }
  return { status: response.status, data: data as T };
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  return (await send<T>(method, path, body)).data;
}

/**
 * Opens the session: the one-time `token` of the sign-in link (if the address holds one) is taken out of the
 * address bar at once and exchanged for the cookie; otherwise the existing cookie is checked. Called once per page.
 */
let sessionOnce: Promise<{ session: SessionInfo; linkFailed: boolean }> | null = null;

export function openSession(): Promise<{ session: SessionInfo; linkFailed: boolean }> {
  sessionOnce ??= (async () => {
    const url = new URL(window.location.href);
    const token = url.searchParams.get("token");
    let linkFailed = false;
    if (token) {
      url.searchParams.delete("token");
      window.history.replaceState(null, "", url.pathname + url.search + url.hash);
      try {
        const session = await request<SessionInfo>("POST", "/api/session", { token });
        setCsrfToken(session.csrf_token ?? null);
        return { session, linkFailed };
      } catch {
        linkFailed = true;
      }
    }
    const session = await request<SessionInfo>("GET", "/api/session");
    setCsrfToken(session.csrf_token ?? null);
    return { session, linkFailed };
  })();
  return sessionOnce;
}

export async function signOut(): Promise<void> {
  await request<void>("DELETE", "/api/session");
  setCsrfToken(null);
}

export async function listConversations(): Promise<ConversationSummary[]> {
  const data = await request<{ conversations: ConversationSummary[] }>("GET", "/api/conversations?limit=200");
  return data.conversations;
}

export async function loadConversation(id: string): Promise<ChatMessage[]> {
  const data = await request<{ messages: StoredMessage[] }>("GET", `/api/conversations/${encodeURIComponent(id)}`);
  return data.messages.map((m) => ({
    key: m.id,
    id: m.id,
    role: m.role,
    content: m.content,
    status: (["complete", "cancelled", "failed"].includes(m.status) ? m.status : "complete") as ChatMessage["status"],
    createdAt: m.created_at,
    timings: m.timings,
  }));
}

export function renameConversation(id: string, title: string): Promise<ConversationSummary> {
  return request("PATCH", `/api/conversations/${encodeURIComponent(id)}`, { title });
}

export function deleteConversation(id: string): Promise<void> {
  return request("DELETE", `/api/conversations/${encodeURIComponent(id)}`);
}

/** GET /api/status: the engines as /ready reports them, and Home Assistant (always 200, even while loading). */
export interface StatusInfo extends ReadyInfo {
  home: HomeStatus;
}

export function fetchStatus(): Promise<StatusInfo> {
  return request("GET", "/api/status");
}

export function fetchWakeWord(): Promise<WakeWordInfo> {
  return request("GET", "/api/voice/wake-word");
}

export function fetchVoices(): Promise<VoicesInfo> {
  return request("GET", "/api/voice/voices");
}

export async function listMemories(query: string): Promise<{ memories: MemoryItem[]; total: number }> {
  const q = query.trim();
  return request("GET", q ? `/api/memories?q=${encodeURIComponent(q)}&limit=50` : "/api/memories?limit=1000");
}

/** Stores a memory; `created` is false when the same thing was already known (the server refreshed it). */
export async function createMemory(draft: MemoryDraft): Promise<{ item: MemoryItem; created: boolean }> {
  const { status, data } = await send<MemoryItem>("POST", "/api/memories", draft);
  return { item: data, created: status === 201 };
}

export function editMemory(id: string, changes: Partial<MemoryDraft>): Promise<MemoryItem> {
  return request("PATCH", `/api/memories/${encodeURIComponent(id)}`, changes);
}

export function forgetMemory(id: string): Promise<void> {
  return request("DELETE", `/api/memories/${encodeURIComponent(id)}`);
}

/** The JSON Lines export, as a file to save. */
export async function exportMemories(): Promise<Blob> {
  let response: Response;
  try {
    response = await fetch("/api/memories/export", { credentials: "same-origin", cache: "no-store" });
  } catch {
    throw new ApiError("server-unreachable", "", 0);
  }
  if (!response.ok) {
    let error: { code?: string; message?: string } | undefined;
    try {
      error = ((await response.json()) as { error?: { code?: string; message?: string } }).error;
    } catch {
      // not JSON
    }
    throw new ApiError(error?.code ?? `http-${response.status}`, error?.message ?? response.statusText, response.status);
  }
  return response.blob();
}

export async function importMemories(file: Blob): Promise<number> {
  const result = await request<{ imported: number }>("POST", "/api/memories/import", {
    raw: file,
    contentType: "application/x-ndjson",
  } satisfies RawBody);
  return result.imported;
}

export function fetchProfile(): Promise<Profile> {
  return request("GET", "/api/profile");
}

export function saveProfile(changes: Partial<Record<keyof Profile, string>>): Promise<Profile> {
  return request("PATCH", "/api/profile", changes);
}
