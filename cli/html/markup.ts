/**
 * Building HTML safely: every string becomes text (escaped), and only markup built by
 * `h` passes through as is. Values on the timeline page come from counterexample files,
 * so nothing reaches the page without going through here.
 */

/**
 * Markup that is already safe to embed: made by the functions below, or from a constant
 * written in this directory (the stylesheet), never from input.
 */
export class Html {
  constructor(readonly text: string) {}
}

/** What an element can contain: text (escaped), markup, or a list of either. */
export type Child = Html | string | readonly Child[];

/** Attribute values; `undefined` and `false` omit the attribute, `true` writes it bare. */
export type Attrs = Readonly<Record<string, string | number | boolean | undefined>>;

const ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for an element body or a double-quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

function serialize(c: Child): string {
  if (c instanceof Html) return c.text;
  if (typeof c === "string") return escapeHtml(c);
  return c.map(serialize).join("");
}

function attributes(attrs: Attrs): string {
  return Object.entries(attrs)
    .filter(([, v]) => v !== undefined && v !== false)
    .map(([k, v]) => (v === true ? ` ${k}` : ` ${k}="${escapeHtml(String(v))}"`))
    .join("");
}

/** An element with attributes and children. */
export function h(tag: string, attrs: Attrs, ...children: Child[]): Html {
  return new Html(`<${tag}${attributes(attrs)}>${serialize(children)}</${tag}>`);
}

/** Children without an enclosing element. */
export function markup(...children: Child[]): Html {
  return new Html(serialize(children));
}

/** A void element (`<meta>`, `<br>`): attributes, no children, no end tag. */
export function empty(tag: string, attrs: Attrs): Html {
  return new Html(`<${tag}${attributes(attrs)}>`);
}

/** A whole HTML5 document. */
export function htmlDocument(head: Child, body: Child): string {
  return `<!doctype html>\n<html lang="en">${h("head", {}, head).text}${h("body", {}, body).text}</html>\n`;
}
