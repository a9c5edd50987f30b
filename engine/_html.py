"""The HTML a browser page or frame is read as: its DOM, with open shadow roots written inline.

`page.content()` gives `document.documentElement.outerHTML`, which leaves out every shadow root,
so the rows a web component renders are not in it. Here each open shadow root's children are
written as the first children of their host, between `<!--#shadow-root (open)-->` and
`<!--/#shadow-root-->` comments (nested roots alike), so `shop-list .row` and `shop-list > ul`
match in extraction as they do in Playwright's selectors (a click, a wait).

Slots are written as the page shows them: the light-DOM nodes assigned to a `<slot>` inside it,
in place of its fallback content, which is kept only when nothing is assigned; light-DOM
children that no slot shows follow the shadow content. So a card's heading reads as the title
slotted into it, and `shop-card [slot=title]` still finds the slotted element (a descendant of
its host). Unlike Playwright, `shop-card > [slot=title]` does not match (the element sits in
its slot), and `h3 [slot=title]` does.

Closed shadow roots cannot be read by the page's scripts nor by Playwright: their content is
not written (the host's light-DOM children are, all of them).

A page without shadow roots costs one walk over its elements and reads exactly as
`page.content()` does; only the elements above a shadow host are written by hand.
"""

from __future__ import annotations

from playwright.async_api import Frame
from playwright.async_api import Page as PlaywrightPage

_PLAIN_SCRIPT = """() => {
  const all = document.getElementsByTagName('*');
  for (let i = 0, n = all.length; i < n; i++) if (all[i].shadowRoot) return null;
  const top = document.documentElement;
  const doctype = document.doctype ? new XMLSerializer().serializeToString(document.doctype) : '';
  return doctype + (top ? top.outerHTML : '');
}"""
"""`page.content()`, or null when the page has an open shadow root: the common case stays one
short script (an indexed loop: iterating a NodeList with for...of takes four times as long)."""

HTML_SCRIPT = """() => {
  // an indexed loop: iterating a NodeList with for...of takes four times as long
  const hosts = [], roots = [];
  const look = (elements) => {
    for (let i = 0, n = elements.length; i < n; i++) {
      const root = elements[i].shadowRoot;
      if (root) {
        hosts.push(elements[i]);
        roots.push(root);
      }
    }
  };
  look(document.getElementsByTagName('*'));
  while (roots.length) look(roots.pop().querySelectorAll('*'));
  const top = document.documentElement;
  const doctype = document.doctype ? new XMLSerializer().serializeToString(document.doctype) : '';
  if (!top || !hosts.length) return doctype + (top ? top.outerHTML : '');
  // written by hand: hosts, their ancestors, and slots with assigned nodes; the rest by outerHTML
  const open = new Set(), assigned = new Map();
  const mark = (node) => {
    while (node instanceof Element && !open.has(node)) {
      open.add(node);
      const parent = node.parentNode;
      node = parent instanceof ShadowRoot ? parent.host : parent;
    }
  };
  for (const host of hosts) {
    mark(host);
    for (const slot of host.shadowRoot.querySelectorAll('slot')) {
      const nodes = slot.assignedNodes();
      if (nodes.length) {
        assigned.set(slot, nodes);
        mark(slot);
      }
    }
  }
  const RAW = new Set(['style', 'script', 'xmp', 'iframe', 'noembed', 'noframes', 'plaintext',
                       'noscript']);
  const escape = (s, quote) => {
    s = s.replace(/&/g, '&amp;').replace(/\\u00a0/g, '&nbsp;').replace(/</g, '&lt;')
      .replace(/>/g, '&gt;');
    return quote ? s.replace(/"/g, '&quot;') : s;
  };
  const parts = [doctype];
  const children = (parent) => {
    for (let child = parent.firstChild; child; child = child.nextSibling) write(child, parent);
  };
  const write = (node, parent) => {
    if (node.nodeType === Node.ELEMENT_NODE) {
      if (!open.has(node)) {
        parts.push(node.outerHTML);
        return;
      }
      const html = node.namespaceURI === 'http://www.w3.org/1999/xhtml';
      const name = html ? node.localName : node.tagName;
      parts.push('<' + name);
      for (const a of node.attributes) parts.push(` ${a.name}="${escape(a.value, true)}"`);
      parts.push('>');
      if (assigned.has(node)) {
        for (const child of assigned.get(node)) write(child, node);
      } else if (node.shadowRoot) {
        parts.push('<!--#shadow-root (open)-->');
        children(node.shadowRoot);
        parts.push('<!--/#shadow-root-->');
        // what no slot shows stays, after the shadow content
        for (let child = node.firstChild; child; child = child.nextSibling) {
          if (!child.assignedSlot) write(child, node);
        }
      } else {
        children(node);
      }
      parts.push('</' + name + '>');
    } else if (node.nodeType === Node.TEXT_NODE) {
      const raw = parent.nodeType === Node.ELEMENT_NODE && RAW.has(parent.localName);
      parts.push(raw ? node.data : escape(node.data, false));
    } else if (node.nodeType === Node.COMMENT_NODE) {
      parts.push('<!--' + node.data + '-->');
    }
  };
  write(top, document);
  return parts.join('');
}"""


async def html_of(target: PlaywrightPage | Frame) -> str:
    """The HTML of a page or frame, open shadow roots inline (see the module docstring)."""
    html = await target.evaluate(_PLAIN_SCRIPT)
    if html is None:
        html = await target.evaluate(HTML_SCRIPT)
    return str(html)
