// The message being typed, sent as a `draft` so that Jarvis prepares its prompt before it is sent (docs/protocol.md).

export interface DraftFrame {
  type: "draft";
  text: string;
  conversation_id: string | null;
}

/** Sends the composer's text once typing pauses, and only when it changed since the last draft sent. */
export class DraftSender {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private last = "";

  constructor(
    private readonly send: (frame: DraftFrame) => boolean,
    private readonly delayMs = 300,
    private readonly minChars = 4,
  ) {}

  update(text: string, conversationId: string | null): void {
    this.clear();
    const trimmed = text.trim();
    if (trimmed.length < this.minChars || trimmed === this.last) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.send({ type: "draft", text: trimmed, conversation_id: conversationId })) this.last = trimmed;
    }, this.delayMs);
  }

  /** The message was sent (or the conversation changed): nothing pending, and the next draft is new. */
  reset(): void {
    this.clear();
    this.last = "";
  }

  private clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
