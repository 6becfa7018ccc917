// Replies are Markdown written by a model: rendered as React elements, raw HTML dropped, unsafe URLs removed.
import ReactMarkdown, { defaultUrlTransform } from "react-markdown";
import remarkGfm from "remark-gfm";

export function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown
        remarkPlugins={[remarkGfm]}
        skipHtml
        urlTransform={defaultUrlTransform}
        components={{
          a: ({ href, children }) => (
            <a href={href} target="_blank" rel="noopener noreferrer nofollow">
              {children}
            </a>
          ),
          img: ({ alt }) => <span>{alt}</span>, // no remote images: nothing leaves the house
        }}
      >
        {text}
      </ReactMarkdown>
    </div>
  );
}
