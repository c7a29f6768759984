/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON inside `<script>`: "<" is escaped so that no "</script>" or "<!--" in an axis value ends it. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Inline script text: "</script" inside a library would end the element early. */
export function scriptText(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1');
}
