import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { Markdown } from "./Markdown";

const html = (text: string) => renderToStaticMarkup(<Markdown text={text} />);

describe("Markdown", () => {
  it("renders Markdown", () => {
    const out = html("**gras** et `code`\n\n- un\n- deux");
    expect(out).toContain("<strong>gras</strong>");
    expect(out).toContain("<code>code</code>");
    expect(out).toContain("<li>un</li>");
  });

  it("never renders raw HTML from a reply", () => {
    const out = html('Bonjour <img src=x onerror="alert(1)"> <script>alert(2)</script> <b>fin</b>');
    expect(out).not.toMatch(/<img|<script|<b>|onerror/);
    expect(out).toContain("Bonjour");
  });

  it("drops dangerous links and keeps safe ones, opened apart from the app", () => {
    const out = html("[piège](javascript:alert(1)) [doc](https://example.org)");
    expect(out).not.toContain("javascript:");
    expect(out).toContain('href="https://example.org"');
    expect(out).toContain('rel="noopener noreferrer nofollow"');
  });

  it("shows no remote image, only its description", () => {
    const out = html("![une photo](https://tracker.example/pixel.png)");
    expect(out).not.toContain("<img");
    expect(out).toContain("une photo");
  });
});
