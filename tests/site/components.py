"""Lab pages whose content is out of `outerHTML`'s reach: web components with shadow roots
(`/lab/components`) and frames (`/lab/frames`, nested, `srcdoc`, with a form)."""

from __future__ import annotations

from collections.abc import Mapping

from trawler.demo_site import Handler, Request, Response, render_page

TOOLS = (("Claw Hammer", "24.99", "p001"), ("Hand Saw", "18.50", "p002"), ("Tape", "7.25", "p003"))
"""The rows of `<shop-list>` on /lab/components: name, price, product id."""

# <shop-list> renders TOOLS into an open shadow root; each price is a <price-tag>, whose own
# open root holds the amount. <shop-card> slots its title into a heading, "Untitled" when none
# is given. <sealed-box> keeps its content in a closed root.
_COMPONENTS = """
const tools = %s;
customElements.define('price-tag', class extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    const root = this.attachShadow({mode: 'open'});
    root.innerHTML = '<span class="amount"></span> €';
    root.querySelector('.amount').textContent = this.getAttribute('value');
  }
});
customElements.define('shop-list', class extends HTMLElement {
  connectedCallback() {
    const root = this.attachShadow({mode: 'open'});
    root.innerHTML = '<style>.row { display: block }</style><ul class="rows"></ul>';
    for (const [name, price, id] of tools) {
      const row = document.createElement('li');
      row.className = 'row';
      row.innerHTML = `<a href="/product/${id}"><span class="name"></span></a>` +
        `<price-tag value="${price}"></price-tag>`;
      row.querySelector('.name').textContent = name;
      root.querySelector('ul').append(row);
    }
  }
});
customElements.define('shop-card', class extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({mode: 'open'}).innerHTML =
      '<h3 class="title"><slot name="title">Untitled</slot></h3><slot></slot>';
  }
});
customElements.define('sealed-box', class extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({mode: 'closed'}).innerHTML = '<p class="secret">sealed</p><slot></slot>';
  }
});
"""


def components(request: Request) -> Response:
    """A list and cards drawn by web components, a closed root, a declarative shadow root."""
    rows = "[" + ", ".join(f"[{n!r}, {p!r}, {i!r}]" for n, p, i in TOOLS) + "]"
    body = """<h1>Components</h1>
<shop-list id="tools"></shop-list>
<div class="cards">
<shop-card id="kettle"><span slot="title">Copper Kettle</span><p class="blurb">Shiny</p>\
<p slot="nowhere">unshown</p></shop-card>
<shop-card id="blank"><p class="blurb">Plain</p></shop-card>
</div>
<sealed-box><p class="open-note">outside the closed root</p></sealed-box>
<div id="declared"><template shadowrootmode="open"><p class="declared">Declared</p>\
</template></div>"""
    return Response.html(render_page("Components", body, inline_script=_COMPONENTS % rows))


def frames(request: Request) -> Response:
    """A row of its own, a frame of rows (with a nested frame), a srcdoc frame, a non-frame."""
    body = """<h1>Frames</h1>
<ul><li class="row"><span class="name">Top row</span><a href="top">top</a></li></ul>
<iframe id="stock" src="/lab/framed/stock" width="600" height="300"></iframe>
<iframe id="inline" srcdoc="<ul><li class='row'><span class='name'>Inline row</span>\
<a href='inline'>inline</a></li></ul>"></iframe>
<div id="not-a-frame">not a frame</div>"""
    return Response.html(render_page("Frames", body))


def framed_stock(request: Request) -> Response:
    """Rows whose links are relative to this frame's URL, a form, and a nested frame."""
    body = """<ul>
<li class="row"><span class="name">Framed A</span><a href="item/1">a</a></li>
<li class="row"><span class="name">Framed B</span><a href="item/2">b</a></li>
</ul>
<input id="q" name="q"><button id="go" type="button">Go</button><p id="echo"></p>
<iframe id="inner" src="/lab/framed/inner"></iframe>"""
    script = """document.getElementById('go').addEventListener('click', () => {
  document.getElementById('echo').textContent = 'echo:' + document.getElementById('q').value;
});"""
    return Response.html(render_page("Stock", body, inline_script=script))


def framed_inner(request: Request) -> Response:
    """The nested frame's rows."""
    body = """<ul><li class="row"><span class="name">Inner A</span><a href="deep/1">1</a></li>
<li class="row"><span class="name">Inner B</span><a href="deep/2">2</a></li></ul>"""
    return Response.html(render_page("Inner", body))


def component_routes() -> Mapping[str, Handler]:
    return {
        "/lab/components": components,
        "/lab/frames": frames,
        "/lab/framed/stock": framed_stock,
        "/lab/framed/inner": framed_inner,
    }
